// Where a slow refusal under overload comes from: one Treaty under --cpu-prof (fine sampling)
// takes 2× its saturation rate; every answer's scheduled and completion time is kept on the
// profile's clock (CLOCK_MONOTONIC). Prints (1) the longest spans in the profile where one call
// stayed on Treaty's stack (a long task), with its stack, and (2) for each burst of refusals slower
// than --slow-ms, what Treaty's core did while they waited: on-CPU, GC, idle, top functions,
// and whether any answer at all came back in that time (a gap on the client side).
// With --rate N the rounds are an open loop at N requests/s instead (the bench's fixed-rate phase:
// 512 connections opened as needed), and every answer slower than --slow-ms counts, not only refusals.
// --saturate-between-ms M saturates Treaty for M ms before each round after the first, and
// --idle-between-ms I then leaves it idle for I ms, as the bench does while it measures the others;
// --preconnect opens the fixed-rate rounds' 512 connections before they start.
// Usage: node --import tsx bench/stall-finder.ts [--rounds 3] [--seconds 4] [--slow-ms 50] [--interval-us 250] [--rate 1000] [--saturate-between-ms 3000] [--idle-between-ms 15000]
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { closedLoop, openLoop, overloadLoop } from './load.js';
import { mainThreadProfile, type CpuProfile, type ProfileNode } from './profile.js';
import { chatBody } from './setup.js';
import { startBenchRig, startBenchTreaty } from './treaty-process.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: opt } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' }, seconds: { type: 'string', default: '4' },
    'slow-ms': { type: 'string', default: '50' }, 'interval-us': { type: 'string', default: '250' },
    'min-span-ms': { type: 'string', default: '8' }, timelines: { type: 'string', default: '2' }, 'treaty-node-args': { type: 'string', default: '' },
    rate: { type: 'string', default: '' }, 'saturate-between-ms': { type: 'string', default: '0' }, 'idle-between-ms': { type: 'string', default: '0' }, preconnect: { type: 'boolean', default: false },
  },
});
const log = (m: string): void => console.log(`[stall-finder ${new Date().toISOString().slice(11, 19)}] ${m}`);
// The client's performance.now() mapped onto the monotonic µs clock V8's profiles use.
const h0 = Number(process.hrtime.bigint() / 1000n);
const p0 = performance.now();
const mono = (perfMs: number): number => h0 + (perfMs - p0) * 1000;

// The folder is kept: the profile is written into it.
const { tmp, benchBuild: build, emu, upstream } = await startBenchRig('treaty-stall-finder-', { keep: true });
const fast = chatBody('bench-fast', false);
const extra = opt['treaty-node-args'].split(/\s+/).filter(Boolean);
const nodeArgs = ['--import', join(ROOT, 'bench/stamp-preload.mjs'), ...extra, '--cpu-prof', `--cpu-prof-interval=${opt['interval-us']}`, `--cpu-prof-dir=${join(tmp, 'prof')}`];
const t = await startBenchTreaty({ name: 'treaty', build, dir: join(tmp, 'treaty'), upstream, extraNodeArgs: nodeArgs });
const answers: { from: number; sent: number; to: number; status: number; tin?: number; tout?: number }[] = [];
const sat = await closedLoop(t.ep, fast, { concurrency: 64, warmupMs: 3000, durationMs: 3000 });
const fixedRate = opt.rate ? Number(opt.rate) : undefined;
const rate = fixedRate ?? Math.round(2 * sat.rps);
log(`saturation ${sat.rps.toFixed(0)}/s at ${sat.cpuUsPerReq.toFixed(0)} µs; ${fixedRate ? 'open loop' : 'overload'} at ${rate}/s`);
const trace = {
  header: 'x-bench-at',
  each: (s: number, sent: number, d: number, status: number, at: string | undefined) => {
    const [tin, tout] = at ? at.split(',').map(Number) : [undefined, undefined];
    answers.push({ from: mono(s), sent: mono(sent), to: mono(d), status, tin, tout });
  },
};
const ms = 1000 * Number(opt.seconds);
const between = Number(opt['saturate-between-ms']);
const idle = Number(opt['idle-between-ms']);
for (let r = 0; r < Number(opt.rounds); r++) {
  // As in the bench, where each round's fixed-rate phase follows a saturation phase...
  if (r > 0 && between > 0) await closedLoop(t.ep, fast, { concurrency: 64, warmupMs: 0, durationMs: between });
  // ...and Treaty then idles while the other targets are measured.
  if (r > 0 && idle > 0) await new Promise((res) => setTimeout(res, idle));
  const o = fixedRate
    ? await openLoop(t.ep, fast, { rate, warmupMs: 500, durationMs: ms, drainMs: 2000, maxInFlight: 2000, connections: 512, preconnect: opt.preconnect, trace })
    : await overloadLoop(t.ep, fast, rate, ms, trace);
  log(`round ${r + 1}: goodput ${o.goodput.toFixed(0)}/s (${((100 * o.goodput) / sat.rps).toFixed(0)} %), latency p50 ${o.lat.p50.toFixed(2)} / p99 ${o.lat.p99.toFixed(2)} ms, shed p99 ${o.shedLat.p99.toFixed(1)} ms, send lag p99 ${o.sendLag?.p99.toFixed(1)} ms, Treaty's core ${(100 * o.cpuUtil).toFixed(0)} % busy, core 0 ${(100 * o.contention.core0Busy).toFixed(0)} %`);
}
await t.proc.stop();
await emu.stop();

