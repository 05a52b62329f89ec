// From the raw rounds to medians with spread, latency added over the floor, ratios, and the
// issue's targets as pass/fail.

import { HELD_P99_MS, type ClosedResult, type OpenResult, type OpenStreamsResult, type StreamResult } from './load.js';
import type { IoPer } from './procstat.js';
import { spread, type Spread } from './stats.js';

export type TargetKind = 'floor' | 'proxy' | 'treaty' | 'portkey';

export interface TargetInfo {
  id: string;
  label: string;
  kind: TargetKind;
  /** Treaty variants: the YAML overlay over the bench config. */
  overlay?: string;
  status: 'ok' | 'broken' | 'skipped';
  reason?: string;
  /** VmHWM after the zero-latency rounds, and at the very end. */
  peakRssMb?: number;
  finalHwmMb?: number;
}

export interface Raw {
  sat: Record<string, ClosedResult[]>;
  c1: Record<string, ClosedResult[]>;
  /** rate → target → per round. */
  open: Record<string, Record<string, OpenResult[]>>;
  stream: Record<string, StreamResult[]>;
  openStreams: Record<string, OpenStreamsResult>;
  /** Per round since the fifth session; one run per target in older results. */
  overload: Record<string, OverloadRun | OverloadRun[]>;
  /** node:http's cheapest 503 saturated (bench/refusal-floor.ts), per round; absent in older results. */
  refusalFloor?: ClosedResult[];
  /** Treaty refusing everything (maxInFlight 1, its slot held), saturated like the floor, per round; absent in older results. */
  treatyRefusal?: ClosedResult[];
  /** Per round: the proxy and the default Treaty saturated in turn, mirrored (see run.ts); absent before 2026-12-01 20:15. */
  capacityPairs?: CapacityPair[];
}

/** One round's paired capacity measurement: two readings of each, proxy and Treaty adjacent. */
export interface CapacityPair {
  proxy: ClosedResult[];
  treaty: ClosedResult[];
}

/**
 * Each round's paired capacity ratio: the proxy's mean CPU per request over Treaty's, i.e.
 * Treaty's CPU-bound capacity as a share of the proxy's, from readings taken side by side.
 */
export function pairedCapacity(pairs: readonly CapacityPair[] | undefined): number[] {
  const mean = (rs: readonly ClosedResult[]): number => rs.reduce((a, r) => a + r.cpuUsPerReq, 0) / rs.length;
  return (pairs ?? []).filter((p) => p.proxy.length > 0 && p.treaty.length > 0).map((p) => mean(p.proxy) / mean(p.treaty));
}

export interface OpenSummary {
  p50: Spread;
  p99: Spread;
  p999: Spread;
  addedP50: Spread;
  addedP99: Spread;
  addedP999: Spread;
  cpuUs: Spread;
  /** Rounds in which the target kept up with the offered rate, e.g. "3/3". */
  held: string;
  heldAll: boolean;
}

/** System calls and storage writes per unit of work (a request, or a stream), medians over rounds. */
export interface IoSummary {
  reads: Spread;
  writes: Spread;
  storageBytes: Spread;
}

// Results written before I/O was counted have none: NaN, shown as "–".
const ioOf = (rs: { io?: IoPer }[]): IoSummary => ({
  reads: s(rs.map((r) => r.io?.reads ?? NaN)),
  writes: s(rs.map((r) => r.io?.writes ?? NaN)),
  storageBytes: s(rs.map((r) => r.io?.storageBytes ?? NaN)),
});

export interface StreamSummary {
  ttftP50: Spread;
  ttftP99: Spread;
  addedTtftP50: Spread;
  addedTtftP99: Spread;
  cpuUsPerChunk: Spread;
  cpuUsPerStream: Spread;
  spreadMs: Spread;
  eventsPerStream: Spread;
  complete: string;
  completeAll: boolean;
  io: IoSummary;
}

