// The attempt loop of one simulated request, on the virtual clock. It follows the gateway's
// ChatProxy.failover hop by hop: the model's pool then its fallbacks; at every hop the
// capability filter, the routing policy (the contract policy re-runs at each hop), selection
// (health, throttle, balancer, back-off), the retry budget, and on failure the one
// classification table (routing/classification.ts) deciding retry / fail over / stop and
// what counts against health. A weighted request the deployment can only partly take is
// split: the accepted part is served, the rest is routed again as new requests would be.

import type { Deployment, ModelPool } from '../domain/deployment.js';
import type { FailureKind } from '../domain/upstream-failure.js';
import { unmetRequirement } from '../policy/capabilities.js';
import type { AdaptiveThrottle } from '../routing/adaptive-throttle.js';
import { policyFor } from '../routing/classification.js';
import type { HealthTracker } from '../routing/health.js';
import type { RetryBudget } from '../routing/retry-budget.js';
import type { SimEstate } from './estate.js';
import type { RoutingPolicy, Verdict } from './policies.js';
import type { SimRequest } from './request.js';
import { chooseDeployment, type SelectionPorts } from './selection.js';

export type FailReason = 'blocked' | 'unavailable' | 'upstream' | 'budget' | 'unfit';

export interface ServedPart {
  req: SimRequest;
  weight: number;
  dep: Deployment;
  /** The pool (public model) that served: differs from the request's on a fallback. */
  model: string;
  /** When the serving attempt started. */
  at: number;
  latencyMs: number;
  verdict: Verdict;
  attempts: number;
}

export interface FailedPart {
  req: SimRequest;
  weight: number;
  reason: FailReason;
  /** When the client got its answer. */
  at: number;
  attempts: number;
  lastFailure?: FailureKind;
}

/** A timed bookkeeping step the engine runs when the virtual clock reaches it. */
export interface Settle {
  at: number;
  run(): void;
}

export interface LoopPorts {
  models: ReadonlyMap<string, ModelPool>;
  policy: RoutingPolicy;
  selection: SelectionPorts;
  health: HealthTracker;
  throttle: AdaptiveThrottle;
  budget: RetryBudget;
  estate: SimEstate;
  random: () => number;
  maxAttempts: number;
  requestTimeoutMs: number;
  schedule(s: Settle): void;
  /** A successful attempt's latency, for the balancer's EWMA (at its end). */
  observeLatency(id: string, ms: number): void;
  served(p: ServedPart): void;
  failed(p: FailedPart): void;
}

/** Routes one request, and the parts of it deployments could not take whole. */
export function runRequest(p: LoopPorts, req: SimRequest): number {
  const parts = [req.weight];
  let attempts = 0;
  while (parts.length) attempts += runPart(p, req, parts.pop()!, parts);
  return attempts;
}

function fits(d: Deployment, req: SimRequest): boolean {
  if (req.endpoint === 'embeddings') return d.capabilities.embeddings;
  return unmetRequirement(d, req.needs) === undefined;
}

/** Claims `n` real retry slots, or as many as the budget allows (the rest are denied). */
function acquire(budget: RetryBudget, n: number): number {
  let got = 0;
  while (got < n && budget.tryAcquire()) got++;
  return got;
}

