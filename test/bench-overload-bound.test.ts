// The overload verdict's arithmetic (bench/summary.ts): what goodput shedding on one core can
// keep at 2× saturation, given what a served and a refused request cost.
import { describe, expect, it } from 'vitest';
import { bestGoodputAt2x, checks, overloadRuns, summarize, type OverloadRun, type Raw, type TargetInfo } from '../bench/summary.js';

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

describe('the overload phase over several rounds', () => {
  const run = (goodput: number, capacity: number, shedP99: number): OverloadRun =>
    ({ rate: 2 * capacity, seconds: 3, offered: 2 * capacity, goodput, lat: pct(20), shedLat: pct(shedP99), cpuUsPerReq: 0, cpuUtil: 1, peakRssMb: 300, tally: { ok: 0, shed: 1000, otherStatus: 0, errors: 0, notSent: 0, statuses: {} }, timedOut: 0, held: false, contention: { core1Foreign: 0, core0Busy: 0.5, core1Steal: 0 }, capacity }) as OverloadRun;
  const pct = (p99: number) => ({ n: 1, p50: p99 / 2, p99, p999: p99, max: p99 });
  const raw = (overload: Raw['overload']): Raw => ({ sat: {}, c1: {}, open: {}, stream: {}, openStreams: {}, overload });
  const treaty: TargetInfo = { id: 'treaty', label: 'Treaty', kind: 'treaty', status: 'ok' };

  it('stands for the phase with the round of median goodput, and keeps every round\'s share', () => {
    const sums = summarize([treaty], raw({ treaty: [run(4000, 5000, 30), run(2500, 5000, 90), run(3200, 4000, 40)] }));
    const o = sums.treaty!.overload!;
    expect(o.goodput / o.capacity).toBeCloseTo(0.8, 10); // 0.5, 0.8, 0.8: the median round
    expect(o.goodputShare.values.map((x) => Math.round(100 * x))).toEqual([80, 50, 80]);
    expect([o.goodputShare.min, o.goodputShare.max]).toEqual([0.5, 0.8]);
    const verdict = checks([treaty], sums).find((c) => c.what === 'overload 2×: goodput');
    expect(verdict?.got).toMatch(/the median of 80 %, 50 %, 80 %/);
  });

  it('reads results written before the phase was repeated (one run per target)', () => {
    expect(overloadRuns(raw({ treaty: run(3000, 5000, 20) }), 'treaty')).toHaveLength(1);
    const o = summarize([treaty], raw({ treaty: run(3000, 5000, 20) })).treaty!.overload!;
    expect(o.goodputShare.median).toBeCloseTo(0.6, 10);
  });
});
