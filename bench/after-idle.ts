// How a gateway serves the first seconds of traffic after sitting idle: each Treaty tree (the
// bench config, core 1; `DIR+flag` adds node flags, as ab.ts's --roots does, e.g.
// `.+--no-memory-reducer`) warmed by a
// few seconds of saturation, then, --cycles times: every process idle for --idle-seconds, then
// each in turn gets an open loop of --rate req/s for --seconds (p50/p99 from the scheduled send
// time, CPU per request, from the first request on: no warm-up excluded). A gateway that has
// shed its compiled code or its young generation while idle pays it here.
//
//   flock /tmp/treaty-bench.lock node --import tsx bench/after-idle.ts --roots /tmp/base,.,.+--no-memory-reducer [--idle-seconds 40] [--cycles 2]

import { basename, dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseTreeSpec } from './ab-compare.js';
import { closedLoop, openLoop } from './load.js';
import { chatBody } from './setup.js';
import { transpileTree } from './transpile.js';
import { startBenchRig, startBenchTreaty, type BenchTreaty } from './treaty-process.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: opt } = parseArgs({
  options: {
    roots: { type: 'string', default: ROOT },
    'idle-seconds': { type: 'string', default: '40' },
    cycles: { type: 'string', default: '2' },
    rate: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '2' },
    /** Saturate (closed loop of 64) instead of the open loop: CPU per request right after idle, as npm run bench's saturation rows read it. */
    closed: { type: 'boolean', default: false },
  },
});

async function main(): Promise<void> {
  const { tmp, modules, emu, upstream } = await startBenchRig('treaty-after-idle-');
  const trees: { label: string; t: BenchTreaty }[] = [];
  for (const [i, spec] of opt.roots.split(',').entries()) {
    const { dir, flags, variant } = parseTreeSpec(spec);
    if (variant !== undefined) throw new Error(`--roots: '${spec}': variants are not supported here, only DIR+flag`);
    const root = resolve(dir);
    const build = join(tmp, `tree-${i}`);
    transpileTree(root, ['src'], build, modules);
    const label = `${i}:${basename(root)}${flags.length ? ' ' + flags.join(' ') : ''}`;
    trees.push({ label, t: await startBenchTreaty({ name: label, build, dir: join(tmp, `run-${i}`), upstream, extraNodeArgs: flags }) });
  }
  const body = chatBody('bench-fast', false);
  try {
    for (const { t } of trees) await closedLoop(t.ep, body, { concurrency: 64, warmupMs: 0, durationMs: 4000 });
    for (let c = 0; c < Number(opt.cycles); c++) {
      await sleep(Number(opt['idle-seconds']) * 1000);
      // Rotated, so no tree is always the first to wake.
      for (let j = 0; j < trees.length; j++) {
        const { label, t } = trees[(j + c) % trees.length]!;
        const durationMs = Number(opt.seconds) * 1000;
        const r = opt.closed
          ? await closedLoop(t.ep, body, { concurrency: 64, warmupMs: 0, durationMs })
          : await openLoop(t.ep, body, { rate: Number(opt.rate), warmupMs: 0, durationMs, drainMs: 3000, maxInFlight: 2000, connections: 64 });
        console.log(`cycle ${c + 1}  ${label.padEnd(36)} p50 ${r.lat.p50.toFixed(2).padStart(7)} ms  p99 ${r.lat.p99.toFixed(1).padStart(7)} ms  max ${r.lat.max.toFixed(1).padStart(7)} ms  CPU ${r.cpuUsPerReq.toFixed(0).padStart(5)} µs/req${'rps' in r ? `  ${r.rps.toFixed(0)} req/s` : `  RSS peak ${r.peakRssMb.toFixed(0)} MB`}`);
      }
    }
  } finally {
    for (const { t } of trees) await t.proc.stop();
    await emu.stop();
  }
}

await main();
