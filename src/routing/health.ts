// Passive health per deployment, as a pure state machine with time passed in: rate-limit
// cooldowns (from retry-after, never shortened), outlier ejection after consecutive failures
// (base × times ejected, capped, jittered, extended by any new failure), half-open probing,
// max-ejection-percent and panic routing.

import { fullJitterMs } from './backoff.js';

export interface HealthConfig {
  /** Consecutive health-relevant failures that eject a deployment. */
  consecutiveFailures: number;
  ejectionBaseMs: number;
  ejectionMaxMs: number;
  /** Up to this much random extra time on each ejection, so replicas do not probe in step. */
  ejectionJitterMs: number;
  /** Never eject more than this share of a pool by outlier detection (at least one may go). */
  maxEjectionPercent: number;
  /** Below this share of available members, route to every member (0 disables panic routing). */
  panicThresholdPercent: number;
  /** Cooldown for a 429 that carried no retry hint: doubled per consecutive 429, capped. */
  rateLimitBaseMs: number;
  rateLimitMaxMs: number;
}

export const DEFAULT_HEALTH: HealthConfig = {
  consecutiveFailures: 5,
  ejectionBaseMs: 30_000,
  ejectionMaxMs: 300_000,
  ejectionJitterMs: 1_000,
  maxEjectionPercent: 50,
  panicThresholdPercent: 0,
  rateLimitBaseMs: 1_000,
  rateLimitMaxMs: 60_000,
};

export interface DeploymentHealth {
  consecutiveFailures: number;
  consecutiveRateLimits: number;
  timesEjected: number;
  /** Epoch ms; ejected while now < ejectedUntil. */
  ejectedUntil: number;
  /** Epoch ms; rate-limited (cooling down) while now < coolingUntil. */
  coolingUntil: number;
  /** The ejection ended but no request has succeeded since: admit one probe at a time. */
  halfOpen: boolean;
  probeInFlight: boolean;
  reason: string | undefined;
}

export type Availability =
  | { state: 'available'; probe: boolean }
  | { state: 'ejected' | 'cooling' | 'probing'; until: number; reason: string };

export interface Selection {
  ids: string[];
  /** Every member was out and panic routing put them all back. */
  panic: boolean;
  /** When nothing is selectable: the soonest any member becomes available, and why. */
  earliest?: { at: number; allCooling: boolean };
}

const fresh = (): DeploymentHealth => ({ consecutiveFailures: 0, consecutiveRateLimits: 0, timesEjected: 0, ejectedUntil: 0, coolingUntil: 0, halfOpen: false, probeInFlight: false, reason: undefined });

// The common answers, made once (asked for every candidate at every hop).
const AVAILABLE: Availability = Object.freeze({ state: 'available', probe: false });
const AVAILABLE_PROBE: Availability = Object.freeze({ state: 'available', probe: true });

export class HealthTracker {
  private readonly states = new Map<string, DeploymentHealth>();

  constructor(
    private readonly cfg: HealthConfig,
    private readonly random: () => number,
  ) {}

  get(id: string): DeploymentHealth {
    let s = this.states.get(id);
    if (!s) {
      s = fresh();
      this.states.set(id, s);
    }
    return s;
  }

  /** Forget everything (an operator's "reset health", and tests between scenarios). */
  reset(): void {
    this.states.clear();
  }

  /** An operator's "put it back in rotation now" for one deployment. */
  resetOne(id: string): void {
    this.states.delete(id);
  }

  snapshot(id: string): Readonly<DeploymentHealth> {
    return { ...this.get(id) };
  }

  availability(id: string, now: number): Availability {
    const s = this.get(id);
    if (now < s.ejectedUntil) return { state: 'ejected', until: s.ejectedUntil, reason: s.reason ?? 'ejected' };
    if (now < s.coolingUntil) return { state: 'cooling', until: s.coolingUntil, reason: s.reason ?? 'rate limited' };
    if (s.halfOpen && s.probeInFlight) return { state: 'probing', until: now + 1_000, reason: 'a probe request is in flight' };
    return s.halfOpen ? AVAILABLE_PROBE : AVAILABLE;
  }

