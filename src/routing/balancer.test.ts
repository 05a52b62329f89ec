import { describe, expect, it } from 'vitest';
import { pickP2C, updateEwma, type BalancerCandidate } from './balancer.js';

/** Deterministic PRNG so the distribution assertions are exact for a given seed. */
function mulberry32(seed: number): () => number {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const cand = (id: string, over: Partial<BalancerCandidate> = {}): BalancerCandidate => ({ id, weight: 1, outstanding: 0, ewmaMs: 100, ...over });

describe('weighted power-of-two-choices', () => {
  it('spreads equal deployments evenly', () => {
    const rnd = mulberry32(1);
    const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
    const cs = [cand('a'), cand('b'), cand('c')];
    for (let i = 0; i < 9000; i++) counts[pickP2C(cs, rnd)!.id]!++;
    for (const n of Object.values(counts)) expect(n).toBeGreaterThan(2500);
  });

  it('sends more traffic to the heavier weight', () => {
    const rnd = mulberry32(2);
    const cs = [cand('heavy', { weight: 3 }), cand('light', { weight: 1 })];
    let heavy = 0;
    for (let i = 0; i < 4000; i++) if (pickP2C(cs, rnd)!.id === 'heavy') heavy++;
    expect(heavy / 4000).toBeGreaterThan(0.7);
  });

  it('avoids a deployment with many requests outstanding', () => {
    const rnd = mulberry32(3);
    const cs = [cand('busy', { outstanding: 50 }), cand('idle')];
    let busy = 0;
    for (let i = 0; i < 1000; i++) if (pickP2C(cs, rnd)!.id === 'busy') busy++;
    expect(busy).toBe(0);
  });

  it('prefers the faster deployment at equal load', () => {
    const rnd = mulberry32(4);
    const cs = [cand('slow', { ewmaMs: 900 }), cand('fast', { ewmaMs: 50 })];
    expect(pickP2C(cs, rnd)!.id).toBe('fast');
  });

  it('returns the only candidate, or nothing', () => {
    expect(pickP2C([cand('x')], Math.random)!.id).toBe('x');
    expect(pickP2C([], Math.random)).toBeUndefined();
  });

  it('smooths latency samples', () => {
    expect(updateEwma(undefined, 200)).toBe(200);
    expect(updateEwma(100, 200, 0.5)).toBe(150);
  });
});
