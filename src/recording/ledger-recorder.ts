// Writes every attempt to the ledger: the write-ahead row before the upstream call (awaited:
// the call does not start until the row is durable) and the final row after, with usage and
// cost. Usage the provider did not report is estimated with a tokenizer and flagged; an
// attempt the provider refused before generating anything has unknown (null) usage.

import { estimateTextTokens } from '../accounting/estimate.js';
import type { Cost } from '../accounting/pricing.js';
import type { Usage } from '../domain/chat.js';
import type { Deployment } from '../domain/deployment.js';
import { GatewayError } from '../domain/errors.js';
import type { AttemptFinish, LedgerStore } from '../ledger/store.js';
import type { Logger } from '../observability/logger.js';
import type { AttemptObserver, AttemptTrace } from '../proxy/ports.js';

export interface RecorderDeps {
  store: Pick<LedgerStore, 'beginAttempt' | 'finishAttempt'>;
  deployment: (id: string) => Deployment | undefined;
  /** Prices an attempt (list and the contract's effective price); undefined when unknown. */
  price: (dep: Deployment, usage: Usage, at: number) => Cost | undefined;
  log: Logger;
  now: () => number;
  /** Writes a routing decision as the row's JSON; JSON.stringify when absent. The policy's own writer is about twice as fast. */
  decisionJson?: (decision: unknown) => string;
}

export class LedgerRecorder implements AttemptObserver {
  /** Final writes not yet acknowledged, so shutdown can wait for them. */
  private readonly pending = new Set<Promise<unknown>>();
  /** Each ended attempt's row, computed once: budgets and metrics read it again after the write. */
  private readonly rows = new WeakMap<AttemptTrace, AttemptFinish>();

  private readonly decisionJson: (decision: unknown) => string;

  constructor(private readonly deps: RecorderDeps) {
    this.decisionJson = deps.decisionJson ?? JSON.stringify;
  }

  /**
   * The write-ahead row. Settles once it is durable, or returns undefined when it is already
   * (a journal written at once): then the upstream call starts in this turn, without a wait.
   */
  started(t: AttemptTrace): Promise<void> | undefined {
    const dep = this.deps.deployment(t.deploymentId);
    let durable: Promise<void> | undefined;
    try {
      durable = this.deps.store.beginAttempt({
        requestId: t.requestId,
        clientRequestId: t.clientRequestId ?? null,
        attemptNo: t.attemptNo,
        tenantId: t.tenantId,
        keyId: t.keyId,
        model: t.model,
        deploymentId: t.deploymentId,
        account: dep?.account ?? 'unknown',
        region: dep?.region ?? 'unknown',
        stream: t.stream,
        startedAt: t.startedAt,
        decision: t.decision === undefined ? null : this.decisionJson(t.decision),
        contractVersion: t.contractVersion ?? null,
        estimatedPromptTokens: t.estimatedPromptTokens,
      });
    } catch (err) {
      return Promise.reject(this.#refusal(t, err));
    }
    return durable?.catch((err: unknown) => {
      throw this.#refusal(t, err);
    });
  }

  #refusal(t: AttemptTrace, err: unknown): GatewayError {
    this.deps.log.error('ledger write failed; refusing the attempt', { requestId: t.requestId, err });
    return new GatewayError('TREATY_LEDGER_UNAVAILABLE', 'The ledger is unavailable, so Treaty will not call an upstream it could not account for. Retry shortly.', { retryAfterMs: 1000 });
  }

  /** Writes the final row (acknowledged off the request path) and returns it. */
  finished(t: AttemptTrace): AttemptFinish {
    const row = this.finishRow(t);
    const p = this.deps.store.finishAttempt(row).catch((err: unknown) => this.deps.log.error('ledger finish failed', { requestId: t.requestId, attempt: t.attemptNo, err }));
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
    return row;
  }

  async flush(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  finishRow(t: AttemptTrace): AttemptFinish {
    const known = this.rows.get(t);
    if (known && t.outcome) return known;
    const row = this.computeRow(t);
    // Only an ended attempt is final; an unfinished one may still gain usage.
    if (t.outcome) this.rows.set(t, row);
    return row;
  }

  private computeRow(t: AttemptTrace): AttemptFinish {
    const dep = this.deps.deployment(t.deploymentId);
    const { usage, source } = usageOf(t);
    const cost = usage && dep ? this.deps.price(dep, usage, t.startedAt) : undefined;
    const status = t.outcome === 'ok' ? 'ok' : t.outcome === 'cancelled' ? 'cancelled' : t.outcome === 'interrupted' ? 'interrupted' : 'failed';
    return {
      requestId: t.requestId,
      attemptNo: t.attemptNo,
      status,
      endedAt: t.endedAt ?? this.deps.now(),
      firstByteAt: t.firstByteAt ?? null,
      httpStatus: t.status ?? null,
      failureKind: t.failure?.kind ?? null,
      promptTokens: usage?.promptTokens ?? null,
      completionTokens: usage?.completionTokens ?? null,
      cachedPromptTokens: usage?.cachedPromptTokens ?? null,
      cacheWriteTokens: usage?.cacheWriteTokens ?? null,
      usageSource: source,
      listCostUsd: cost?.listUsd ?? null,
      effectiveCostUsd: cost?.effectiveUsd ?? null,
    };
  }
}

/**
 * Reported usage wins. Without it: an attempt that produced an answer (whole or partial) or was
 * cut off by the client is estimated; one refused with an error status billed nothing we know of.
 */
function usageOf(t: AttemptTrace): { usage: Usage | undefined; source: 'reported' | 'estimated' | null } {
  if (t.usage) return { usage: t.usage, source: 'reported' };
  const generated = t.outcome === 'ok' || t.outcome === 'interrupted' || (t.outcome === 'cancelled' && t.firstByteAt !== undefined);
  const refused = t.status !== undefined && (t.status < 200 || t.status >= 300);
  if (!generated || refused) return { usage: undefined, source: null };
  const prompt = t.precisePromptTokens ? t.precisePromptTokens() : t.estimatedPromptTokens;
  const completion = t.streamedChars ? estimateTextTokens(t.streamedChars.join('')) : 0;
  return { usage: { promptTokens: prompt, completionTokens: completion, totalTokens: prompt + completion }, source: 'estimated' };
}
