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
import type { FluidRetryBudget } from './budget.js';
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
  /** When this part started routing (the request's arrival, or when a split left it over). */
  startedAt: number;
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
  budget: FluidRetryBudget;
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

/** Real requests of a weighted one that start routing at `t` (the whole request, or the rest of a split). */
interface Part {
  n: number;
  t: number;
}

/** After this many splits on failure, one request's remaining parts fail over together. */
const MAX_FAILURE_SPLITS = 8;

/** Routes one request, and the parts of it deployments could not take whole. */
export function runRequest(p: LoopPorts, req: SimRequest): number {
  const parts: Part[] = [{ n: req.weight, t: req.t }];
  const splits = { left: MAX_FAILURE_SPLITS };
  let attempts = 0;
  while (parts.length) attempts += runPart(p, req, parts.pop()!, parts, splits);
  return attempts;
}

function fits(d: Deployment, req: SimRequest): boolean {
  if (req.endpoint === 'embeddings') return d.capabilities.embeddings;
  return unmetRequirement(d, req.needs) === undefined;
}

function runPart(p: LoopPorts, req: SimRequest, part: Part, rest: Part[], splits: { left: number }): number {
  let n = part.n;
  let t = part.t;
  const deadlineAt = part.t + p.requestTimeoutMs;
  const excluded = new Set<string>();
  const tries = new Map<string, number>();
  let attempts = 0;
  let lastFailure: FailureKind | undefined;
  let reason: FailReason = 'unavailable';
  // Active until the first token: about a first-token time of the estate's default.
  p.budget.requestsStarted(t, n, p.estate.typicalFirstTokenMs());

  const chain = modelChain(p.models, req.facts.model);
  if (!chain.some((pool) => pool.deployments.some((d) => fits(d, req)))) reason = 'unfit';
  chain: for (const pool of chain) {
    const members = pool.deployments.map((d) => d.id);
    const facts = pool.name === req.facts.model ? req.facts : { ...req.facts, model: pool.name };
    for (;;) {
      if (attempts >= p.maxAttempts) break chain;
      const eligible = pool.deployments.filter((d) => !excluded.has(d.id) && fits(d, req));
      const verdict = p.policy.route(pool.name, facts, eligible, t, tries);
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
        const got = p.budget.admitRetries(t, n, p.estate.typicalFirstTokenMs(dep.id));
        if (got < n) {
          p.failed({ req, weight: n - got, reason: 'budget', at: t, attempts, ...(lastFailure ? { lastFailure } : {}) });
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
          rest.push({ n: n - r.accepted, t });
          n = r.accepted;
        }
        const id = dep.id;
        const doneAt = t + r.latencyMs;
        p.schedule({ at: doneAt, run: () => {
          p.throttle.record(id, doneAt, true);
          p.health.onSuccess(id);
          p.observeLatency(id, r.latencyMs);
        } });
        p.served({ req, weight: n, dep, model: pool.name, startedAt: part.t, at: t, latencyMs: r.latencyMs, verdict, attempts });
        return attempts;
      }
      // Only the real requests sent before the failure came back meet it (at least one): the
      // others arrive to a gateway that has seen it — a deployment cooling down, ejected, or
      // throttled — and route anew from then.
      const met = Math.max(1, Math.round((n * r.latencyMs) / 60_000));
      if (met < n && splits.left > 0) {
        splits.left--;
        rest.push({ n: n - met, t: t + r.latencyMs });
        n = met;
      }
      // A failure: settled when it comes back, before the next hop (as the gateway's settler).
      t += r.latencyMs;
      lastFailure = r.failure;
      reason = 'upstream';
      p.throttle.record(dep.id, t, !(r.failure === 'rate_limited' || r.failure === 'overloaded'));
      const policy = policyFor(r.failure);
      if (r.failure === 'rate_limited') p.health.onRateLimited(dep.id, r.retryAfterMs, t);
      else if (policy.countsAgainstHealth) p.health.onFailure(dep.id, r.failure, t, members);
      if (policy.action === 'stop') break chain;
      if (policy.action === 'failover' || r.failure === 'timeout') excluded.add(dep.id);
    }
  }
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
