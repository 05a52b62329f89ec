// The contracts at run time: the proxy's Governance port. At every hop it runs the pure
// policy engine over the candidates with the live health and contract state, and after every
// attempt it books what the attempt meant for commitments, shares and reservations.

import { segmentAt } from '../contracts/timeline.js';
import { countsToward } from '../contracts/schedule.js';
import type { Usage } from '../domain/chat.js';
import type { Deployment } from '../domain/deployment.js';
import { attribute } from '../policy/contracts-attribution.js';
import { decide, summary, type Decision } from '../policy/contracts-decide.js';
import { decisionJson } from '../policy/decision-json.js';
import { InMemoryContractState, type LiveContractState } from '../policy/contracts-state.js';
import type { AttemptTrace, Governance, RouteFacts, RouteVerdict } from '../proxy/ports.js';
import type { ContractsHolder, LoadedContracts } from './contracts-holder.js';

export interface GovernanceDeps {
  holder: ContractsHolder;
  deployment: (id: string) => Deployment | undefined;
  health: (id: string, now: number) => { available: boolean; latencyMs?: number; outstanding: number };
  /** Where commitment, share and reservation counters live: in memory by default, shared over Redis in cluster mode. */
  state?: LiveContractState;
}

/** Appends the candidate with this id (a pool has a handful: a scan beats building a Map per hop). */
function push(into: Deployment[], candidates: readonly Deployment[], id: string): void {
  for (const c of candidates) {
    if (c.id === id) {
      into.push(c);
      return;
    }
  }
}

export class ContractGovernance implements Governance {
  readonly state: LiveContractState;

  constructor(private readonly deps: GovernanceDeps) {
    this.state = deps.state ?? new InMemoryContractState();
  }

  pin(): LoadedContracts | undefined {
    return this.deps.holder.get();
  }

  route(pinned: unknown, model: string, facts: RouteFacts, candidates: readonly Deployment[], now: number, failedHere: { has(id: string): boolean }): RouteVerdict | undefined {
    const loaded = (pinned ?? undefined) as LoadedContracts | undefined;
    if (!loaded) return undefined;
    const d = decide(loaded.compiled, { model, tenantId: facts.tenantId, keyId: facts.keyId, tags: facts.tags, trafficClass: facts.trafficClass, expectedTokens: { prompt: facts.promptTokens, completion: facts.completionTokens } }, candidates, this.state, now, (id) => {
      // A deployment that already failed this request is, for this request, not available:
      // that is what lets a serve-elsewhere clause move on (a fail-closed one still waits for it).
      const h = this.deps.health(id, now);
      return failedHere.has(id) ? { ...h, available: false } : h;
    });
    const allowed: Deployment[] = [];
    for (const id of d.ranked) push(allowed, candidates, id);
    // Compliant deployments that are only unavailable right now go last, so the proxy can still
    // wait for one to come back; contract-filtered ones never appear.
    for (const f of d.filtered) if (f.clauseId === null) push(allowed, candidates, f.deploymentId);
    const verdict: RouteVerdict = { allowed, preferred: d.ranked, record: d, version: d.version, summary: summary(d) };
    if (d.blockedBy?.length && !d.ranked.length) verdict.blocked = d.blockedBy.map((b) => b.reason).join('; ');
    return verdict;
  }

  /** A verdict's record (a decision this class made) as the ledger's JSON. */
  recordJson(record: unknown): string {
    return decisionJson(record as Decision);
  }

  /** Prices an attempt under the contracts in force when it started: discount inside a commitment, zero marginal cost on a reservation. */
  terms(dep: Deployment, at: number): { discount: number; reserved: boolean } {
    const loaded = this.deps.holder.get();
    if (!loaded) return { discount: 0, reserved: false };
    const seg = segmentAt(loaded.compiled, at);
    if (seg.index.reservationsByDeployment.has(dep.id)) return { discount: 0, reserved: true };
    let discount = 0;
    for (const c of seg.index.commitments) if (countsToward(c, dep)) discount = Math.max(discount, c.discountPercent / 100);
    return { discount, reserved: false };
  }

  /** The reservation on a deployment now, and how full it is (by tokens per minute, else concurrency). */
  reservationOf(depId: string, now: number): { clauseId: string; utilisation: number | null } | null {
    const loaded = this.deps.holder.get();
    if (!loaded) return null;
    const r = segmentAt(loaded.compiled, now).index.reservationsByDeployment.get(depId);
    if (!r) return null;
    const u = this.state.reservationUsage(r.ref, now);
    const utilisation = r.capacity.tokensPerMinute ? u.tokensLastMinute / r.capacity.tokensPerMinute : r.capacity.concurrency ? u.inFlight / r.capacity.concurrency : null;
    return { clauseId: r.ref, utilisation };
  }

  attemptStarted(t: AttemptTrace): void {
    const ref = this.reservationRef(t);
    // Prompt plus the completion budget, as the reservation's tokens-per-minute counts both.
    if (ref) this.state.reservationStart(ref, t.startedAt, t.estimatedPromptTokens + (t.facts?.completionTokens ?? 0));
  }

  attemptFinished(t: AttemptTrace, facts: RouteFacts | undefined, usage: Usage | undefined): void {
    const loaded = this.deps.holder.get();
    const dep = this.deps.deployment(t.deploymentId);
    const ref = this.reservationRef(t);
    if (ref) this.state.reservationEnd(ref);
    if (!loaded || !dep || !facts || t.outcome !== 'ok') return;
    const u = usage ?? t.usage;
    const tokens = u ? { prompt: u.promptTokens, completion: u.completionTokens } : { prompt: t.estimatedPromptTokens, completion: 0 };
    this.state.recordServed(attribute(loaded.compiled, { model: t.model, tenantId: facts.tenantId, keyId: facts.keyId, tags: facts.tags, trafficClass: facts.trafficClass, expectedTokens: tokens }, dep, t.startedAt, tokens), t.startedAt);
  }

  private reservationRef(t: AttemptTrace): string | undefined {
    const loaded = this.deps.holder.get();
    if (!loaded) return undefined;
    return segmentAt(loaded.compiled, t.startedAt).index.reservationsByDeployment.get(t.deploymentId)?.ref;
  }
}