  /** Which members may take a request now. */
  select(ids: readonly string[], now: number): Selection {
    const avail: string[] = [];
    for (const id of ids) if (this.availability(id, now).state === 'available') avail.push(id);
    const threshold = this.cfg.panicThresholdPercent;
    if (threshold > 0 && ids.length > 0 && (avail.length * 100) / ids.length < threshold) {
      // Panic: too few healthy members to carry the load; spread it over all of them rather
      // than crush the survivors. Rate-limited members stay out: they said no explicitly.
      const notCooling = ids.filter((id) => now >= this.get(id).coolingUntil);
      if (notCooling.length > avail.length) return { ids: notCooling, panic: true };
    }
    if (avail.length > 0 || ids.length === 0) return { ids: avail, panic: false };
    let at = Infinity;
    let allCooling = true;
    for (const id of ids) {
      const a = this.availability(id, now);
      if (a.state === 'available') continue;
      at = Math.min(at, a.until);
      if (a.state !== 'cooling') allCooling = false;
    }
    return { ids: [], panic: false, earliest: { at, allCooling } };
  }

  /** An attempt is starting; a half-open deployment admits only this one until it reports back. */
  onAttemptStart(id: string, now: number): void {
    const s = this.get(id);
    if (s.halfOpen && now >= s.ejectedUntil) s.probeInFlight = true;
  }

  onSuccess(id: string): void {
    const s = this.get(id);
    s.consecutiveFailures = 0;
    s.consecutiveRateLimits = 0;
    s.halfOpen = false;
    s.probeInFlight = false;
    s.reason = undefined;
  }

  /** A 429: cool down for the provider's hint, or an exponentially growing wait. Never shortens. */
  onRateLimited(id: string, retryAfterMs: number | undefined, now: number): number {
    const s = this.get(id);
    s.consecutiveRateLimits++;
    s.probeInFlight = false;
    const wait =
      retryAfterMs ??
      // Equal jitter keeps a floor: with base 1 s, a second 429 cannot come before 0.5 s and a
      // third not before 1.5 s, so a throttled deployment sees at most 2 attempts in 1.5 s.
      (() => {
        const ceiling = Math.min(this.cfg.rateLimitMaxMs, this.cfg.rateLimitBaseMs * 2 ** (s.consecutiveRateLimits - 1));
        return ceiling / 2 + this.random() * (ceiling / 2);
      })();
    s.coolingUntil = Math.max(s.coolingUntil, now + wait);
    s.reason = `rate limited${retryAfterMs !== undefined ? ` (retry-after ${Math.round(retryAfterMs)} ms)` : ''}`;
    return s.coolingUntil;
  }

  /**
   * A failure that says something about the deployment's health. `poolIds` are the members of
   * the pool it serves, for max-ejection-percent.
   */
  onFailure(id: string, reason: string, now: number, poolIds: readonly string[]): void {
    const s = this.get(id);
    s.consecutiveFailures++;
    s.probeInFlight = false;
    const ejectedNow = now < s.ejectedUntil;
    if (ejectedNow || s.halfOpen) {
      // Still failing while out (or the probe failed): extend, never shorten.
      if (!ejectedNow) s.timesEjected++;
      s.ejectedUntil = Math.max(s.ejectedUntil, now + this.ejectionMs(s.timesEjected));
      s.halfOpen = true;
      s.reason = reason;
      return;
    }
    if (s.consecutiveFailures < this.cfg.consecutiveFailures) return;
    const othersOut = poolIds.filter((p) => p !== id && now < this.get(p).ejectedUntil).length;
    const pct = ((othersOut + 1) * 100) / Math.max(1, poolIds.length);
    if (othersOut > 0 && pct > this.cfg.maxEjectionPercent) return;
    s.timesEjected++;
    s.ejectedUntil = now + this.ejectionMs(s.timesEjected);
    s.halfOpen = true;
    s.reason = `${s.consecutiveFailures} consecutive failures, last: ${reason}`;
  }

  private ejectionMs(times: number): number {
    const base = Math.min(this.cfg.ejectionMaxMs, this.cfg.ejectionBaseMs * Math.max(1, times));
    return base + fullJitterMs(0, { baseMs: this.cfg.ejectionJitterMs, capMs: this.cfg.ejectionJitterMs }, this.random);
  }
}
