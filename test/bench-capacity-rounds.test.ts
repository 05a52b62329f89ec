// The capacity verdict against the pass-through proxy (bench/summary.ts) also prints each
// round's own ratio: the targets of a round are measured one after another, and on a shared
// host the median of each target's rounds can pair a fast minute of one with a slow minute of
// the other.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import type { ClosedResult } from '../bench/load.js';
import { markdown, type ReportMeta } from '../bench/report.js';
import { checks, contention, roundRatios, summarize, type Raw, type TargetInfo } from '../bench/summary.js';

const sat = (cpuUsPerReq: number): ClosedResult =>
  ({ concurrency: 64, seconds: 3, rps: 1e6 / cpuUsPerReq, cpuUsPerReq, cpuUtil: 1, lat: { n: 1, p50: 1, p99: 2, p999: 3, max: 3 }, tally: { ok: 100, shed: 0, otherStatus: 0, errors: 0, notSent: 0, statuses: {} }, contention: { core1Foreign: 0, core0Busy: 0.5, core1Steal: 0 } }) as unknown as ClosedResult;

describe('capacity against the proxy, round by round', () => {
  it('divides the proxy\'s CPU per request by Treaty\'s in each round, over the rounds both have', () => {
    expect(roundRatios([100, 150, 120], [400, 200, 240])).toEqual([0.25, 0.75, 0.5]);
    expect(roundRatios([100, 150], [200])).toEqual([0.5]);
    expect(roundRatios(undefined, [200])).toEqual([]);
  });

  it('prints them beside the medians\' ratio, which is what the verdict still reads', () => {
    const targets: TargetInfo[] = [
      { id: 'proxy', label: 'proxy', kind: 'proxy', status: 'ok' },
      { id: 'treaty', label: 'Treaty', kind: 'treaty', status: 'ok' },
    ];
    // Medians 146 vs 250 (58 %), while the rounds read 31, 73 and 66 %.
    const raw: Raw = { sat: { proxy: [sat(123), sat(182), sat(146)], treaty: [sat(402), sat(250), sat(222)] }, c1: {}, open: {}, stream: {}, openStreams: {}, overload: {} };
    const c = checks(targets, summarize(targets, raw)).find((x) => x.what.startsWith('saturation vs pass-through proxy'))!;
    expect(c.got).toContain('58 %');
    expect(c.got).toContain('by round 31, 73, 66 %');
    expect(c.pass).toBe(true);
  });

  it('with paired rounds, the verdict reads their median (proxy over Treaty, each the mean of its two readings), and still shows the table\'s medians', () => {
    const targets: TargetInfo[] = [
      { id: 'proxy', label: 'proxy', kind: 'proxy', status: 'ok' },
      { id: 'treaty', label: 'Treaty', kind: 'treaty', status: 'ok' },
    ];
    // The rotation's medians read 146 vs 250 (58 %); the paired rounds 100/210, 110/200, 95/205.
    const raw: Raw = {
      sat: { proxy: [sat(123), sat(182), sat(146)], treaty: [sat(402), sat(250), sat(222)] },
      capacityPairs: [
        { proxy: [sat(90), sat(110)], treaty: [sat(200), sat(220)] },
        { proxy: [sat(110), sat(110)], treaty: [sat(190), sat(210)] },
        { proxy: [sat(95), sat(95)], treaty: [sat(205), sat(205)] },
      ],
      c1: {},
      open: {},
      stream: {},
      openStreams: {},
      overload: {},
    };
    const c = checks(targets, summarize(targets, raw)).find((x) => x.what.startsWith('saturation vs pass-through proxy'))!;
    expect(c.got).toMatch(/^48 %, median of paired rounds 48, 55, 46 %/);
    expect(c.got).toContain("the saturation table's medians: 58 %");
    expect(c.pass).toBe(false);
    raw.capacityPairs![2] = { proxy: [sat(105), sat(105)], treaty: [sat(200), sat(200)] };
    expect(checks(targets, summarize(targets, raw)).find((x) => x.what.startsWith('saturation vs pass-through proxy'))!.pass).toBe(true);
  });

  it('shows, for each variant, its CPU against the default round by round (a run whose medians put log-warn 66 µs dearer)', () => {
    const run = JSON.parse(readFileSync(new URL('../bench/results/bench-2026-12-01T18-05-24-443Z.json', import.meta.url), 'utf8')) as { meta: ReportMeta; targets: TargetInfo[]; raw: Raw };
    const sums = summarize(run.targets, run.raw);
    const md = markdown({ ...run.meta, chart: '' }, run.targets, sums, checks(run.targets, sums), contention(run.raw));
    const row = md.split('\n').find((l) => l.startsWith('| treaty:log-warn | 316'))!;
    const [a, b, c] = [0, 1, 2].map((r) => run.raw.sat['treaty:log-warn']![r]!.cpuUsPerReq / run.raw.sat.treaty![r]!.cpuUsPerReq);
    expect(row).toContain(`| ${a!.toFixed(2)}, ${b!.toFixed(2)}, ${c!.toFixed(2)} |`);
  });

  it('holds the pass-through proxy to the same bound where it has the same measure', () => {
    const run = JSON.parse(readFileSync(new URL('../bench/results/bench-2026-12-01T18-05-24-443Z.json', import.meta.url), 'utf8')) as { meta: ReportMeta; targets: TargetInfo[]; raw: Raw };
    const sums = summarize(run.targets, run.raw);
    const list = checks(run.targets, sums);
    const cpu = list.find((c) => c.target === 'treaty' && c.what.startsWith('CPU per request'))!;
    const proxyCpu = sums.proxy!.sat!.cpuUs.median;
    expect(cpu.proxy).toEqual({ got: `${proxyCpu.toFixed(0)} µs`, pass: proxyCpu <= 200 });
    const ttft = list.find((c) => c.target === 'treaty' && c.what.startsWith('streaming: added time-to-first-token'))!;
    expect(ttft.proxy!.pass).toBe(sums.proxy!.stream!.addedTtftP50.median <= 1);
    // Ratios to the proxy and the overload phase (which the proxy does not run) have no such figure.
    expect(list.find((c) => c.what.startsWith('saturation vs pass-through proxy'))!.proxy).toBeUndefined();
    expect(list.find((c) => c.what === 'overload 2×: goodput')!.proxy).toBeUndefined();
    const md = markdown({ ...run.meta, chart: '' }, run.targets, sums, list, contention(run.raw));
    const row = md.split('\n').find((l) => l.startsWith('| treaty | CPU per request'))!;
    expect(row.endsWith(`| ${proxyCpu.toFixed(0)} µs: ${proxyCpu <= 200 ? 'pass' : 'fail'} |`)).toBe(true);
  });

  it('states the cold penalty measured on core 1 as ratios to the warm time, and says nothing for runs that did not measure it', () => {
    const run = JSON.parse(readFileSync(new URL('../bench/results/bench-2026-12-01T18-05-24-443Z.json', import.meta.url), 'utf8')) as { meta: ReportMeta; targets: TargetInfo[]; raw: Raw };
    const sums = summarize(run.targets, run.raw);
    const render = (meta: ReportMeta): string => markdown(meta, run.targets, sums, checks(run.targets, sums), contention(run.raw));
    expect(render({ ...run.meta, chart: '' })).not.toContain('Cold penalty');
    const md = render({ ...run.meta, chart: '', coldPenalty: { warmUs: 8, afterGapUs: { '1': 10, '50': 36 } } });
    const line = md.split('\n').find((l) => l.startsWith('Cold penalty'))!;
    expect(line).toContain('~8 µs snippet');
    expect(line).toContain('1 ms 1.3×, 50 ms 4.5× as long');
  });
});
