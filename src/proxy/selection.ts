// Which deployment the next attempt goes to: deployments this request has not tried yet
// come first; a deployment already tried is retried only after a back-off; a rate-limited
// one only once its cooldown ends, and only when that fits in the time left.

import type { Deployment } from '../domain/deployment.js';
import { fullJitterMs } from '../routing/backoff.js';
import { pickP2C } from '../routing/balancer.js';
import type { ProxyPorts, RequestContext } from './ports.js';

/** Every eligible member was out (ejected or cooling): when the first returns, and whether all were only rate-limited. */
export interface Exhausted {
  at: number;
  allCooling: boolean;
}

export type Choice = { kind: 'dep'; dep: Deployment } | { kind: 'none'; exhausted?: Exhausted };

/** `preferred`: the contract policy's order among available deployments; without it, the balancer decides. */
export async function chooseDeployment(ports: ProxyPorts, eligible: Deployment[], tries: ReadonlyMap<string, number>, ctx: RequestContext, preferred?: readonly string[]): Promise<Choice> {
  const { health, timing } = ports;
  for (;;) {
    const now = ports.now();
    if (ctx.deadlineAt - now < timing.minAttemptMs) return { kind: 'none' };
    const untried: string[] = [];
    for (const d of eligible) if (!tries.has(d.id)) untried.push(d.id);
    const fresh = health.select(untried, now);
    const freshDep = pick(ports, eligible, fresh.ids, now, preferred);
    if (freshDep) return { kind: 'dep', dep: freshDep };

    const again = health.select(eligible.map((d) => d.id), now);
    const dep = pick(ports, eligible, again.ids, now, preferred);
    if (dep) {
      const n = tries.get(dep.id) ?? 0;
      if (n > 0) {
        const wait = fullJitterMs(n - 1, { baseMs: timing.backoffBaseMs, capMs: timing.backoffMaxMs }, ports.random);
        if (ports.now() + wait + timing.minAttemptMs > ctx.deadlineAt) return { kind: 'none' };
        await ports.sleep(wait, ctx.signal);
      }
      return { kind: 'dep', dep };
    }
    // Members available but all refused by adaptive throttling: they are failing most of what
    // they get, so shed locally (503, retry in a second) rather than pile on.
    if (again.ids.length) return { kind: 'none', exhausted: { at: now + 1_000, allCooling: false } };
    if (!again.earliest) return { kind: 'none' };
    // Everyone is out. Wait for the first to come back if that is soon and fits the deadline;
    // otherwise answer now, with Retry-After, rather than hold the client.
    const wait = again.earliest.at - now;
    if (wait > timing.maxRetryWaitMs || now + wait + timing.minAttemptMs > ctx.deadlineAt || ctx.signal.aborted) {
      return { kind: 'none', exhausted: again.earliest };
    }
    await ports.sleep(wait, ctx.signal);
    if (ctx.signal.aborted) return { kind: 'none' };
  }
}

/** Balancer pick among `ids`, skipping any the adaptive throttle refuses locally this time. */
function pick(ports: ProxyPorts, eligible: Deployment[], ids: string[], now: number, preferred?: readonly string[]): Deployment | undefined {
  // A pool has a handful of members: lists scanned, no Set or Map built per pick.
  let refused: string[] | undefined;
  if (preferred?.length) {
    for (const id of preferred) {
      if (!ids.includes(id) || refused?.includes(id)) continue;
      if (!ports.throttle.shouldReject(id, now, ports.random)) return eligible.find((d) => d.id === id);
      (refused ??= []).push(id);
    }
  }
  let cands = eligible.filter((d) => ids.includes(d.id) && !refused?.includes(d.id)).map((d) => ({ id: d.id, weight: d.weight, ...ports.stats.view(d.id), dep: d }));
  while (cands.length) {
    const c = pickP2C(cands, ports.random)!;
    if (!ports.throttle.shouldReject(c.id, now, ports.random)) return c.dep;
    cands = cands.filter((x) => x !== c);
  }
  return undefined;
}