const dir = join(tmp, 'prof');
const profile = JSON.parse(readFileSync(mainThreadProfile(dir)!, 'utf8')) as CpuProfile;
const prefix = `${pathToFileURL(build).href}/`;
const byId = new Map<number, ProfileNode>(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const label = (id: number): string => {
  const cf = byId.get(id)!.callFrame;
  const where = cf.url ? ` ${cf.url.replace(prefix, '').replace('file://', '')}:${cf.lineNumber + 1}` : '';
  return `${cf.functionName || '(anonymous)'}${where}`;
};
const stackOf = (id: number): number[] => {
  const s: number[] = [];
  for (let c: number | undefined = id; c !== undefined; c = parent.get(c)) s.unshift(c);
  return s;
};
// Sample times on the monotonic clock.
const times: number[] = [];
{
  let tt = profile.startTime;
  for (const d of profile.timeDeltas) times.push((tt += d));
}
const nameOf = (id: number): string => byId.get(id)!.callFrame.functionName;

// (1) Long tasks: maximal runs of consecutive samples with the same node on the stack. A node
// deeper than the loop's own entry points staying on the stack that long is one long call.
const minSpanUs = 1000 * Number(opt['min-span-ms']);
const open = new Map<number, number>(); // node id → index of the sample its run started at
const spans: { id: number; from: number; to: number }[] = [];
let prev = new Set<number>();
profile.samples.forEach((leaf, i) => {
  const cur = new Set(stackOf(leaf));
  for (const id of prev) if (!cur.has(id)) {
    const s = open.get(id)!;
    if (times[i - 1]! - times[s]! >= minSpanUs) spans.push({ id, from: times[s]!, to: times[i - 1]! });
    open.delete(id);
  }
  for (const id of cur) if (!open.has(id)) open.set(id, i);
  prev = cur;
});
// Keep a span only if no deeper span covers most of it (report the deepest long call).
const ENTRY = new Set(['(root)', '(program)', '(idle)']);
// A reduce, not Math.min(...): a run has ~100,000 answers, past what a spread call takes.
const firstAnswer = answers.reduce((m, a) => Math.min(m, a.from), Infinity);
const deepest = spans
  .filter((s) => s.from >= firstAnswer && !ENTRY.has(nameOf(s.id)))
  .filter((s) => !spans.some((d) => d.id !== s.id && stackOf(d.id).includes(s.id) && d.to - d.from >= 0.9 * (s.to - s.from) && d.from >= s.from && d.to <= s.to))
  .sort((a, b) => b.to - b.from - (a.to - a.from));
console.log(`\n## Long spans of one call on Treaty's stack (≥ ${opt['min-span-ms']} ms, sampling every ${opt['interval-us']} µs): ${deepest.length}\n`);
for (const s of deepest.slice(0, 12)) {
  console.log(`- ${((s.to - s.from) / 1000).toFixed(1)} ms at +${((s.from - profile.startTime) / 1e6).toFixed(3)} s:`);
  for (const id of stackOf(s.id).slice(1)) console.log(`    ${label(id)}`);
  // What the call spent its time on: inclusive time of the functions under it (self time of the leaves).
  const under = new Map<string, number>();
  profile.samples.forEach((leaf, i) => {
    if (times[i]! < s.from || times[i]! > s.to) return;
    const st = stackOf(leaf);
    const at = st.indexOf(s.id);
    if (at === -1) return;
    const d = (profile.timeDeltas[i] ?? 0) / 1000;
    for (const id of new Set(st.slice(at + 1).map(label))) under.set(id, (under.get(id) ?? 0) + d);
  });
  const top = [...under.entries()].sort((a, b) => b[1] - a[1]).slice(0, 10);
  if (top.length) console.log(`    under it: ${top.map(([k, v]) => `${v.toFixed(1)} ${k.replace(/ \S+:\d+$/, '')}`).join(' · ')}`);
}

// (2) Bursts of slow refusals.
const slowUs = 1000 * Number(opt['slow-ms']);
// At a fixed rate every slow answer counts; under overload, the refusals.
const what = fixedRate !== undefined ? 'answers' : 'refusals';
const counted = (a: (typeof answers)[number]): boolean => fixedRate !== undefined || a.status !== 200;
const isSlow = (a: (typeof answers)[number]): boolean => counted(a) && a.to - a.from > slowUs;
const slow = answers.filter(isSlow).sort((a, b) => a.from - b.from);
const bursts: { from: number; to: number; n: number; worst: number }[] = [];
for (const a of slow) {
  const b = bursts.at(-1);
  if (b && a.from <= b.to) {
    b.to = Math.max(b.to, a.to);
    b.n++;
    b.worst = Math.max(b.worst, a.to - a.from);
  } else bursts.push({ from: a.from, to: a.to, n: 1, worst: a.to - a.from });
}
const doneTimes = answers.map((a) => a.to).sort((a, b) => a - b);
const longestGap = (from: number, to: number): number => {
  let last = from;
  let gap = 0;
  for (const d of doneTimes) {
    if (d < from) continue;
    if (d > to) break;
    gap = Math.max(gap, d - last);
    last = d;
  }
  return Math.max(gap, to - last);
};
console.log(`\n## Bursts of ${what} slower than ${opt['slow-ms']} ms: ${bursts.length} (${slow.length} of ${answers.filter(counted).length} ${what})\n`);
for (const b of bursts.sort((x, y) => y.worst - x.worst).slice(0, 10)) {
  const self = new Map<string, number>();
  let on = 0;
  let gc = 0;
  let idle = 0;
  profile.samples.forEach((id, i) => {
    const ti = times[i]!;
    if (ti < b.from || ti > b.to) return;
    const d = (profile.timeDeltas[i] ?? 0) / 1000;
    const n = nameOf(id);
    if (n === '(idle)') idle += d;
    else {
      on += d;
      if (n === '(garbage collector)') gc += d;
      self.set(label(id), (self.get(label(id)) ?? 0) + d);
    }
  });
  const top = [...self.entries()].sort((x, y) => y[1] - x[1]).slice(0, 6).map(([k, v]) => `${v.toFixed(1)} ${k}`);
  console.log(`- at +${((b.from - profile.startTime) / 1e6).toFixed(3)} s, ${((b.to - b.from) / 1000).toFixed(1)} ms: ${b.n} slow ${what} (worst ${(b.worst / 1000).toFixed(1)} ms); Treaty on CPU ${on.toFixed(1)} ms, GC ${gc.toFixed(1)}, idle ${idle.toFixed(1)}; longest time with no answer at the client ${(longestGap(b.from, b.to) / 1000).toFixed(1)} ms`);
  for (const l of top) console.log(`    ${l}`);
}

// Where each refusal's time went, from the stamps Treaty's process put on it (bench/stamp-preload.mjs):
// the client's send lag, the way in (kernel, then Treaty's loop reaching the request), Treaty's
// handling, and the way back (kernel, then the client's loop reading the answer).
{
  const parts = (list: typeof answers): string => {
    const q = (xs: number[]): string => {
      xs.sort((a, b) => a - b);
      const at = (p: number): string => (xs.length ? (xs[Math.min(xs.length - 1, Math.floor(p * xs.length))]! / 1000).toFixed(1) : '–');
      return `${at(0.5)} / ${at(0.99)}`;
    };
    const st = list.filter((a) => a.tin !== undefined && a.tout !== undefined);
    return `send lag ${q(st.map((a) => a.sent - a.from))} | way in ${q(st.map((a) => a.tin! - a.sent))} | in Treaty ${q(st.map((a) => a.tout! - a.tin!))} | way back ${q(st.map((a) => a.to - a.tout!))} | total ${q(st.map((a) => a.to - a.from))} ms (p50 / p99 of ${st.length})`;
  };
  const refusals = answers.filter((a) => a.status !== 200);
  console.log(`\n## Where a refusal's time goes (stamped by Treaty's process)\n`);
  console.log(`- every refusal: ${parts(refusals)}`);
  console.log(`- ${what} slower than ${opt['slow-ms']} ms: ${parts(slow)}`);
  console.log(`- served: ${parts(answers.filter((a) => a.status === 200))}`);
}

// (3) The worst bursts in 10 ms bins: what the client scheduled, sent and got back, and what
// Treaty's core did, side by side.
const BIN = 10_000;
for (const b of bursts.sort((x, y) => y.worst - x.worst).slice(0, Number(opt.timelines))) {
  const from = b.from - 50_000;
  const n = Math.ceil((b.to - from) / BIN);
  const bins = Array.from({ length: n }, () => ({ sched: 0, sent: 0, ok: 0, shed: 0, slowDone: 0, on: 0, idle: 0, gc: 0, outstanding: 0 }));
  const at = (t: number): (typeof bins)[number] | undefined => bins[Math.floor((t - from) / BIN)];
  for (const a of answers) {
    const s = at(a.from); if (s && a.from >= from) s.sched++;
    const x = at(a.sent); if (x && a.sent >= from) x.sent++;
    const d = at(a.to);
    if (d && a.to >= from) {
      if (a.status === 200) d.ok++; else d.shed++;
      if (isSlow(a)) d.slowDone++;
    }
    // Sent before the bin ends and not answered before it starts.
    for (let i = Math.max(0, Math.floor((a.sent - from) / BIN)); i < n && from + i * BIN < a.to; i++) if (from + (i + 1) * BIN > a.sent) bins[i]!.outstanding++;
  }
  profile.samples.forEach((id, i) => {
    const bin = at(times[i]!);
    if (!bin || times[i]! < from) return;
    const d = (profile.timeDeltas[i] ?? 0) / 1000;
    const nm = nameOf(id);
    if (nm === '(idle)') bin.idle += d; else { bin.on += d; if (nm === '(garbage collector)') bin.gc += d; }
  });
  console.log(`\n### Timeline of the burst at +${((b.from - profile.startTime) / 1e6).toFixed(3)} s (10 ms bins; counts of requests, Treaty ms)\n`);
  console.log('  bin(ms)  sched  sent  outst   ok  shed  slow  | treaty on  idle   gc');
  bins.forEach((x, i) => console.log(`  ${String(i * 10 - 50).padStart(6)} ${String(x.sched).padStart(6)} ${String(x.sent).padStart(5)} ${String(x.outstanding).padStart(6)} ${String(x.ok).padStart(4)} ${String(x.shed).padStart(5)} ${String(x.slowDone).padStart(5)}  | ${x.on.toFixed(1).padStart(9)} ${x.idle.toFixed(1).padStart(5)} ${x.gc.toFixed(1).padStart(4)}`));
}
