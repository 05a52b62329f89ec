// How one replica takes in what another saw of a deployment's health. Pure, time passed in;
// it only ever makes a deployment's state stricter (later ejection, later cooldown) except on
// `recovered`, which is another replica's successful half-open probe: proof it serves again.

import type { DeploymentHealth } from '../routing/health.js';

/** What replicas tell each other, in absolute epoch ms (replicas keep their clocks in sync). */
export type HealthNews =
  | { kind: 'health'; id: string; ejectedUntil: number; coolingUntil: number; timesEjected: number; reason: string | null }
  | { kind: 'recovered'; id: string }
  /** An operator's reset of one deployment (id) or of all of them (null). */
  | { kind: 'reset'; id: string | null };

/** This replica's view of a deployment as news for the others, or undefined when it is healthy. */
export function newsOf(id: string, s: Readonly<DeploymentHealth>, now: number): HealthNews | undefined {
  if (s.ejectedUntil <= now && s.coolingUntil <= now) return undefined;
  return { kind: 'health', id, ejectedUntil: s.ejectedUntil > now ? s.ejectedUntil : 0, coolingUntil: s.coolingUntil > now ? s.coolingUntil : 0, timesEjected: s.timesEjected, reason: s.reason ?? null };
}

/**
 * Applies `news` from replica `from` to the local state `s`. `mayEject` says whether ejecting
 * here would still respect max-ejection-percent in every pool of the deployment; `jitterMs`
 * is added to an adopted ejection so replicas do not all probe at the same instant.
 * Returns whether anything changed.
 */
export function mergeNews(s: DeploymentHealth, news: Exclude<HealthNews, { kind: 'reset' }>, from: string, now: number, mayEject: boolean, jitterMs: number): boolean {
  if (news.kind === 'recovered') {
    if (!s.halfOpen && s.ejectedUntil <= now) return false;
    s.ejectedUntil = Math.min(s.ejectedUntil, now);
    s.halfOpen = false;
    s.probeInFlight = false;
    s.consecutiveFailures = 0;
    s.reason = undefined;
    return true;
  }
  let changed = false;
  if (news.coolingUntil > now && news.coolingUntil > s.coolingUntil) {
    s.coolingUntil = news.coolingUntil;
    s.reason = `${news.reason ?? 'rate limited'} (seen by ${from})`;
    changed = true;
  }
  if (mayEject && news.ejectedUntil > now && news.ejectedUntil > s.ejectedUntil) {
    s.ejectedUntil = news.ejectedUntil + jitterMs;
    s.timesEjected = Math.max(s.timesEjected, news.timesEjected);
    // After the ejection, this replica probes too (one request) unless another's probe
    // succeeds first and says so.
    s.halfOpen = true;
    s.probeInFlight = false;
    s.reason = `${news.reason ?? 'ejected'} (seen by ${from})`;
    changed = true;
  }
  return changed;
}
