// What a loaded Treaty keeps: heap snapshots of the bench's default path taken after two
// equal stretches of saturation, and the object counts that grew between them, by
// constructor — what scavenges must copy and the old generation must later collect.
//
//   flock /tmp/treaty-bench.lock node --import tsx bench/heap-retention.ts [--ms 4000]

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { closedLoop } from './load.js';
import { chatBody } from './setup.js';
import { startBenchRig, startBenchTreaty } from './treaty-process.js';

const { values: opt } = parseArgs({ options: { ms: { type: 'string', default: '4000' } } });

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}

function countByName(file: string): Map<string, { count: number; bytes: number }> {
  const s = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const f = s.snapshot.meta.node_fields;
  const [iType, iName, iSize, n] = [f.indexOf('type'), f.indexOf('name'), f.indexOf('self_size'), f.length];
  const types = s.snapshot.meta.node_types[0];
  const out = new Map<string, { count: number; bytes: number }>();
  for (let i = 0; i < s.nodes.length; i += n) {
    const type = types[s.nodes[i + iType]!]!;
    const name = type === 'object' || type === 'closure' ? s.strings[s.nodes[i + iName]!]! : `(${type})`;
    const e = out.get(name) ?? { count: 0, bytes: 0 };
    e.count++;
    e.bytes += s.nodes[i + iSize]!;
    out.set(name, e);
  }
  return out;
}

async function main(): Promise<void> {
  const { tmp, benchBuild, emu, upstream } = await startBenchRig('treaty-heap-');
  const { proc: p, ep, dir } = await startBenchTreaty({ name: 'treaty', build: benchBuild, dir: join(tmp, 'treaty'), upstream, extraNodeArgs: ['--heapsnapshot-signal=SIGUSR2'] });
  const body = chatBody('bench-fast', false);
  const snap = async (): Promise<string> => {
    const before = new Set(readdirSync(dir));
    process.kill(p.pid, 'SIGUSR2');
    for (;;) {
      await sleep(500);
      const f = readdirSync(dir).find((x) => x.endsWith('.heapsnapshot') && !before.has(x));
      if (f) {
        // Written while the process is stopped; done when the size holds still. The file exists
        // (empty) while V8 still builds the snapshot, which with the bin's 32 MB young generation
        // took over a second: an empty file is not done.
        let size = -1;
        for (;;) {
          await sleep(1000);
          const now = statSync(join(dir, f)).size;
          if (now > 0 && now === size) return join(dir, f);
          size = now;
        }
      }
    }
  };
  const ms = Number(opt.ms);
  const r1 = await closedLoop(ep, body, { concurrency: 64, warmupMs: 1000, durationMs: ms });
  const a = await snap();
  const r2 = await closedLoop(ep, body, { concurrency: 64, warmupMs: 0, durationMs: ms });
  const b = await snap();
  const served = Math.round(r2.rps * r2.seconds);
  console.log(`loads: ${JSON.stringify({ first: r1.rps, second: r2.rps })}`);
  const [ca, cb] = [countByName(a), countByName(b)];
  const rows = [...cb].map(([name, e]) => ({ name, dCount: e.count - (ca.get(name)?.count ?? 0), dBytes: e.bytes - (ca.get(name)?.bytes ?? 0) }))
    .sort((x, y) => y.dBytes - x.dBytes).slice(0, 25);
  console.log(`grew between the snapshots (second stretch served ${served} requests):`);
  for (const r of rows) console.log(`${String(r.dBytes).padStart(10)} B ${String(r.dCount).padStart(8)} objects  ${r.name}`);
  await p.stop();
  await emu.stop();
}

await main();
