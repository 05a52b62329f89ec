// A request's budget and Idempotency-Key work on the SQLite ledger, alone: each request reserves
// and settles a budget (or claims a key and stores its answer), 64 at a time, through the shared
// path (one transaction per op, as Postgres runs it: preparedAttemptWrites false) and through the
// group commits (the default), interleaved in one run. CPU is this process's (SQLite runs on the
// calling thread, its commits' WAL writes and checkpoints included).
//
//   node --import tsx bench/ledger-ops.ts [--requests 5000] [--concurrency 64] [--rounds 3]

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openLedger } from '../src/ledger/open.js';
import type { LedgerStore } from '../src/ledger/store.js';

const { values: opt } = parseArgs({ options: { requests: { type: 'string', default: '5000' }, concurrency: { type: 'string', default: '64' }, rounds: { type: 'string', default: '3' } } });
const REQUESTS = Number(opt.requests);
const CONCURRENCY = Number(opt.concurrency);
const T0 = Date.UTC(2026, 11, 1);

type Work = 'budget' | 'idempotency';
let seq = 0;

async function one(s: LedgerStore, work: Work): Promise<void> {
  const id = `req-${++seq}`;
  if (work === 'budget') {
    if (!(await s.reserveBudget('tenant:bench', T0, 0.002, 1e9, { requestId: id, at: T0 }))) throw new Error('budget refused');
    await s.settleBudget('tenant:bench', T0, 0.002, 0.0015, id);
  } else {
    if ((await s.idempotencyBegin('tenant-a', id, 'hash', T0)).state !== 'new') throw new Error('key not new');
    await s.idempotencyComplete('tenant-a', id, 200, '{"id":"chatcmpl-1","choices":[{"message":{"content":"ok"}}]}');
  }
}

async function measure(file: string, grouped: boolean, work: Work): Promise<{ us: number }> {
  const s = await openLedger(`sqlite:${file}`, { preparedAttemptWrites: grouped });
  await s.migrate();
  let left = REQUESTS;
  const cpu0 = process.cpuUsage();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (left-- > 0) await one(s, work);
  }));
  const cpu = process.cpuUsage(cpu0);
  await s.close();
  return { us: (cpu.user + cpu.system) / REQUESTS };
}

const dir = mkdtempSync(join(tmpdir(), 'treaty-ledger-ops-'));
try {
  for (let r = 1; r <= Number(opt.rounds); r++) {
    for (const work of ['budget', 'idempotency'] as const) {
      const order = r % 2 ? [false, true] : [true, false];
      for (const grouped of order) {
        const x = await measure(join(dir, `${work}-${grouped ? 'grouped' : 'shared'}-${r}.db`), grouped, work);
        console.log(`round ${r}  ${work.padEnd(11)} ${grouped ? 'group-committed (default)' : 'shared path, a transaction an op'}: ${x.us.toFixed(1)} µs CPU/request`);
      }
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
