// Where a served request's extra cost under overload goes: one Treaty under --cpu-prof runs a
// saturation window (closed loop, 64 concurrent) and then an overload window (open loop at 2×
// that rate, 1,024 connections), alternating; a twin refusing everything (server.maxInFlight 1,
// its one slot held) is profiled under the same overload, so its per-refusal cost by function
// can be subtracted. Prints, per function, µs per served request at saturation and under
// overload (the refusals' share taken out), largest growth first.
// Usage: node --import tsx bench/overload-profile.ts [--rounds 2] [--seconds 4] [--top 30]
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { closedLoop, holdOneStream, openLoop } from './load.js';
import { pinSelf } from './procstat.js';
import { spawnNode, type Proc } from './processes.js';
import { analyse, type Window } from './profile.js';
import { chatBody, slotHoldingBody, treatyLaunchFlags } from './setup.js';
import { transpileTree } from './transpile.js';
import { startBenchTreaty } from './treaty-process.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: opt } = parseArgs({ options: { rounds: { type: 'string', default: '2' }, seconds: { type: 'string', default: '4' }, top: { type: 'string', default: '30' } } });
const rounds = Number(opt.rounds);
const ms = 1000 * Number(opt.seconds);
const log = (m: string): void => console.log(`[overload-profile ${new Date().toISOString().slice(11, 19)}] ${m}`);
const nowUs = (): number => Number(process.hrtime.bigint() / 1000n);

pinSelf('0');
const tmp = mkdtempSync(join(tmpdir(), 'treaty-overload-profile-'));
const build = join(tmp, 'build');
transpileTree(ROOT, ['src', 'bench'], build, join(ROOT, 'node_modules'));
const procs: Proc[] = [];
const emu = await spawnNode({ name: 'emulator', cpu: '0', cwd: ROOT, nodeArgs: [join(build, 'bench/emulator-server.js')], logFile: join(tmp, 'emulator.log'), hello: true });
procs.push(emu);
const upstream = String(emu.hello!.url);
const fast = chatBody('bench-fast', false);
const prof = (name: string): string[] => [...treatyLaunchFlags(ROOT), '--cpu-prof', `--cpu-prof-dir=${join(tmp, `prof-${name}`)}`];
const t = await startBenchTreaty({ name: 'treaty', build, dir: join(tmp, 'treaty'), upstream, overlays: [''], nodeArgs: prof('treaty') });
const twin = await startBenchTreaty({ name: 'refuse', build, dir: join(tmp, 'refuse'), upstream, overlays: ['server:\n  maxInFlight: 1\n'], nodeArgs: prof('refuse') });
const release = await holdOneStream(twin.ep, slotHoldingBody());
await closedLoop(t.ep, fast, { concurrency: 64, warmupMs: 3000, durationMs: 1000 });

const sat: Window[] = [];
const over: Window[] = [];
const refuse: Window[] = [];
const served = { sat: 0, over: 0 };
const refused = { over: 0, twin: 0 };
for (let r = 0; r < rounds; r++) {
  let from = nowUs();
  const s = await closedLoop(t.ep, fast, { concurrency: 64, warmupMs: 0, durationMs: ms });
  sat.push({ fromUs: from, toUs: nowUs() });
  served.sat += s.tally.ok;
  const rate = Math.round(2 * s.rps);
  const warmupMs = 500;
  from = nowUs() + warmupMs * 1000;
  const o = await openLoop(t.ep, fast, { rate, warmupMs, durationMs: ms, drainMs: 2000, maxInFlight: 4000, connections: 1024, preconnect: true });
  over.push({ fromUs: from, toUs: from + ms * 1000 });
  served.over += o.tally.ok;
  refused.over += o.tally.shed;
  from = nowUs() + warmupMs * 1000;
  const f = await openLoop(twin.ep, fast, { rate, warmupMs, durationMs: ms, drainMs: 2000, maxInFlight: 4000, connections: 1024, preconnect: true });
  refuse.push({ fromUs: from, toUs: from + ms * 1000 });
  refused.twin += f.tally.shed;
  log(`round ${r + 1}: saturation ${s.rps.toFixed(0)}/s at ${s.cpuUsPerReq.toFixed(0)} µs; overload goodput ${o.goodput.toFixed(0)}/s of ${rate} (${((100 * o.goodput) / s.rps).toFixed(0)} %), ${o.tally.shed} shed, core ${o.cpuUtil.toFixed(2)}; twin ${f.tally.shed} refused at ${((f.cpuUtil * f.seconds * 1e6) / Math.max(1, f.tally.shed)).toFixed(1)} µs`);
}
await release();
await t.proc.stop();
await twin.proc.stop();
for (const p of procs.reverse()) await p.stop();

// Self µs by function over a set of windows.
const load = (name: string) => JSON.parse(readFileSync(join(tmp, `prof-${name}`, readdirSync(join(tmp, `prof-${name}`)).find((f) => f.endsWith('.cpuprofile'))!), 'utf8'));
const selfUs = (profile: unknown, windows: Window[]): Map<string, number> => {
  const m = new Map<string, number>();
  for (const w of windows) {
    for (const fn of analyse(profile as never, build, w, [ROOT]).fns) {
      if (fn.fn === '(idle)' || fn.fn === '(root)' || fn.selfMs === 0) continue;
      const k = `${fn.fn} ${fn.where}`;
      m.set(k, (m.get(k) ?? 0) + fn.selfMs * 1000);
      m.set(`[area] ${fn.area}`, (m.get(`[area] ${fn.area}`) ?? 0) + fn.selfMs * 1000);
    }
  }
  return m;
};
const main = load('treaty');
const atSat = selfUs(main, sat);
const atOver = selfUs(main, over);
const atRefuse = selfUs(load('refuse'), refuse);
const keys = new Set([...atSat.keys(), ...atOver.keys()]);
const sum = (m: Map<string, number>): number => [...m].filter(([k]) => k.startsWith('[area]')).reduce((a, [, v]) => a + v, 0);
const rows = [...keys].map((k) => {
  const perRefusal = (atRefuse.get(k) ?? 0) / Math.max(1, refused.twin);
  const s = (atSat.get(k) ?? 0) / Math.max(1, served.sat);
  const o = ((atOver.get(k) ?? 0) - perRefusal * refused.over) / Math.max(1, served.over);
  return { k, s, o, d: o - s, r: perRefusal };
});
rows.sort((a, b) => b.d - a.d);
const areas = rows.filter((r) => r.k.startsWith('[area]'));
const fns = rows.filter((r) => !r.k.startsWith('[area]'));
log(`profiled on-CPU per served request: saturation ${(sum(atSat) / served.sat).toFixed(0)} µs; overload ${((sum(atOver) - (sum(atRefuse) / refused.twin) * refused.over) / served.over).toFixed(0)} µs after ${refused.over} refusals at ${(sum(atRefuse) / refused.twin).toFixed(1)} µs each`);
console.log('| function | µs/served at saturation | µs/served under overload | growth | µs/refusal (twin) |');
console.log('|---|---|---|---|---|');
for (const r of [...areas, ...fns.slice(0, Number(opt.top)), ...fns.slice(-8)]) console.log(`| ${r.k} | ${r.s.toFixed(2)} | ${r.o.toFixed(2)} | ${r.d >= 0 ? '+' : ''}${r.d.toFixed(2)} | ${r.r.toFixed(2)} |`);
