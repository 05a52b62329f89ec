// Overload at 2× saturation, alone and repeatably: Treaty (and config variants of it) beside
// the refusal floor measured under the *same* open-loop conditions (1,024 preconnected
// connections, the same offered rate), so Treaty's cost per refusal can be read against what
// node:http itself charges for one there, not at the saturation phase's 64 connections.
// Each Treaty also has a twin refusing *everything* (server.maxInFlight: 1, its one slot held
// by a slow stream, so not one request is served): its CPU per refusal under the same load is
// Treaty's own refusal cost, and what the overload run spends beyond that many refusals is its
// cost per *served* request there, to set beside the saturation phase's. The two parts of any
// gap between goodput and the bound: dearer refusals, or dearer served requests under overload.
// Usage: node --import tsx bench/overload-probe.ts [--rounds 3] [--seconds 3]
//          [--variant 'name=yaml overlay'] ...   (e.g. --variant $'cap=server:\n  maxInFlight: 96')
//          [--treaty-node-args='--cpu-prof --cpu-prof-dir=/tmp/p']   (extra node flags for every Treaty)
//          [--upstream-ms 50]   (the zero-latency deployments answer after this long instead: the
//                                admitted requests then wait on the upstream while the loop idles)
//          [--concurrency 64]   (the saturation run's; an upstream that takes time needs more)
//          [--rate N]   (offer N req/s instead of twice the saturation run's rate)
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { closedLoop, holdOneStream, overloadLoop, type Endpoint, type OpenResult } from './load.js';
import { spawnNode, splitNodeArgs, type Proc } from './processes.js';
import { chatBody, REFUSE_ALL_OVERLAY, slotHoldingBody } from './setup.js';
import { spread } from './stats.js';
import { bestGoodputAt2x } from './summary.js';
import { transpileTree } from './transpile.js';
import { startBenchRig, startBenchTreaty } from './treaty-process.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: opt } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, seconds: { type: 'string', default: '3' }, variant: { type: 'string', multiple: true, default: [] }, 'treaty-b': { type: 'string' }, 'treaty-node-args': { type: 'string', default: '' }, 'upstream-ms': { type: 'string', default: '0' }, concurrency: { type: 'string', default: '64' }, rate: { type: 'string' } } });
const rounds = Number(opt.rounds);
const durationMs = 1000 * Number(opt.seconds);
const upstreamMs = Number(opt['upstream-ms']);
const concurrency = Number(opt.concurrency);
const log = (m: string): void => console.log(`[overload ${new Date().toISOString().slice(11, 19)}] ${m}`);

