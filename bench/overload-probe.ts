// Overload at 2× saturation, alone and repeatably: Treaty (and config variants of it) beside
// the refusal floor measured under the *same* open-loop conditions (1,024 preconnected
// connections, the same offered rate), so Treaty's cost per refusal can be read against what
// node:http itself charges for one there, not at the saturation phase's 64 connections.
// Usage: node --import tsx bench/overload-probe.ts [--rounds 3] [--seconds 3]
//          [--variant 'name=yaml overlay'] ...   (e.g. --variant $'cap=server:\n  maxInFlight: 96')
//          [--treaty-node-args='--cpu-prof --cpu-prof-dir=/tmp/p']   (extra node flags for every Treaty)
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { closedLoop, openLoop, type Endpoint, type OpenResult } from './load.js';
import { pinSelf } from './procstat.js';
import { spawnNode, splitNodeArgs, type Proc } from './processes.js';
import { chatBody, treatyLaunchFlags } from './setup.js';
import { transpileTree } from './transpile.js';
import { startBenchTreaty } from './treaty-process.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: opt } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, seconds: { type: 'string', default: '3' }, variant: { type: 'string', multiple: true, default: [] }, 'treaty-b': { type: 'string' }, 'treaty-node-args': { type: 'string', default: '' } } });
const rounds = Number(opt.rounds);
const durationMs = 1000 * Number(opt.seconds);
const log = (m: string): void => console.log(`[overload ${new Date().toISOString().slice(11, 19)}] ${m}`);

pinSelf('0');
const tmp = mkdtempSync(join(tmpdir(), 'treaty-overload-'));
const build = join(tmp, 'build');
transpileTree(ROOT, ['src', 'bench'], build, join(ROOT, 'node_modules'));
// --treaty-b DIR: a second Treaty built from another tree (e.g. a worktree of HEAD), for an A/B.
const buildB = opt['treaty-b'] ? join(tmp, 'build-b') : undefined;
if (buildB) transpileTree(resolve(opt['treaty-b']!), ['src'], buildB, join(ROOT, 'node_modules'));
const procs: Proc[] = [];
const path = '/v1/chat/completions';
const emu = await spawnNode({ name: 'emulator', cpu: '0', cwd: ROOT, nodeArgs: [join(build, 'bench/emulator-server.js')], logFile: join(tmp, 'emulator.log'), hello: true });
procs.push(emu);
const upstream = String(emu.hello!.url);
const fast = chatBody('bench-fast', false);

const targets: { id: string; ep: Endpoint }[] = [];
const variants = (opt.variant as string[]).map((v) => ({ name: v.slice(0, v.indexOf('=')), overlay: v.slice(v.indexOf('=') + 1), build }));
const treatyNodeArgs = [...treatyLaunchFlags(ROOT), ...splitNodeArgs(opt['treaty-node-args'])];
for (const v of [{ name: 'treaty', overlay: '', build }, ...(buildB ? [{ name: 'treaty-b', overlay: '', build: buildB }] : []), ...variants]) {
  const t = await startBenchTreaty({ name: v.name, build: v.build, dir: join(tmp, v.name), upstream, overlays: [v.overlay], nodeArgs: treatyNodeArgs });
  procs.push(t.proc);
  targets.push({ id: v.name, ep: t.ep });
}
const refuser = await spawnNode({ name: 'refusal-floor', cpu: '1', cwd: ROOT, nodeArgs: [join(build, 'bench/refusal-floor.js'), '0'], logFile: join(tmp, 'refusal-floor.log'), hello: true });
procs.push(refuser);
const floorEp: Endpoint = { name: 'refusal-floor', origin: `http://127.0.0.1:${String(refuser.hello!.port)}`, path, headers: {}, pid: refuser.pid };

const over = (ep: Endpoint, rate: number): Promise<OpenResult> =>
  openLoop(ep, fast, { rate, warmupMs: 500, durationMs, drainMs: 2000, maxInFlight: 4000, connections: 1024, preconnect: true });
for (const t of targets) await closedLoop(t.ep, fast, { concurrency: 64, warmupMs: 3000, durationMs: 1000 }); // warm
for (let r = 0; r < rounds; r++) {
  for (const t of targets) {
    const sat = await closedLoop(t.ep, fast, { concurrency: 64, warmupMs: 500, durationMs: 1500 });
    const S = sat.cpuUsPerReq;
    const o = await over(t.ep, Math.round(2 * sat.rps));
    const f = await over(floorEp, Math.round(2 * sat.rps));
    const served = o.goodput * o.seconds;
    const D = (o.cpuUtil * o.seconds * 1e6 - served * S) / Math.max(1, o.tally.shed);
    const Df = (f.cpuUtil * f.seconds * 1e6) / Math.max(1, f.tally.shed);
    const bound = (1 - (2 * Df) / S) / (1 - Df / S);
    log(
      `${t.id.padEnd(10)} cap ${sat.rps.toFixed(0)}/s S ${S.toFixed(0)} µs | goodput ${((100 * o.goodput) / sat.rps).toFixed(0)} % shed ${o.tally.shed} (p50/p99 ${o.shedLat.p50.toFixed(1)}/${o.shedLat.p99.toFixed(1)} ms) served p50/p99 ${o.lat.p50.toFixed(1)}/${o.lat.p99.toFixed(1)} err ${o.tally.errors + o.timedOut} cpu ${o.cpuUtil.toFixed(2)} | refusal ~${D.toFixed(0)} µs vs floor ${Df.toFixed(0)} µs here → bound ${(100 * bound).toFixed(0)} %`,
    );
  }
}
for (const p of procs.reverse()) await p.stop();