function runPart(p: LoopPorts, req: SimRequest, weight: number, rest: number[]): number {
  let n = weight;
  let t = req.t;
  const deadlineAt = req.t + p.requestTimeoutMs;
  const excluded = new Set<string>();
  const tries = new Map<string, number>();
  let attempts = 0;
  let lastFailure: FailureKind | undefined;
  let reason: FailReason = 'unavailable';
  for (let i = 0; i < n; i++) p.budget.requestStarted();
  const end = (at: number): void => p.schedule({ at, run: () => { for (let i = 0; i < n; i++) p.budget.requestEnded(); } });

  const chain = modelChain(p.models, req.facts.model);
  if (!chain.some((pool) => pool.deployments.some((d) => fits(d, req)))) reason = 'unfit';
  chain: for (const pool of chain) {
    const members = pool.deployments.map((d) => d.id);
    const facts = pool.name === req.facts.model ? req.facts : { ...req.facts, model: pool.name };
    for (;;) {
      if (attempts >= p.maxAttempts) break chain;
      const eligible = pool.deployments.filter((d) => !excluded.has(d.id) && fits(d, req));
      const verdict = p.policy.route(pool.name, facts, eligible, t, new Set(tries.keys()));
      if (verdict.blocked && !verdict.allowed.length) {
        reason = 'blocked';
        break chain;
      }
      const choice = chooseDeployment(p.selection, verdict.allowed, tries, t, deadlineAt, verdict.preferred);
      t = choice.at;
      if (choice.kind === 'none') break;
      const dep = choice.dep;
      const isRetry = attempts > 0;
      if (isRetry) {
        const got = acquire(p.budget, n);
        if (got < n) {
          p.failed({ req, weight: n - got, reason: 'budget', at: t, attempts, ...(lastFailure ? { lastFailure } : {}) });
          for (let i = got; i < n; i++) p.budget.requestEnded();
          n = got;
          if (n === 0) return attempts;
        }
      }
      attempts++;
      tries.set(dep.id, (tries.get(dep.id) ?? 0) + 1);
      p.health.onAttemptStart(dep.id, t);
      const r = p.estate.attempt(dep.id, t, n, { tokens: req.promptTokens + req.completionTokens, completion: req.completionTokens }, p.random);
      if (r.ok) {
        if (r.accepted < n) {
          // The rest are requests that arrived when this deployment was full: route them anew.
          rest.push(n - r.accepted);
          for (let i = r.accepted; i < n; i++) p.budget.requestEnded();
          n = r.accepted;
        }
        const id = dep.id;
        const doneAt = t + r.latencyMs;
        p.schedule({ at: doneAt, run: () => {
          p.throttle.record(id, doneAt, true);
          p.health.onSuccess(id);
          p.observeLatency(id, r.latencyMs);
        } });
        const heldSlots = isRetry ? n : 0;
        if (heldSlots) p.schedule({ at: t + r.firstTokenMs, run: () => { for (let i = 0; i < heldSlots; i++) p.budget.release(); } });
        end(t + r.firstTokenMs);
        p.served({ req, weight: n, dep, model: pool.name, at: t, latencyMs: r.latencyMs, verdict, attempts });
        return attempts;
      }
      // A failure: settled when it comes back, before the next hop (as the gateway's settler).
      t += r.latencyMs;
      lastFailure = r.failure;
      reason = 'upstream';
      p.throttle.record(dep.id, t, !(r.failure === 'rate_limited' || r.failure === 'overloaded'));
      const policy = policyFor(r.failure);
      if (r.failure === 'rate_limited') p.health.onRateLimited(dep.id, r.retryAfterMs, t);
      else if (policy.countsAgainstHealth) p.health.onFailure(dep.id, r.failure, t, members);
      // The request runs its hops back to back on its own clock, so a failed retry's slots
      // are free again before anyone else asks (only a serving retry holds them, to first token).
      if (isRetry) for (let i = 0; i < n; i++) p.budget.release();
      if (policy.action === 'stop') break chain;
      if (policy.action === 'failover' || r.failure === 'timeout') excluded.add(dep.id);
    }
  }
  end(t);
  p.failed({ req, weight: n, reason, at: t, attempts, ...(lastFailure ? { lastFailure } : {}) });
  return attempts;
}

/** The requested model's pool, then its fallbacks (and theirs), each once — as ChatProxy.modelChain. */
export function modelChain(models: ReadonlyMap<string, ModelPool>, name: string): ModelPool[] {
  const out: ModelPool[] = [];
  const seen = new Set<string>();
  const visit = (m: string): void => {
    if (seen.has(m)) return;
    seen.add(m);
    const pool = models.get(m);
    if (!pool) return;
    out.push(pool);
    for (const f of pool.fallbacks) visit(f);
  };
  visit(name);
  return out;
}