const { tmp, modules, benchBuild: build, emu, upstream } = await startBenchRig('treaty-overload-', { keep: true });
// --treaty-b DIR: a second Treaty built from another tree (e.g. a worktree of HEAD), for an A/B.
const buildB = opt['treaty-b'] ? join(tmp, 'build-b') : undefined;
if (buildB) transpileTree(resolve(opt['treaty-b']!), ['src'], buildB, modules);
const procs: Proc[] = [emu];
const path = '/v1/chat/completions';
if (upstreamMs > 0) {
  for (const d of ['bench-fast', 'bench-fast-b']) {
    const r = await fetch(`${upstream}/_emulator/deployments/${d}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ttftMs: upstreamMs }) });
    if (!r.ok) throw new Error(`could not slow ${d} down: ${r.status} ${await r.text()}`);
  }
  log(`the zero-latency deployments now answer after ${upstreamMs} ms`);
}
const fast = chatBody('bench-fast', false);

const targets: { id: string; ep: Endpoint; refuser: Endpoint }[] = [];
const variants = (opt.variant as string[]).map((v) => ({ name: v.slice(0, v.indexOf('=')), overlay: v.slice(v.indexOf('=') + 1), build }));
const treatyNodeArgs = splitNodeArgs(opt['treaty-node-args']);
for (const v of [{ name: 'treaty', overlay: '', build }, ...(buildB ? [{ name: 'treaty-b', overlay: '', build: buildB }] : []), ...variants]) {
  const t = await startBenchTreaty({ name: v.name, build: v.build, dir: join(tmp, v.name), upstream, overlays: [v.overlay], extraNodeArgs: treatyNodeArgs });
  procs.push(t.proc);
  const twin = await startBenchTreaty({ name: `${v.name}-refuse`, build: v.build, dir: join(tmp, `${v.name}-refuse`), upstream, overlays: [v.overlay, REFUSE_ALL_OVERLAY], extraNodeArgs: treatyNodeArgs });
  procs.push(twin.proc);
  targets.push({ id: v.name, ep: t.ep, refuser: twin.ep });
}
const refuser = await spawnNode({ name: 'refusal-floor', cpu: '1', cwd: ROOT, nodeArgs: [join(build, 'bench/refusal-floor.js'), '0'], logFile: join(tmp, 'refusal-floor.log'), hello: true });
procs.push(refuser);
const floorEp: Endpoint = { name: 'refusal-floor', origin: `http://127.0.0.1:${String(refuser.hello!.port)}`, path, headers: {}, pid: refuser.pid };

const over = (ep: Endpoint, rate: number): Promise<OpenResult> => overloadLoop(ep, fast, rate, durationMs);
// Each refuse-all twin's one slot is held for the whole run (a stream of over half an hour).
const releases: (() => Promise<void>)[] = [];
for (const t of targets) releases.push(await holdOneStream(t.refuser, slotHoldingBody()));
for (const t of targets) for (const ep of [t.ep, t.refuser]) await closedLoop(ep, fast, { concurrency, warmupMs: 3000, durationMs: 1000 }); // warm
const med = (xs: number[]): number => spread(xs).median;
const cpuUs = (x: OpenResult): number => x.cpuUtil * x.seconds * 1e6;
const seen = new Map<string, { goodput: number[]; bound: number[]; boundT: number[]; ratioD: number[]; ratioS: number[] }>();
for (let r = 0; r < rounds; r++) {
  for (const t of targets) {
    const sat = await closedLoop(t.ep, fast, { concurrency, warmupMs: 500, durationMs: 1500 });
    const S = sat.cpuUsPerReq;
    if (sat.tally.ok < sat.rps * sat.seconds * 0.99) log(`${t.id}: saturation run answered ${JSON.stringify(sat.tally.statuses)}`);
    const rate = opt.rate ? Number(opt.rate) : Math.round(2 * sat.rps);
    const o = await over(t.ep, rate);
    const ra = await over(t.refuser, rate);
    const f = await over(floorEp, rate);
    if (ra.tally.ok > 0) log(`${t.id}: its refuse-all twin served ${ra.tally.ok} requests; its refusal cost below includes them`);
    const served = o.goodput * o.seconds;
    const D = cpuUs(ra) / Math.max(1, ra.tally.shed);
    const Df = cpuUs(f) / Math.max(1, f.tally.shed);
    // What the overload run spent beyond its refusals at Treaty's own refusal cost: its served requests.
    const So = (cpuUs(o) - o.tally.shed * D) / Math.max(1, served);
    const bound = (d: number): number => bestGoodputAt2x(S, d);
    const s = seen.get(t.id) ?? { goodput: [], bound: [], boundT: [], ratioD: [], ratioS: [] };
    seen.set(t.id, s);
    s.goodput.push((100 * o.goodput) / sat.rps);
    s.bound.push(100 * bound(Df));
    s.boundT.push(100 * bound(D));
    s.ratioD.push(D / Df);
    s.ratioS.push(So / S);
    log(
      `${t.id.padEnd(10)} cap ${sat.rps.toFixed(0)}/s (p50 ${sat.lat.p50.toFixed(1)} ms) S ${S.toFixed(0)} µs | goodput ${o.goodput.toFixed(0)}/s of ${rate} (${((100 * o.goodput) / sat.rps).toFixed(0)} %) shed ${o.tally.shed} (p50/p99 ${o.shedLat.p50.toFixed(1)}/${o.shedLat.p99.toFixed(1)} ms) served p50/p99 ${o.lat.p50.toFixed(1)}/${o.lat.p99.toFixed(1)} err ${o.tally.errors + o.timedOut} cpu ${o.cpuUtil.toFixed(2)}`,
    );
    log(
      `${''.padEnd(10)} refusal ${D.toFixed(1)} µs (refusing all) vs floor ${Df.toFixed(1)} → bound ${(100 * bound(Df)).toFixed(0)} % at the floor's, ${(100 * bound(D)).toFixed(0)} % at Treaty's | served under overload ${So.toFixed(0)} µs vs ${S.toFixed(0)} at saturation (${((100 * So) / S).toFixed(0)} %)`,
    );
  }
}
// How often each Treaty started shedding (its log's warnings): a controller that lets go too
// early enters again and again, each time after admitting a flood.
const episodes = (id: string): number => {
  try {
    return readFileSync(join(tmp, id, 'treaty.log'), 'utf8').split('overloaded: shedding new requests').length - 1;
  } catch {
    return NaN;
  }
};
for (const [id, s] of seen) {
  log(`${id.padEnd(10)} shedding episodes over the whole run: ${episodes(id)}`);
  log(
    `${id.padEnd(10)} medians of ${s.goodput.length}: goodput ${med(s.goodput).toFixed(0)} % | bound ${med(s.bound).toFixed(0)} % (floor's refusals), ${med(s.boundT).toFixed(0)} % (Treaty's) | refusal ${med(s.ratioD).toFixed(2)}× the floor's | served request under overload ${med(s.ratioS).toFixed(2)}× saturation's`,
  );
}
for (const release of releases) await release();
for (const p of procs.reverse()) await p.stop();
