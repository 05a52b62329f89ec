import { describe, expect, it } from 'vitest';
import { AdaptiveThrottle, DEFAULT_THROTTLE } from './adaptive-throttle.js';

function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Offers `rps` requests a second for `seconds` on a virtual clock; the upstream accepts a share. */
function run(t: AdaptiveThrottle, rnd: () => number, from: number, seconds: number, rps: number, acceptShare: number) {
  let offered = 0;
  let rejectedLocally = 0;
  let sent = 0;
  for (let s = 0; s < seconds * rps; s++) {
    const now = from + (s * 1000) / rps;
    offered++;
    if (t.shouldReject('a', now, rnd)) {
      rejectedLocally++;
      continue;
    }
    sent++;
    t.record('a', now, rnd() < acceptShare);
  }
  return { offered, rejectedLocally, sent };
}

describe('adaptive throttling (G5)', () => {
  it('never rejects while the upstream accepts everything', () => {
    const t = new AdaptiveThrottle(DEFAULT_THROTTLE);
    const r = run(t, mulberry32(1), 0, 120, 50, 1);
    expect(r.rejectedLocally).toBe(0);
  });

  it('settles within ±5 % of the SRE formula when the upstream accepts 20 %', () => {
    const t = new AdaptiveThrottle(DEFAULT_THROTTLE);
    const rnd = mulberry32(2);
    run(t, rnd, 0, 240, 50, 0.2); // let it settle over two windows
    const steady = run(t, rnd, 240_000, 120, 50, 0.2);
    // The formula, evaluated on the window's own counts at the end, is what the observed local
    // rejection rate must match.
    const expected = t.probability('a', 360_000);
    const observed = steady.rejectedLocally / steady.offered;
    expect(Math.abs(observed - expected)).toBeLessThan(0.05);
    expect(observed).toBeGreaterThan(0.3); // it really throttles
  });

  it('recovers within two minutes once the upstream heals', () => {
    const t = new AdaptiveThrottle(DEFAULT_THROTTLE);
    const rnd = mulberry32(3);
    run(t, rnd, 0, 240, 50, 0.2);
    expect(t.probability('a', 240_000)).toBeGreaterThan(0.3);
    run(t, rnd, 240_000, 105, 50, 1);
    const last = run(t, rnd, 345_000, 15, 50, 1);
    expect(t.probability('a', 360_000)).toBe(0);
    expect(last.sent / last.offered).toBeGreaterThan(0.95);
  });

  it('k = 0 turns it off', () => {
    const t = new AdaptiveThrottle({ ...DEFAULT_THROTTLE, k: 0 });
    run(t, mulberry32(4), 0, 60, 50, 0);
    expect(t.probability('a', 60_000)).toBe(0);
  });
});
