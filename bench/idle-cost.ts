// What an idle gateway costs its core: each Treaty tree (bench config, core 1) and the
// pass-through proxy, warmed with a few seconds of load, then left idle; CPU time and wake-ups
// (voluntary context switches, every thread) over the same idle window, side by side. An idle
// process is not free: in a full `npm run bench` the idle variants share core 1 with the process
// under test, and in production idle replicas share their host.
//
//   flock /tmp/treaty-bench.lock node --import tsx bench/idle-cost.ts --roots /tmp/base,. [--seconds 20] [--settle-seconds 5]

import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { closedLoop, type Endpoint } from './load.js';
import { spawnNode } from './processes.js';
import { cpuUs } from './procstat.js';
import { chatBody, CLIENT_KEY, UPSTREAM_KEY } from './setup.js';
import { transpileTree } from './transpile.js';
import { startBenchRig, startBenchTreaty } from './treaty-process.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: opt } = parseArgs({
  options: {
    roots: { type: 'string', default: ROOT },
    seconds: { type: 'string', default: '20' },
    'settle-seconds': { type: 'string', default: '5' },
  },
});

/** Voluntary context switches of each thread of `pid` (by thread id): how often it went to sleep, so about how often it woke. */
function wakes(pid: number): Map<string, { name: string; n: number }> {
  const out = new Map<string, { name: string; n: number }>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
      out.set(tid, { name: /^Name:\s+(.*)$/m.exec(status)?.[1] ?? '?', n: Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0) });
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

/** Wake-ups between two readings, in all and for the threads that woke (a thread started meanwhile counts from 0). */
function woke(pid: number, a: ReturnType<typeof wakes>, b: ReturnType<typeof wakes>): { total: number; threads: string[] } {
  let total = 0;
  const threads: string[] = [];
  for (const [tid, t] of b) {
    const d = t.n - (a.get(tid)?.n ?? 0);
    total += d;
    if (d > 0) threads.push(`${tid === String(pid) ? 'main' : t.name} ${d}`);
  }
  return { total, threads };
}

async function main(): Promise<void> {
  const { tmp, modules, benchBuild, emu, upstream } = await startBenchRig('treaty-idle-');
  const targets: { name: string; ep: Endpoint; stop: () => Promise<void> }[] = [];
  const proxy = await spawnNode({ name: 'proxy', cpu: '1', cwd: ROOT, nodeArgs: [join(benchBuild, 'bench/passthrough-proxy.js'), upstream, '0', UPSTREAM_KEY], logFile: join(tmp, 'proxy.log'), hello: true });
  targets.push({ name: 'proxy', ep: { name: 'proxy', origin: `http://127.0.0.1:${String(proxy.hello!.port)}`, path: '/v1/chat/completions', headers: { authorization: `Bearer ${CLIENT_KEY}` }, pid: proxy.pid }, stop: () => proxy.stop() });
  for (const [i, root] of opt.roots.split(',').entries()) {
    const build = join(tmp, `tree-${i}`);
    transpileTree(resolve(root), ['src'], build, modules);
    const name = `treaty:${i}:${basename(resolve(root))}`;
    const t = await startBenchTreaty({ name, build, dir: join(tmp, `run-${i}`), upstream });
    targets.push({ name, ep: t.ep, stop: () => t.proc.stop() });
  }
  try {
    const body = chatBody('bench-fast', false);
    for (const t of targets) await closedLoop(t.ep, body, { concurrency: 16, warmupMs: 0, durationMs: 3000 });
    // Past the load's after-effects (the ledger's last batches and checkpoints, timers winding down).
    await sleep(Number(opt['settle-seconds']) * 1000);
    const before = targets.map((t) => ({ cpu: cpuUs(t.ep.pid), wakes: wakes(t.ep.pid) }));
    const t0 = performance.now();
    await sleep(Number(opt.seconds) * 1000);
    const s = (performance.now() - t0) / 1000;
    console.log(`idle for ${s.toFixed(1)} s after ${opt['settle-seconds']} s to settle (same window for every process):`);
    for (const [i, t] of targets.entries()) {
      const cpuMs = (cpuUs(t.ep.pid) - before[i]!.cpu) / 1000;
      const w = woke(t.ep.pid, before[i]!.wakes, wakes(t.ep.pid));
      console.log(`  ${t.name.padEnd(28)} CPU ${(cpuMs / s).toFixed(1).padStart(6)} ms/s (${((cpuMs / s) / 10).toFixed(2)} % of a core)   wake-ups ${(w.total / s).toFixed(1).padStart(6)}/s   by thread: ${w.threads.join(', ')}`);
    }
  } finally {
    for (const t of targets) await t.stop();
    await emu.stop();
  }
}

await main();