export interface TargetSummary {
  /** cpuByRound: CPU µs per request in each round, in order (a round measures every target once, one after another). */
  sat?: { rps: Spread; cpuUs: Spread; cpuByRound: number[]; util: Spread; foreign: Spread; p50: Spread; p99: Spread; errors: number; projectedRps: number; io: IoSummary };
  /** The default Treaty only: its capacity as a share of the proxy's in each paired round (pairedCapacity). */
  capacityPaired?: number[];
  c1?: { p50: Spread; p99: Spread; addedP50: Spread; addedP99: Spread; gatewayMs?: Spread };
  open: Record<string, OpenSummary>;
  stream?: StreamSummary;
  openStreams?: OpenStreamsResult;
  /** The round with the median goodput (its row and verdicts), the goodput share of every round, and the bound. */
  overload?: OverloadRun & { bound?: OverloadBound; goodputShare: Spread; shedP99: Spread; peakRss: Spread };
}

/** One overload run: the open-loop result and the capacity its offered rate was twice of. */
export type OverloadRun = OpenResult & { capacity: number };

/** Every overload run of a target, whichever way the results were written. */
export function overloadRuns(raw: Raw, id: string): OverloadRun[] {
  const x = raw.overload[id];
  return x === undefined ? [] : Array.isArray(x) ? x : [x];
}

/**
 * What shedding on one core allows. Served requests cost S µs of CPU each, refused ones D;
 * offered 2× capacity (2/S per µs), a core serving x requests/µs and refusing the rest spends
 * x·S + (2/S − x)·D = 1, so x/capacity = (1 − 2D/S) / (1 − D/S): 90 % needs D ≤ S/11.
 */
export interface OverloadBound {
  /** Treaty's CPU µs per served request (saturation median). */
  servedUs: number;
  /** node:http's cheapest refusal, CPU µs (refusal floor median). */
  refusalFloorUs: number;
  /** Best goodput share at 2× if every refusal cost only the floor. */
  bestGoodput: number;
  /** Treaty's own CPU per refusal, estimated from the overload run: (CPU − served × servedUs) / refused. */
  treatyRefusalUs: number;
  /** Treaty's CPU per refusal measured directly, refusing everything (median); NaN in older results. */
  refusingUs: number;
  /** Best goodput share at 2× with refusals at `refusingUs`. */
  bestGoodputTreaty: number;
  /** CPU per served request during the overload run, its refusals charged at `refusingUs`: (CPU − refused × refusingUs) / served. */
  servedOverloadUs: number;
  /** Share of the core in use during the overload run (what shedding left idle is 1 − this). */
  cpuUtil: number;
}

/** The goodput verdict's note on Treaty's own costs: measured refusing everything, or (older results) estimated. */
function treatyPart(b: OverloadBound): string {
  if (Number.isFinite(b.refusingUs)) {
    const served = Number.isFinite(b.servedOverloadUs) ? `, a served request ${f(b.servedOverloadUs, 0)} µs during the run` : '';
    return `; Treaty's own refusal costs ${f(b.refusingUs, 0)} µs (refusing everything: about ${f(100 * b.bestGoodputTreaty, 0)} % at best)${served}, core ${f(100 * b.cpuUtil, 0)} % busy`;
  }
  return b.treatyRefusalUs > 0 ? ` (CPU above the served requests' came to ~${f(b.treatyRefusalUs, 0)} µs per refusal here)` : '';
}

export function bestGoodputAt2x(servedUs: number, refusalUs: number): number {
  const d = refusalUs / servedUs;
  if (!(d >= 0) || d >= 0.5) return 0;
  return (1 - 2 * d) / (1 - d);
}

const s = (xs: number[]): Spread => spread(xs);

/** Per-round difference against the floor's same round (rounds where both ran). */
function added(target: number[], floor: number[] | undefined): Spread {
  if (!floor) return s([]);
  return s(target.map((v, i) => v - (floor[i] ?? NaN)));
}

