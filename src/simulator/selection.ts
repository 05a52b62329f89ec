// Which deployment the next attempt goes to, on the virtual clock. This mirrors the gateway's
// chooseDeployment (src/proxy/selection.ts) step for step, with the same pure parts —
// HealthTracker.select, AdaptiveThrottle.shouldReject, pickP2C, fullJitterMs — but where the
// gateway sleeps (back-off, waiting for a cooldown) the simulator advances the request's own
// clock instead. (The lead may move this pure core out of src/proxy so both share it.)

import type { Deployment } from '../domain/deployment.js';
import type { AdaptiveThrottle } from '../routing/adaptive-throttle.js';
import { fullJitterMs } from '../routing/backoff.js';
import { pickP2C } from '../routing/balancer.js';
import type { HealthTracker } from '../routing/health.js';

export interface SelectionPorts {
  health: HealthTracker;
  throttle: AdaptiveThrottle;
  random: () => number;
  /** Balancer inputs: requests in flight (per replica) and the latency EWMA. */
  view(id: string, now: number): { outstanding: number; ewmaMs: number | undefined };
  timing: { minAttemptMs: number; maxRetryWaitMs: number; backoffBaseMs: number; backoffMaxMs: number };
}

export type Choice = { kind: 'dep'; dep: Deployment; at: number } | { kind: 'none'; at: number; exhausted?: { at: number; allCooling: boolean } };

export function chooseDeployment(p: SelectionPorts, eligible: readonly Deployment[], tries: ReadonlyMap<string, number>, now: number, deadlineAt: number, preferred?: readonly string[]): Choice {
  let t = now;
  for (;;) {
    if (deadlineAt - t < p.timing.minAttemptMs) return { kind: 'none', at: t };
    const untried = eligible.filter((d) => !tries.has(d.id));
    const fresh = p.health.select(untried.map((d) => d.id), t);
    const freshDep = pick(p, eligible, fresh.ids, t, preferred);
    if (freshDep) return { kind: 'dep', dep: freshDep, at: t };

    const again = p.health.select(eligible.map((d) => d.id), t);
    const dep = pick(p, eligible, again.ids, t, preferred);
    if (dep) {
      const n = tries.get(dep.id) ?? 0;
      if (n > 0) {
        const wait = fullJitterMs(n - 1, { baseMs: p.timing.backoffBaseMs, capMs: p.timing.backoffMaxMs }, p.random);
        if (t + wait + p.timing.minAttemptMs > deadlineAt) return { kind: 'none', at: t };
        t += wait;
      }
      return { kind: 'dep', dep, at: t };
    }
    // Available members all refused by adaptive throttling: shed locally.
    if (again.ids.length) return { kind: 'none', at: t, exhausted: { at: t + 1_000, allCooling: false } };
    if (!again.earliest) return { kind: 'none', at: t };
    const wait = again.earliest.at - t;
    if (wait > p.timing.maxRetryWaitMs || t + wait + p.timing.minAttemptMs > deadlineAt) return { kind: 'none', at: t, exhausted: again.earliest };
    t += wait;
  }
}

function pick(p: SelectionPorts, eligible: readonly Deployment[], ids: string[], now: number, preferred?: readonly string[]): Deployment | undefined {
  const allowed = new Set(ids);
  if (preferred?.length) {
    for (const id of preferred) {
      if (!allowed.has(id)) continue;
      if (!p.throttle.shouldReject(id, now, p.random)) return eligible.find((d) => d.id === id);
      allowed.delete(id);
    }
  }
  let cands = eligible.filter((d) => allowed.has(d.id)).map((d) => ({ id: d.id, weight: d.weight, ...p.view(d.id, now), dep: d }));
  while (cands.length) {
    const c = pickP2C(cands, p.random)!;
    if (!p.throttle.shouldReject(c.id, now, p.random)) return c.dep;
    cands = cands.filter((x) => x !== c);
  }
  return undefined;
}
