// The overload verdict's arithmetic (bench/summary.ts): what goodput shedding on one core can
// keep at 2× saturation, given what a served and a refused request cost.
import { describe, expect, it } from 'vitest';
import type { ClosedResult } from '../bench/load.js';
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

  it('judges shed latency by the median of the rounds\' p99 and memory by the worst round', () => {
    const rss = (r: OverloadRun, mb: number): OverloadRun => ({ ...r, peakRssMb: mb });
    // The median-goodput round (80 % of 4,000) had a 90 ms tail; the other two 30 and 40 ms.
    const rounds = [rss(run(4000, 5000, 30), 250), rss(run(2500, 5000, 40), 420), rss(run(3200, 4000, 90), 300)];
    const verdicts = checks([treaty], summarize([treaty], raw({ treaty: rounds })));
    const shed = verdicts.find((c) => c.what === 'overload 2×: excess shed fast with 429/503')!;
    expect(shed.got).toMatch(/shed p99 40\.0 ms \(median of 30\.0, 40\.0, 90\.0 ms\)/);
    const memory = verdicts.find((c) => c.what === 'overload 2×: memory bounded')!;
    expect(memory.got).toBe('420 MB (the highest round)');
    expect(memory.pass).toBe(false);
    // How late the load generator itself sent is shown beside it (the rig's share of the tail).
    const lagged = rounds.map((r) => ({ ...r, sendLag: pct(12) }));
    expect(checks([treaty], summarize([treaty], raw({ treaty: lagged }))).find((c) => c.what === 'overload 2×: excess shed fast with 429/503')!.got).toMatch(/the load generator itself sent p99 12\.0 ms late \(max 12\.0\)/);
    // Two tails over 50 ms out of three fail it.
    const slow = checks([treaty], summarize([treaty], raw({ treaty: [run(4000, 5000, 30), run(2500, 5000, 60), run(3200, 4000, 90)] })));
    expect(slow.find((c) => c.what === 'overload 2×: excess shed fast with 429/503')!.got).toMatch(/shed p99 60\.0 ms/);
  });

  it('reads results written before the phase was repeated (one run per target)', () => {
    expect(overloadRuns(raw({ treaty: run(3000, 5000, 20) }), 'treaty')).toHaveLength(1);
    const o = summarize([treaty], raw({ treaty: run(3000, 5000, 20) })).treaty!.overload!;
    expect(o.goodputShare.median).toBeCloseTo(0.6, 10);
  });
});

describe('splitting the overload run with Treaty refusing everything', () => {
  const closed = (cpuUsPerReq: number): ClosedResult =>
    ({ concurrency: 64, seconds: 1, rps: 1e6 / cpuUsPerReq, lat: { n: 1, p50: 1, p99: 2, p999: 2, max: 2 }, cpuUsPerReq, cpuUtil: 1, tally: { ok: 0, shed: 0, otherStatus: 0, errors: 0, notSent: 0, statuses: {} }, bodyBytes: 0, gatewayMs: [], contention: { core1Foreign: 0, core0Busy: 0.5, core1Steal: 0 } }) as unknown as ClosedResult;
  // Served at saturation: 100 µs (capacity 10,000/s). Overload, 1 s: 7,000 served and 9,000
  // refused on 0.995 of the core = 7,000 × 110 µs + 9,000 × 25 µs.
  const overload = { rate: 20_000, seconds: 1, offered: 20_000, goodput: 7000, lat: { n: 1, p50: 10, p99: 30, p999: 30, max: 30 }, shedLat: { n: 1, p50: 2, p99: 9, p999: 9, max: 9 }, cpuUsPerReq: 0, cpuUtil: 0.995, peakRssMb: 300, tally: { ok: 7000, shed: 9000, otherStatus: 0, errors: 0, notSent: 0, statuses: {} }, timedOut: 0, held: false, contention: { core1Foreign: 0, core0Busy: 0.5, core1Steal: 0 }, capacity: 10_000 } as unknown as OverloadRun;
  const treaty: TargetInfo = { id: 'treaty', label: 'Treaty', kind: 'treaty', status: 'ok' };
  const raw = (treatyRefusal?: ClosedResult[]): Raw => ({ sat: { treaty: [closed(100)] }, c1: {}, open: {}, stream: {}, openStreams: {}, overload: { treaty: [overload] }, refusalFloor: [closed(20)], ...(treatyRefusal ? { treatyRefusal } : {}) });

  it('charges the refusals at what Treaty spends refusing everything, and the rest to the served requests', () => {
    const b = summarize([treaty], raw([closed(24), closed(25), closed(40)])).treaty!.overload!.bound!;
    expect(b.refusingUs).toBe(25); // the median round
    expect(b.servedOverloadUs).toBeCloseTo(110, 6);
    expect(b.bestGoodput).toBeCloseTo(0.75, 10); // floor: D/S = 0.2
    expect(b.bestGoodputTreaty).toBeCloseTo(2 / 3, 10); // Treaty's own: D/S = 0.25
    const verdict = checks([treaty], summarize([treaty], raw([closed(25)]))).find((c) => c.what === 'overload 2×: goodput');
    expect(verdict?.got).toMatch(/Treaty's own refusal costs 25 µs \(refusing everything: about 67 % at best\), a served request 110 µs during the run, core 100 % busy/);
    expect(verdict?.pass).toBe(false);
  });

  it("does not charge another gateway's refusals at Treaty's cost", () => {
    const peer: TargetInfo = { id: 'peer', label: 'a peer gateway', kind: 'portkey', status: 'ok' };
    const r = raw([closed(25)]);
    r.sat.peer = [closed(100)];
    r.overload.peer = [overload];
    const b = summarize([treaty, peer], r);
    expect(b.treaty!.overload!.bound!.refusingUs).toBe(25);
    expect(b.peer!.overload!.bound!.refusingUs).toBeNaN();
    expect(b.peer!.overload!.bound!.servedOverloadUs).toBeNaN();
  });

  it('falls back to the estimate for results from before the twin existed', () => {
    const b = summarize([treaty], raw()).treaty!.overload!.bound!;
    expect(b.refusingUs).toBeNaN();
    expect(b.servedOverloadUs).toBeNaN();
    // (0.995 s − 7,000 × 100 µs) / 9,000 refusals
    expect(b.treatyRefusalUs).toBeCloseTo((995_000 - 700_000) / 9000, 6);
    const verdict = checks([treaty], summarize([treaty], raw())).find((c) => c.what === 'overload 2×: goodput');
    expect(verdict?.got).toMatch(/CPU above the served requests' came to ~33 µs per refusal here/);
  });
});