export function summarize(targets: TargetInfo[], raw: Raw): Record<string, TargetSummary> {
  const out: Record<string, TargetSummary> = {};
  const floorC1 = raw.c1.floor?.map((r) => r.lat);
  const floorStream = raw.stream.floor;
  for (const t of targets) {
    const sum: TargetSummary = { open: {} };
    const sat = raw.sat[t.id];
    if (sat?.length) {
      const cpu = s(sat.map((r) => r.cpuUsPerReq));
      sum.sat = {
        rps: s(sat.map((r) => r.rps)),
        cpuUs: cpu,
        cpuByRound: sat.map((r) => r.cpuUsPerReq),
        util: s(sat.map((r) => r.cpuUtil)),
        foreign: s(sat.map((r) => r.contention.core1Foreign)),
        p50: s(sat.map((r) => r.lat.p50)),
        p99: s(sat.map((r) => r.lat.p99)),
        errors: sat.reduce((n, r) => n + r.tally.errors + r.tally.otherStatus + r.tally.shed, 0),
        projectedRps: 1e6 / cpu.median,
        io: ioOf(sat),
      };
    }
    if (t.kind === 'treaty' && !t.overlay && raw.capacityPairs?.length) sum.capacityPaired = pairedCapacity(raw.capacityPairs);
    const c1 = raw.c1[t.id];
    if (c1?.length) {
      const gw = c1.flatMap((r) => r.gatewayMs);
      sum.c1 = {
        p50: s(c1.map((r) => r.lat.p50)),
        p99: s(c1.map((r) => r.lat.p99)),
        addedP50: added(c1.map((r) => r.lat.p50), floorC1?.map((l) => l.p50)),
        addedP99: added(c1.map((r) => r.lat.p99), floorC1?.map((l) => l.p99)),
        ...(gw.length ? { gatewayMs: s(gw) } : {}),
      };
    }
    for (const [rate, byTarget] of Object.entries(raw.open)) {
      const runs = byTarget[t.id];
      if (!runs?.length) continue;
      const floor = byTarget.floor;
      const pick = (k: 'p50' | 'p99' | 'p999', rs: OpenResult[] | undefined): number[] | undefined => rs?.map((r) => r.lat[k]);
      const heldN = runs.filter((r) => r.held).length;
      sum.open[rate] = {
        p50: s(pick('p50', runs)!),
        p99: s(pick('p99', runs)!),
        p999: s(pick('p999', runs)!),
        addedP50: added(pick('p50', runs)!, pick('p50', floor)),
        addedP99: added(pick('p99', runs)!, pick('p99', floor)),
        addedP999: added(pick('p999', runs)!, pick('p999', floor)),
        cpuUs: s(runs.map((r) => r.cpuUsPerReq)),
        held: `${heldN}/${runs.length}`,
        heldAll: heldN === runs.length,
      };
    }
    const st = raw.stream[t.id];
    if (st?.length) {
      const completeN = st.reduce((n, r) => n + r.complete, 0);
      const totalN = st.reduce((n, r) => n + r.streams, 0);
      sum.stream = {
        ttftP50: s(st.map((r) => r.ttft.p50)),
        ttftP99: s(st.map((r) => r.ttft.p99)),
        addedTtftP50: added(st.map((r) => r.ttft.p50), floorStream?.map((r) => r.ttft.p50)),
        addedTtftP99: added(st.map((r) => r.ttft.p99), floorStream?.map((r) => r.ttft.p99)),
        cpuUsPerChunk: s(st.map((r) => r.cpuUsPerChunk)),
        cpuUsPerStream: s(st.map((r) => r.cpuUsPerStream)),
        spreadMs: s(st.map((r) => r.spreadMs)),
        eventsPerStream: s(st.map((r) => r.eventsPerStream)),
        complete: `${completeN}/${totalN}`,
        completeAll: completeN === totalN,
        io: ioOf(st),
      };
    }
    if (raw.openStreams[t.id]) sum.openStreams = raw.openStreams[t.id];
    const runs = overloadRuns(raw, t.id);
    if (runs.length) {
      const share = (r: OverloadRun): number => r.goodput / r.capacity;
      const byShare = [...runs].sort((a, b) => share(a) - share(b));
      // The median round (the lower middle one of an even count) stands for the phase.
      const ov = byShare[(byShare.length - 1) >> 1]!;
      sum.overload = { ...ov, goodputShare: s(runs.map(share)), shedP99: s(runs.map((r) => (r.tally.shed ? r.shedLat.p99 : NaN))), peakRss: s(runs.map((r) => r.peakRssMb)) };
      const servedUs = sum.sat?.cpuUs.median ?? NaN;
      const refusalFloorUs = s((raw.refusalFloor ?? []).map((r) => r.cpuUsPerReq)).median;
      if (Number.isFinite(servedUs) && Number.isFinite(refusalFloorUs)) {
        const cpuUs = ov.cpuUtil * ov.seconds * 1e6;
        const refused = ov.tally.shed;
        const treatyRefusalUs = refused > 0 ? (cpuUs - ov.goodput * ov.seconds * servedUs) / refused : NaN;
        // The twin is Treaty's: its refusal cost says nothing of another gateway's.
        const refusingUs = t.kind === 'treaty' ? s((raw.treatyRefusal ?? []).map((r) => r.cpuUsPerReq)).median : NaN;
        const served = ov.goodput * ov.seconds;
        sum.overload.bound = {
          servedUs,
          refusalFloorUs,
          bestGoodput: bestGoodputAt2x(servedUs, refusalFloorUs),
          treatyRefusalUs,
          refusingUs,
          bestGoodputTreaty: Number.isFinite(refusingUs) ? bestGoodputAt2x(servedUs, refusingUs) : NaN,
          servedOverloadUs: Number.isFinite(refusingUs) && served > 0 ? (cpuUs - refused * refusingUs) / served : NaN,
          cpuUtil: ov.cpuUtil,
        };
      }
    }
    out[t.id] = sum;
  }
  return out;
}

