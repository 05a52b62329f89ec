// Where a served request's extra cost under overload goes: one Treaty under --cpu-prof runs a
// saturation window (closed loop, 64 concurrent) and then an overload window (open loop at 2×
// that rate, 1,024 connections), alternating; a twin refusing everything (server.maxInFlight 1,
// its one slot held) is profiled under the same overload, so its per-refusal cost by function
// can be subtracted. Prints, per function, µs per served request at saturation and under
// overload (the refusals' share taken out), largest growth first.
// Usage: node --import tsx bench/overload-profile.ts [--rounds 2] [--seconds 4] [--top 30]
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { closedLoop, holdOneStream, OVERLOAD_WARMUP_MS, overloadLoop } from './load.js';
import type { Proc } from './processes.js';
import { analyse, mainThreadProfile, type Window } from './profile.js';
import { chatBody, REFUSE_ALL_OVERLAY, slotHoldingBody } from './setup.js';
import { startBenchRig, startBenchTreaty } from './treaty-process.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: opt } = parseArgs({ options: { rounds: { type: 'string', default: '2' }, seconds: { type: 'string', default: '4' }, top: { type: 'string', default: '30' } } });
const rounds = Number(opt.rounds);
const ms = 1000 * Number(opt.seconds);
const log = (m: string): void => console.log(`[overload-profile ${new Date().toISOString().slice(11, 19)}] ${m}`);
const nowUs = (): number => Number(process.hrtime.bigint() / 1000n);

// The folder is kept: the profiles are written into it.
const { tmp, benchBuild: build, emu, upstream } = await startBenchRig('treaty-overload-profile-', { keep: true });
const procs: Proc[] = [emu];
const fast = chatBody('bench-fast', false);
const prof = (name: string): string[] => ['--cpu-prof', `--cpu-prof-dir=${join(tmp, `prof-${name}`)}`];
const t = await startBenchTreaty({ name: 'treaty', build, dir: join(tmp, 'treaty'), upstream, overlays: [''], extraNodeArgs: prof('treaty') });
const twin = await startBenchTreaty({ name: 'refuse', build, dir: join(tmp, 'refuse'), upstream, overlays: [REFUSE_ALL_OVERLAY], extraNodeArgs: prof('refuse') });
const release = await holdOneStream(twin.ep, slotHoldingBody());
await closedLoop(t.ep, fast, { concurrency: 64, warmupMs: 3000, durationMs: 1000 });

// An overload loop's measured window starts after its warm-up; the profile is cut to the same window.
const windowOf = (): Window => {
  const fromUs = nowUs() + OVERLOAD_WARMUP_MS * 1000;
  return { fromUs, toUs: fromUs + ms * 1000 };
};
const sat: Window[] = [];
const over: Window[] = [];
const refuse: Window[] = [];
const served = { sat: 0, over: 0 };
const refused = { over: 0, twin: 0 };
for (let r = 0; r < rounds; r++) {
  const from = nowUs();
  const s = await closedLoop(t.ep, fast, { concurrency: 64, warmupMs: 0, durationMs: ms });
  sat.push({ fromUs: from, toUs: nowUs() });
  served.sat += s.tally.ok;
  const rate = Math.round(2 * s.rps);
  over.push(windowOf());
  const o = await overloadLoop(t.ep, fast, rate, ms);
  served.over += o.tally.ok;
  refused.over += o.tally.shed;
  refuse.push(windowOf());
  const f = await overloadLoop(twin.ep, fast, rate, ms);
  refused.twin += f.tally.shed;
  log(`round ${r + 1}: saturation ${s.rps.toFixed(0)}/s at ${s.cpuUsPerReq.toFixed(0)} µs; overload goodput ${o.goodput.toFixed(0)}/s of ${rate} (${((100 * o.goodput) / s.rps).toFixed(0)} %), ${o.tally.shed} shed, core ${o.cpuUtil.toFixed(2)}; twin ${f.tally.shed} refused at ${((f.cpuUtil * f.seconds * 1e6) / Math.max(1, f.tally.shed)).toFixed(1)} µs`);
}
await release();
await t.proc.stop();
await twin.proc.stop();
for (const p of procs.reverse()) await p.stop();

const load = (name: string): unknown => {
  const dir = join(tmp, `prof-${name}`);
  return JSON.parse(readFileSync(mainThreadProfile(dir)!, 'utf8'));
};
// Self µs by function and by area over a set of windows.
interface SelfUs {
  fns: Map<string, number>;
  areas: Map<string, number>;
  total: number;
}
const add = (m: Map<string, number>, k: string, us: number): void => void m.set(k, (m.get(k) ?? 0) + us);
const selfUs = (profile: unknown, windows: Window[]): SelfUs => {
  const out: SelfUs = { fns: new Map(), areas: new Map(), total: 0 };
  for (const w of windows) {
    for (const fn of analyse(profile as never, build, w, [ROOT]).fns) {
      if (fn.fn === '(idle)' || fn.fn === '(root)' || fn.selfMs === 0) continue;
      add(out.fns, `${fn.fn} ${fn.where}`, fn.selfMs * 1000);
      add(out.areas, `[area] ${fn.area}`, fn.selfMs * 1000);
      out.total += fn.selfMs * 1000;
    }
  }
  return out;
};
const main = load('treaty');
const atSat = selfUs(main, sat);
const atOver = selfUs(main, over);
const atRefuse = selfUs(load('refuse'), refuse);
/** Per function (or area): µs per served request at saturation and under overload, the refusals' share taken out. */
const compare = (pick: (x: SelfUs) => Map<string, number>) =>
  [...new Set([...pick(atSat).keys(), ...pick(atOver).keys()])]
    .map((k) => {
      const r = (pick(atRefuse).get(k) ?? 0) / Math.max(1, refused.twin);
      const s = (pick(atSat).get(k) ?? 0) / Math.max(1, served.sat);
      const o = ((pick(atOver).get(k) ?? 0) - r * refused.over) / Math.max(1, served.over);
      return { k, s, o, d: o - s, r };
    })
    .sort((a, b) => b.d - a.d);
const areas = compare((x) => x.areas);
const fns = compare((x) => x.fns);
log(`profiled on-CPU per served request: saturation ${(atSat.total / served.sat).toFixed(0)} µs; overload ${((atOver.total - (atRefuse.total / refused.twin) * refused.over) / served.over).toFixed(0)} µs after ${refused.over} refusals at ${(atRefuse.total / refused.twin).toFixed(1)} µs each`);
console.log('| function | µs/served at saturation | µs/served under overload | growth | µs/refusal (twin) |');
console.log('|---|---|---|---|---|');
for (const r of [...areas, ...fns.slice(0, Number(opt.top)), ...fns.slice(-8)]) console.log(`| ${r.k} | ${r.s.toFixed(2)} | ${r.o.toFixed(2)} | ${r.d >= 0 ? '+' : ''}${r.d.toFixed(2)} | ${r.r.toFixed(2)} |`);
