// How the SQLite ledger's WAL and its checkpoints behave under sustained load: one Treaty (the
// bench config, core 1) saturated by a closed loop for --seconds, its /metrics scraped every
// second: WAL frames at the last checkpoint, checkpoints held (writes waiting while the WAL
// starts over), time held, the longest hold, attempt writes waiting. Then --idle-seconds with
// no load, to see the WAL catch up.
//
//   flock /tmp/treaty-bench.lock node --import tsx bench/wal-watch.ts [--seconds 30] [--idle-seconds 5] [--concurrency 64] [--root DIR] [--overlay YAML] [--keep]

import { statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { closedLoop } from './load.js';
import { ADMIN_KEY, chatBody } from './setup.js';
import { transpileTree } from './transpile.js';
import { startBenchRig, startBenchTreaty } from './treaty-process.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: opt } = parseArgs({
  options: {
    seconds: { type: 'string', default: '30' },
    'idle-seconds': { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '64' },
    root: { type: 'string', default: ROOT },
    overlay: { type: 'string', default: '' },
    /** Keep the temp folder (the ledger file) and print where it is. */
    keep: { type: 'boolean', default: false },
  },
});

const WATCHED = ['treaty_ledger_wal_frames', 'treaty_ledger_checkpoints_total', 'treaty_ledger_checkpoint_holds_total', 'treaty_ledger_checkpoint_hold_seconds_total', 'treaty_ledger_checkpoint_hold_longest_seconds', 'treaty_ledger_checkpoint_hold_timeouts_total', 'treaty_ledger_attempt_writes_waiting', 'treaty_ledger_attempt_writes_total', 'treaty_ledger_transactions_total'];

async function scrape(admin: string): Promise<Record<string, number>> {
  const r = await request(`${admin}/metrics`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
  const text = await r.body.text();
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const [name, value] = line.split(' ');
    if (name && WATCHED.includes(name)) out[name] = Number(value);
  }
  return out;
}

async function main(): Promise<void> {
  const { tmp, modules, emu, upstream } = await startBenchRig('treaty-wal-', { keep: opt.keep });
  if (opt.keep) console.log(`keeping ${tmp}`);
  const build = join(tmp, 'treaty');
  transpileTree(resolve(opt.root), ['src'], build, modules);
  const t = await startBenchTreaty({ name: 'treaty', build, dir: join(tmp, 'run'), upstream, overlays: [opt.overlay] });
  const walFile = join(t.dir, '.treaty/treaty.db-wal');
  const body = chatBody('bench-fast', false);
  const row = (label: string, m: Record<string, number>): string => {
    let walMb = NaN;
    try {
      walMb = statSync(walFile).size / 1048576;
    } catch {
      // not created yet
    }
    return `${label}  wal ${String(m.treaty_ledger_wal_frames ?? '-').padStart(6)} frames (file ${walMb.toFixed(0)} MB)  checkpoints ${m.treaty_ledger_checkpoints_total}  held ${m.treaty_ledger_checkpoint_holds_total} for ${(m.treaty_ledger_checkpoint_hold_seconds_total ?? NaN).toFixed(2)} s (longest ${(1000 * (m.treaty_ledger_checkpoint_hold_longest_seconds ?? NaN)).toFixed(0)} ms, cut off ${m.treaty_ledger_checkpoint_hold_timeouts_total})  writes waiting ${m.treaty_ledger_attempt_writes_waiting}  committed ${m.treaty_ledger_attempt_writes_total} in ${m.treaty_ledger_transactions_total} transactions (${((m.treaty_ledger_attempt_writes_total ?? NaN) / (m.treaty_ledger_transactions_total ?? NaN)).toFixed(1)} writes each)`;
  };
  const seconds = Number(opt.seconds);
  let done = false;
  const load = closedLoop(t.ep, body, { concurrency: Number(opt.concurrency), warmupMs: 0, durationMs: seconds * 1000 }).finally(() => (done = true));
  for (let s = 1; !done; s++) {
    await sleep(1000);
    console.log(row(`load ${String(s).padStart(3)} s`, await scrape(t.admin)));
  }
  const r = await load;
  console.log(`saturation: ${r.rps.toFixed(0)} req/s, ${r.cpuUsPerReq.toFixed(0)} µs CPU/request`);
  for (let s = 1; s <= Number(opt['idle-seconds']); s++) {
    await sleep(1000);
    console.log(row(`idle ${String(s).padStart(3)} s`, await scrape(t.admin)));
  }
  await t.proc.stop();
  await emu.stop();
}

await main();
