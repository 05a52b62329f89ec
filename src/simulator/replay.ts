// Replay: the ledger's real requests of a past period as the simulator's traffic. One row per
// request (its first attempt gives the time, model, tenant and key; its served attempt the
// tokens), so the same requests can be routed under other contracts or another policy.
// What the ledger does not keep is said, not invented: tags and max_tokens are not stored
// (the class comes from the recorded decision, the budget is the gateway's 256 default).

import type { ModelPool } from '../domain/deployment.js';
import type { AttemptRow, LedgerStore } from '../ledger/store.js';
import type { SimRequest, TrafficSource } from './request.js';

const PAGE = 10_000;

export interface Replayed {
  requests: SimRequest[];
  notes: string[];
}

export async function loadReplay(store: LedgerStore, fromMs: number, toMs: number, models: ReadonlyMap<string, ModelPool>): Promise<Replayed> {
  const byId = new Map<string, { first: AttemptRow; served?: AttemptRow }>();
  for (let offset = 0; ; offset += PAGE) {
    const rows = await store.listAttempts({ from: fromMs, to: toMs, limit: PAGE, offset });
    for (const r of rows) {
      const e = byId.get(r.requestId);
      if (!e) byId.set(r.requestId, { first: r, ...(r.status === 'ok' ? { served: r } : {}) });
      else {
        if (r.attemptNo < e.first.attemptNo) e.first = r;
        if (r.status === 'ok') e.served = r;
      }
    }
    if (rows.length < PAGE) break;
  }
  let unserved = 0;
  let unknownUsage = 0;
  let unknownModel = 0;
  const requests: SimRequest[] = [];
  for (const { first, served } of byId.values()) {
    const pool = models.get(first.model);
    if (!pool) {
      unknownModel++;
      continue;
    }
    if (!served) unserved++;
    const reported = served && served.promptTokens !== null && served.completionTokens !== null;
    if (served && !reported) unknownUsage++;
    const prompt = reported ? served.promptTokens! : first.estimatedPromptTokens;
    const completion = reported ? served.completionTokens! : 0;
    const chat = pool.deployments.some((d) => d.capabilities.chat);
    requests.push({
      t: first.startedAt,
      weight: 1,
      endpoint: chat ? 'chat' : 'embeddings',
      facts: { model: first.model, tenantId: first.tenantId, keyId: first.keyId, tags: [], trafficClass: classOf(first.decision), expectedTokens: { prompt: first.estimatedPromptTokens, completion: 256 } },
      needs: { tools: false, vision: false, jsonMode: false, minContext: prompt },
      promptTokens: prompt,
      completionTokens: completion,
      cachedPromptTokens: served?.cachedPromptTokens ?? 0,
    });
  }
  requests.sort((a, b) => a.t - b.t);
  const notes = [`replayed ${requests.length} requests from the ledger (tags and max_tokens are not stored: the class is the recorded decision's, the completion budget the gateway's default 256)`];
  if (unserved) notes.push(`${unserved} replayed requests were never served: replayed with their estimated prompt and no completion`);
  if (unknownUsage) notes.push(`${unknownUsage} replayed requests have no recorded usage: replayed with their estimated prompt and no completion`);
  if (unknownModel) notes.push(`${unknownModel} ledger requests name a model the config no longer has: left out`);
  return { requests, notes };
}

function classOf(decision: string | null): string | null {
  if (!decision) return null;
  try {
    const c = (JSON.parse(decision) as { class?: unknown }).class;
    return typeof c === 'string' ? c : null;
  } catch {
    return null;
  }
}

export class ReplaySource implements TrafficSource {
  readonly weight = 1;
  private i = 0;

  constructor(private readonly requests: readonly SimRequest[], private readonly extra: readonly string[] = []) {}

  arrivals(fromMs: number, toMs: number): SimRequest[] {
    const out: SimRequest[] = [];
    while (this.i < this.requests.length && this.requests[this.i]!.t < fromMs) this.i++;
    while (this.i < this.requests.length && this.requests[this.i]!.t < toMs) out.push(this.requests[this.i++]!);
    return out;
  }

  notes(): string[] {
    return [...this.extra];
  }
}
