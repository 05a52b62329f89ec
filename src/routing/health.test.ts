import { describe, expect, it } from 'vitest';
import { fullJitterMs, retryWaitMs } from './backoff.js';
import { DEFAULT_HEALTH, HealthTracker, type HealthConfig } from './health.js';

function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const cfg = (over: Partial<HealthConfig> = {}): HealthConfig => ({ ...DEFAULT_HEALTH, ejectionJitterMs: 0, ...over });
const POOL = ['a', 'b', 'c', 'd'];

describe('back-off (G3)', () => {
  it('draws full-jitter delays within [0, min(cap, base·2^n)], uniformly (KS test)', () => {
    const rnd = mulberry32(7);
    for (const n of [0, 3, 10]) {
      const ceiling = Math.min(10_000, 100 * 2 ** n);
      const xs = Array.from({ length: 10_000 }, () => fullJitterMs(n, { baseMs: 100, capMs: 10_000 }, rnd)).sort((p, q) => p - q);
      expect(xs[0]!).toBeGreaterThanOrEqual(0);
      expect(xs[xs.length - 1]!).toBeLessThanOrEqual(ceiling);
      // Kolmogorov–Smirnov distance to U(0, ceiling); 1.36/sqrt(n) is the 5 % critical value.
      let d = 0;
      xs.forEach((x, i) => (d = Math.max(d, Math.abs((i + 1) / xs.length - x / ceiling))));
      expect(d).toBeLessThan(1.36 / Math.sqrt(xs.length));
    }
  });

  it('prefers the upstream retry hint over back-off', () => {
    expect(retryWaitMs(1500, 4, { baseMs: 100, capMs: 10_000 }, () => 0.99)).toBe(1500);
    expect(retryWaitMs(undefined, 0, { baseMs: 100, capMs: 10_000 }, () => 0.5)).toBe(50);
  });
});

describe('rate-limit cooldowns', () => {
  it('keeps a deployment out for exactly the retry-after it was given', () => {
    const h = new HealthTracker(cfg(), () => 0.5);
    h.onRateLimited('a', 1500, 0);
    expect(h.availability('a', 1499).state).toBe('cooling');
    expect(h.availability('a', 1500).state).toBe('available');
  });

  it('never shortens a cooldown: a later, shorter hint does not bring it back early', () => {
    const h = new HealthTracker(cfg(), () => 0.5);
    h.onRateLimited('a', 60_000, 0);
    h.onRateLimited('a', 1_000, 10);
    expect(h.availability('a', 30_000).state).toBe('cooling');
  });

  it('without a hint, allows at most 2 attempts in the first 1.5 s, whatever the jitter', () => {
    for (const r of [0, 0.001, 0.5, 0.999]) {
      const h = new HealthTracker(cfg(), () => r);
      let now = 0;
      let attempts = 0;
      // A client hammering as fast as the tracker allows, with every attempt answered by 429.
      while (now < 1500) {
        if (h.availability('a', now).state === 'available') {
          attempts++;
          h.onRateLimited('a', undefined, now);
        }
        now += 1;
      }
      expect(attempts).toBeLessThanOrEqual(2);
    }
  });
});