export interface Check {
  target: string;
  what: string;
  want: string;
  got: string;
  pass: boolean | undefined; // undefined: not measured
  /**
   * The pass-through proxy on the same measure, where it has one: a target the 40-line proxy
   * itself misses on this machine says more about the machine than about any gateway on it.
   */
  proxy?: { got: string; pass: boolean | undefined };
}

const f = (x: number, d = 2): string => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');

/**
 * Round by round, one target's CPU per request over another's, over the rounds both have: the
 * proxy's over Treaty's is Treaty's capacity as a share of the proxy's; a variant's over the
 * default's, what the switch costs.
 */
export function roundRatios(a: readonly number[] | undefined, b: readonly number[] | undefined): number[] {
  if (!a || !b) return [];
  const n = Math.min(a.length, b.length);
  return Array.from({ length: n }, (_, i) => a[i]! / b[i]!);
}

/** The issue's targets, for each Treaty variant. */
export function checks(targets: TargetInfo[], sums: Record<string, TargetSummary>): Check[] {
  const out: Check[] = [];
  const portkey = targets.find((t) => t.kind === 'portkey' && t.status === 'ok');
  const proxy = targets.find((t) => t.kind === 'proxy' && t.status === 'ok');
  const floorStream = sums.floor?.stream;
  // The targets hold for the default path; variants (overlays) show what each switch costs.
  for (const t of targets.filter((x) => x.kind === 'treaty' && x.status === 'ok' && !x.overlay)) {
    const m = sums[t.id]!;
    const add = (what: string, want: string, got: string, pass: boolean | undefined, floor?: Check['proxy']): void =>
      void out.push({ target: t.id, what, want, got, pass, ...(floor ? { proxy: floor } : {}) });
    const pm = proxy ? sums[proxy.id] : undefined;
    /** The proxy's figure against the same bound, or undefined when the run did not measure it. */
    const atMost = (x: number | undefined, bound: number, text: (x: number) => string, held = true): Check['proxy'] =>
      x !== undefined && Number.isFinite(x) ? { got: text(x), pass: x <= bound && held } : undefined;
    // Capacities compare as CPU-bound req/s (1e6 / CPU µs per request on the pinned core): the
    // measured req/s of a cheap target is capped by the rig (core 0 runs load and emulator).
    const cap = (id: string | undefined): number => (id ? sums[id]?.sat?.projectedRps ?? NaN : NaN);
    const rps = (id: string | undefined): number => (id ? sums[id]?.sat?.rps.median ?? NaN : NaN);
    const mine = cap(t.id);
    const pk = cap(portkey?.id);
    const px = cap(proxy?.id);
    add('saturation vs Portkey (CPU-bound capacity)', '≥ 6×', `${f(mine / pk, 1)}× (${f(mine, 0)} vs ${f(pk, 0)} req/s per core; measured ${f(rps(t.id), 0)} vs ${f(rps(portkey?.id), 0)} req/s)`, Number.isFinite(pk) ? mine / pk >= 6 : undefined);
    // Each round's own ratio too: the targets are measured one after another, and on a shared
    // host one run's rounds read 31, 73 and 66 % while the medians said 58 %.
    const byRound = proxy ? roundRatios(sums[proxy.id]?.sat?.cpuByRound, m.sat?.cpuByRound) : [];
    const rounds = byRound.length > 1 ? `; by round ${byRound.map((x) => f(100 * x, 0)).join(', ')} %` : '';
    const fromTable = `${f((100 * mine) / px, 0)} % (${f(mine, 0)} vs ${f(px, 0)} req/s per core; measured ${f(rps(t.id), 0)} vs ${f(rps(proxy?.id), 0)} req/s${rounds})`;
    // With paired rounds (runs since 2026-12-01 20:15) the verdict reads their median: every
    // round is shown, and the saturation table's medians beside them.
    const paired = m.capacityPaired ?? [];
    if (paired.length > 0) {
      const med = spread(paired).median;
      add('saturation vs pass-through proxy (CPU-bound capacity)', '≥ 50 %', `${f(100 * med, 0)} %, median of paired rounds ${paired.map((x) => f(100 * x, 0)).join(', ')} % (proxy and Treaty in turn, mirrored); the saturation table's medians: ${fromTable}`, med >= 0.5);
    } else add('saturation vs pass-through proxy (CPU-bound capacity)', '≥ 50 %', fromTable, Number.isFinite(px) ? mine / px >= 0.5 : undefined);
    const cpu = m.sat?.cpuUs.median ?? NaN;
    const us = (x: number): string => `${f(x, 0)} µs`;
    const ms = (x: number): string => `${f(x, 3)} ms`;
    add('CPU per request (auth, limits, policy, ledger on)', '≤ 200 µs', `${f(cpu, 0)} µs`, Number.isFinite(cpu) ? cpu <= 200 : undefined, atMost(pm?.sat?.cpuUs.median, 200, us));
    const o1 = m.open['1000'];
    const po1 = pm?.open['1000'];
    add('added p50 at 1,000 req/s', '≤ 0.5 ms', o1 ? `${f(o1.addedP50.median, 3)} ms` : 'n/a', o1 ? o1.addedP50.median <= 0.5 && o1.heldAll : undefined, atMost(po1?.addedP50.median, 0.5, ms, po1?.heldAll));
    add('added p99 at 1,000 req/s', '≤ 2 ms', o1 ? `${f(o1.addedP99.median, 3)} ms` : 'n/a', o1 ? o1.addedP99.median <= 2 && o1.heldAll : undefined, atMost(po1?.addedP99.median, 2, ms, po1?.heldAll));
    const c1 = m.c1?.addedP50.median ?? NaN;
    add('added p50 at concurrency 1', '≤ 0.45 ms', `${f(c1, 3)} ms`, Number.isFinite(c1) ? c1 <= 0.45 : undefined, atMost(pm?.c1?.addedP50.median, 0.45, ms));
    const ttft = m.stream?.addedTtftP50.median ?? NaN;
    add('streaming: added time-to-first-token p50', '≤ 1 ms', `${f(ttft, 3)} ms`, Number.isFinite(ttft) ? ttft <= 1 : undefined, atMost(pm?.stream?.addedTtftP50.median, 1, ms));
    const chunk = m.stream?.cpuUsPerChunk.median ?? NaN;
    const pxChunk = pm?.stream?.cpuUsPerChunk.median ?? NaN;
    add('streaming: CPU per streamed chunk', '≤ 80 µs', `${f(chunk, 1)} µs (pass-through proxy: ${f(pxChunk, 1)} µs)`, Number.isFinite(chunk) ? chunk <= 80 : undefined, atMost(pxChunk, 80, (x) => `${f(x, 1)} µs`));
    const sp = m.stream?.spreadMs.median ?? NaN;
    const fsp = floorStream?.spreadMs.median ?? NaN;
    add(
      'streaming: never buffers (first→last token spread vs floor, all streams complete)',
      '≥ 90 % of floor',
      `${f((100 * sp) / fsp, 0)} % (${f(sp, 0)} vs ${f(fsp, 0)} ms), ${m.stream?.complete ?? 'n/a'} complete`,
      Number.isFinite(sp) && Number.isFinite(fsp) ? sp >= 0.9 * fsp && (m.stream?.completeAll ?? false) : undefined,
    );
    const os = m.openStreams;
    add(
      `open streams held (${os?.wanted ?? 2000}) under 400 MB RSS`,
      'all open, < 400 MB',
      os ? `${os.opened}/${os.wanted} open, ${f(os.rssHeldMb, 0)} MB` : 'n/a',
      os ? os.opened === os.wanted && os.rssHeldMb < 400 : undefined,
    );
    const ov = m.overload;
    if (ov) {
      const good = ov.goodput / ov.capacity;
      // Excess: what was offered beyond what was served within the window. A gateway that
      // sheds answers it with fast 429/503; one that queues serves it late or times it out.
      const excessRate = Math.max(0, ov.offered - ov.goodput);
      const shedRate = ov.tally.shed / ov.seconds;
      const noExcess = excessRate < 0.1 * ov.offered;
      const b = ov.bound;
      const limit = b
        ? `; node:http's cheapest refusal costs ${f(b.refusalFloorUs, 0)} µs against ${f(b.servedUs, 0)} µs per served request, so shedding on one core allows about ${f(100 * b.bestGoodput, 0)} %${treatyPart(b)}`
        : '';
      const rounds = ov.goodputShare.values.length > 1 ? `, the median of ${ov.goodputShare.values.map((x) => `${f(100 * x, 0)} %`).join(', ')}` : '';
      add('overload 2×: goodput', '≥ 90 % of capacity', `${f(100 * good, 0)} % (${f(ov.goodput, 0)} of ${f(ov.capacity, 0)} req/s, offered ${f(ov.offered, 0)}${rounds})${limit}`, good >= 0.9);
      // Shed latency as every other latency here: the median of the rounds' p99, the rounds shown
      // (one round's tail is as much the host's as the gateway's). Memory: the worst round.
      const { shedP99 } = ov;
      const p99s = shedP99.values.length > 1 ? ` (median of ${shedP99.values.map((x) => f(x, 1)).join(', ')} ms)` : '';
      add(
        'overload 2×: excess shed fast with 429/503',
        '≥ 90 % of the excess as 429/503, p99 ≤ 50 ms',
        `excess ${f(excessRate, 0)}/s, shed ${f(shedRate, 0)}/s (${ov.tally.shed} 429/503, shed p99 ${Number.isFinite(shedP99.median) ? f(shedP99.median, 1) : 'n/a'} ms${p99s}), ${ov.tally.errors + ov.timedOut} errors/timeouts, ${ov.tally.notSent} over the client's in-flight cap, served p50/p99 ${f(ov.lat.p50, 0)}/${f(ov.lat.p99, 0)} ms${ov.sendLag ? `; the load generator itself sent p99 ${f(ov.sendLag.p99, 1)} ms late (max ${f(ov.sendLag.max, 1)})` : ''}${noExcess ? ' — no real excess (capacity was underestimated)' : ''}`,
        noExcess ? ov.lat.p99 <= HELD_P99_MS : shedRate >= 0.9 * excessRate && shedP99.median <= 50,
      );
      const peak = ov.peakRss.max;
      add('overload 2×: memory bounded', '< 400 MB peak RSS', `${f(peak, 0)} MB${ov.peakRss.values.length > 1 ? ' (the highest round)' : ''}`, peak < 400);
    } else {
      add('overload 2×', 'goodput ≥ 90 %, fast 429/503', 'n/a', undefined);
    }
  }
  return out;
}

