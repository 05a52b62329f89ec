// bench/ab.ts compares trees round by round, a tree's processes folded into one figure, so a
// reading that follows the process's position cancels out when the trees are mirrored.

import { describe, expect, it } from 'vitest';
import { compareTrees, launchOrder, parseTreeSpec } from '../bench/ab-compare.js';

describe('bench/ab: comparing trees', () => {
  it('mirrors the launch order so every tree holds both ends', () => {
    expect(launchOrder(['a', 'b'], true)).toEqual(['a', 'b', 'b', 'a']);
    expect(launchOrder(['a', 'b', 'c'], true)).toEqual(['a', 'b', 'c', 'c', 'b', 'a']);
    expect(launchOrder(['a', 'b'], false)).toEqual(['a', 'b']);
  });

  it('cancels a bias that follows the process position once mirrored', () => {
    // Same code in both trees; the later a process was launched, the lower it reads (10 % a step).
    const positionBias = [1, 0.9, 0.81, 0.729];
    const order = launchOrder(['old', 'new'], true);
    const rounds = [0, 1, 2].map(() => order.map((tree, i) => ({ tree, value: 200 * positionBias[i]! })));
    const [base, other] = compareTrees(rounds);
    expect(base).toMatchObject({ tree: 'old', medianRatio: 1, lower: 0, rounds: 3 });
    expect(other!.medianRatio).toBeCloseTo(1, 10);
    // Unmirrored, the same bias reads as a 10 % gain for whichever tree was launched second.
    const plain = [0, 1, 2].map(() => ['old', 'new'].map((tree, i) => ({ tree, value: 200 * positionBias[i]! })));
    expect(compareTrees(plain)[1]!.medianRatio).toBeCloseTo(0.9, 10);
  });

  it('reports a real difference, round by round, with the rounds it won', () => {
    const rounds = [
      [{ tree: 'old', value: 200 }, { tree: 'new', value: 180 }],
      [{ tree: 'new', value: 190 }, { tree: 'old', value: 200 }],
      [{ tree: 'old', value: 300 }, { tree: 'new', value: 330 }],
    ];
    const [, other] = compareTrees(rounds);
    expect(other).toMatchObject({ tree: 'new', lower: 2, rounds: 3 });
    expect(other!.medianRatio).toBeCloseTo(0.95, 10);
    expect(other!.geoMeanRatio).toBeCloseTo(Math.cbrt(0.9 * 0.95 * 1.1), 10);
  });

  it('reads a tree as DIR[+flag…][@variant], and refuses an empty name', () => {
    expect(parseTreeSpec('/tmp/base')).toEqual({ dir: '/tmp/base', flags: [], variant: undefined });
    expect(parseTreeSpec('.+--max-semi-space-size=64+--single-threaded-gc@ledger-off')).toEqual({ dir: '.', flags: ['--max-semi-space-size=64', '--single-threaded-gc'], variant: 'ledger-off' });
    expect(parseTreeSpec('.@policy-off')).toEqual({ dir: '.', flags: [], variant: 'policy-off' });
    expect(() => parseTreeSpec('.@')).toThrow(/DIR\[\+flag…\]\[@variant\]/);
    expect(() => parseTreeSpec('@ledger-off')).toThrow(/not DIR/);
  });
});