describe('outlier ejection (G6)', () => {
  it('ejects after 5 consecutive failures, for base × times ejected', () => {
    const h = new HealthTracker(cfg({ ejectionBaseMs: 30_000 }), () => 0);
    for (let i = 0; i < 4; i++) h.onFailure('a', '500', i, POOL);
    expect(h.availability('a', 10).state).toBe('available');
    h.onFailure('a', '500', 10, POOL);
    expect(h.availability('a', 11)).toMatchObject({ state: 'ejected', until: 30_010 });
    expect(h.availability('a', 30_010)).toEqual({ state: 'available', probe: true });
  });

  it('a success resets the count of consecutive failures', () => {
    const h = new HealthTracker(cfg(), () => 0);
    for (let i = 0; i < 4; i++) h.onFailure('a', '500', i, POOL);
    h.onSuccess('a');
    for (let i = 0; i < 4; i++) h.onFailure('a', '500', 10 + i, POOL);
    expect(h.availability('a', 20).state).toBe('available');
  });

  it('a failure while ejected extends the deadline, never shortens it', () => {
    const h = new HealthTracker(cfg({ ejectionBaseMs: 30_000 }), () => 0);
    for (let i = 0; i < 5; i++) h.onFailure('a', '500', 0, POOL);
    h.onFailure('a', 'late 500 from an in-flight request', 20_000, POOL);
    expect(h.availability('a', 49_999).state).toBe('ejected');
    expect(h.availability('a', 50_000).state).toBe('available');
  });

  it('Retry-After: 1 followed by an ejection keeps the deployment out for the ejection (LiteLLM #40130)', () => {
    const h = new HealthTracker(cfg({ ejectionBaseMs: 60_000, consecutiveFailures: 1 }), () => 0);
    h.onRateLimited('a', 1_000, 0);
    h.onFailure('a', '500', 1, POOL);
    expect(h.availability('a', 2_000).state).toBe('ejected');
    expect(h.availability('a', 59_000).state).toBe('ejected');
    expect(h.availability('a', 60_001).state).toBe('available');
  });

  it('half-open admits one probe; a failed probe ejects again for twice as long', () => {
    const h = new HealthTracker(cfg({ ejectionBaseMs: 1_000, consecutiveFailures: 1 }), () => 0);
    h.onFailure('a', '500', 0, POOL);
    expect(h.availability('a', 1_000)).toEqual({ state: 'available', probe: true });
    h.onAttemptStart('a', 1_000);
    expect(h.availability('a', 1_001).state).toBe('probing');
    h.onFailure('a', '500', 1_050, POOL);
    expect(h.availability('a', 3_049).state).toBe('ejected');
    expect(h.availability('a', 3_050).state).toBe('available');
  });

  it('a successful probe brings the deployment fully back', () => {
    const h = new HealthTracker(cfg({ ejectionBaseMs: 1_000, consecutiveFailures: 1 }), () => 0);
    h.onFailure('a', '500', 0, POOL);
    h.onAttemptStart('a', 1_000);
    h.onSuccess('a');
    expect(h.availability('a', 1_001)).toEqual({ state: 'available', probe: false });
  });

  it('caps the ejection time and adds jitter within its bound', () => {
    const h = new HealthTracker(cfg({ ejectionBaseMs: 100_000, ejectionMaxMs: 150_000, ejectionJitterMs: 1_000, consecutiveFailures: 1 }), () => 0.999);
    h.onFailure('a', '500', 0, POOL);
    h.onAttemptStart('a', 200_000);
    h.onFailure('a', '500', 200_000, POOL); // second ejection: 2 × base = 200 s, capped at 150 s
    const until = (h.availability('a', 200_001) as { until: number }).until;
    expect(until).toBeGreaterThanOrEqual(350_000);
    expect(until).toBeLessThanOrEqual(351_000);
  });

  it('respects max-ejection-percent: half of a pool of four may be ejected, not three', () => {
    const h = new HealthTracker(cfg({ consecutiveFailures: 1, maxEjectionPercent: 50 }), () => 0);
    for (const id of ['a', 'b', 'c']) h.onFailure(id, '500', 0, POOL);
    expect(POOL.filter((id) => h.availability(id, 1).state === 'ejected')).toEqual(['a', 'b']);
  });

  it('still ejects one member of a two-member pool (at least one may go)', () => {
    const h = new HealthTracker(cfg({ consecutiveFailures: 1, maxEjectionPercent: 10 }), () => 0);
    h.onFailure('a', '500', 0, ['a', 'b']);
    expect(h.availability('a', 1).state).toBe('ejected');
  });
});

describe('selection when members are out (G7)', () => {
  it('reports the soonest return when every member is out', () => {
    const h = new HealthTracker(cfg({ consecutiveFailures: 1, maxEjectionPercent: 100 }), () => 0);
    h.onRateLimited('a', 4_000, 0);
    h.onRateLimited('b', 2_500, 0);
    const s = h.select(['a', 'b'], 1);
    expect(s.ids).toEqual([]);
    expect(s.earliest).toEqual({ at: 2_500, allCooling: true });
    h.onFailure('c', '500', 0, ['c']);
    expect(h.select(['b', 'c'], 1).earliest?.allCooling).toBe(false);
  });

  it('panic routing puts ejected members back when too few are healthy', () => {
    const h = new HealthTracker(cfg({ consecutiveFailures: 1, maxEjectionPercent: 100, panicThresholdPercent: 50 }), () => 0);
    for (const id of ['a', 'b', 'c']) h.onFailure(id, '500', 0, POOL);
    const s = h.select(POOL, 1);
    expect(s.panic).toBe(true);
    expect(s.ids).toEqual(POOL);
  });

  it('without panic routing, only the healthy member is selectable', () => {
    const h = new HealthTracker(cfg({ consecutiveFailures: 1, maxEjectionPercent: 100 }), () => 0);
    for (const id of ['a', 'b', 'c']) h.onFailure(id, '500', 0, POOL);
    expect(h.select(POOL, 1)).toEqual({ ids: ['d'], panic: false });
  });
});