export interface ContentionRow {
  phase: string;
  core1Foreign: Spread;
  core0Busy: Spread;
  core1Steal: Spread;
}

/** How busy the machine was around each phase, over all targets and rounds. */
export function contention(raw: Raw): ContentionRow[] {
  const rows: ContentionRow[] = [];
  const add = (phase: string, cs: { core1Foreign: number; core0Busy: number; core1Steal?: number }[]): void => {
    // Results written before steal was recorded have none: NaN, shown as "–".
    if (cs.length) rows.push({ phase, core1Foreign: s(cs.map((c) => c.core1Foreign)), core0Busy: s(cs.map((c) => c.core0Busy)), core1Steal: s(cs.map((c) => c.core1Steal ?? NaN)) });
  };
  add('saturation', Object.values(raw.sat).flat().map((r) => r.contention));
  add('concurrency 1', Object.values(raw.c1).flat().map((r) => r.contention));
  for (const [rate, byTarget] of Object.entries(raw.open)) add(`open loop ${rate}/s`, Object.values(byTarget).flat().map((r) => r.contention));
  add('streaming', Object.values(raw.stream).flat().map((r) => r.contention));
  // Overload: a saturated core 0 here means the client sent late and its latencies (sheds
  // included) hold its own queue, not only the gateway's.
  add('overload 2×', Object.keys(raw.overload ?? {}).flatMap((id) => overloadRuns(raw, id)).map((r) => r.contention));
  return rows;
}
