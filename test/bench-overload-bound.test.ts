// The overload verdict's arithmetic (bench/summary.ts): what goodput shedding on one core can
// keep at 2× saturation, given what a served and a refused request cost.
import { describe, expect, it } from 'vitest';
import { bestGoodputAt2x } from '../bench/summary.js';

describe('bestGoodputAt2x', () => {
  it('is the whole capacity when refusing costs nothing', () => {
    expect(bestGoodputAt2x(130, 0)).toBe(1);
  });

  it('is 90 % exactly when a refusal costs an eleventh of a served request', () => {
    expect(bestGoodputAt2x(110, 10)).toBeCloseTo(0.9, 10);
  });

  it('is about half when a refusal costs a third of a served request (node:http on this rig)', () => {
    // 44 µs to refuse, 130 µs to serve: x·130 + (2/130 − x)·44 = 1 per µs.
    const g = bestGoodputAt2x(130, 44);
    expect(g).toBeCloseTo((1 - 88 / 130) / (1 - 44 / 130), 10);
    expect(g).toBeGreaterThan(0.48);
    expect(g).toBeLessThan(0.5);
  });

  it('is zero once refusing the excess alone fills the core', () => {
    expect(bestGoodputAt2x(100, 50)).toBe(0);
    expect(bestGoodputAt2x(100, 80)).toBe(0);
  });

  it('is zero, not a number, for a missing measurement', () => {
    expect(bestGoodputAt2x(100, Number.NaN)).toBe(0);
  });
});
