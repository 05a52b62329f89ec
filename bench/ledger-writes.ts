// Micro-benchmark of the SQLite ledger's attempt writes: CPU per attempt (beginAttempt +
// finishAttempt, through the real store and its group-commit writer) for each write path,
// side by side in one run, rounds interleaved so drifting machine load hits every variant.
//
//   npx tsx bench/ledger-writes.ts [--attempts 20000] [--concurrency 64] [--prefill 100000] [--rounds 5] [--what-if]
//
// CPU is this process's user + system time (process.cpuUsage) over a round, divided by the
// attempts in it: SQLite runs on the calling thread, so that is what the gateway pays. The
// "harness only" row runs the same loop against a store that does nothing (the loop's own
// cost, included in every other row).

import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openLedger, type LedgerOptions } from '../src/ledger/open.js';
import type { AttemptFinish, AttemptStart, LedgerStore } from '../src/ledger/store.js';

const { values: args } = parseArgs({
  options: {
    attempts: { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '64' },
    prefill: { type: 'string', default: '100000' },
    rounds: { type: 'string', default: '5' },
    'what-if': { type: 'boolean', default: false },
    /** How long each attempt's upstream call lasts (0: one event-loop turn). Longer than a commit batch, begin and finish land in different batches unless begins are held. */
    'upstream-ms': { type: 'string', default: '0' },
  },
});
const UPSTREAM_MS = Number(args['upstream-ms']);
const [ATTEMPTS, CONCURRENCY, PREFILL, ROUNDS] = [args.attempts, args.concurrency, args.prefill, args.rounds].map(Number) as [number, number, number, number];

// A real decision record (contracts on, three candidates) as the recorder stores it: ~600 B.
const DECISION = JSON.stringify({
  version: '68197601a5e7fa4907cc46d762fa88f28b0aa62a1e4d284548768e564dac9d0d', at: 1796027282460, model: 'frontier', class: null,
  candidates: [
    { deploymentId: 'br-a', score: 0, parts: { cost: 0.0017442, pacing: -0.0017442, share: 0, latency: 0 }, flags: ['commit:commit-2026/spend'] },
    { deploymentId: 'az-ptu', score: 0.002565, parts: { cost: 0.002565, pacing: 0, share: 0, latency: 0 }, flags: [] },
    { deploymentId: 'az-std', score: 0.002565, parts: { cost: 0.002565, pacing: 0, share: 0, latency: 0 }, flags: ['price-unknown'] },
  ],
  filtered: [], exceptions: [], ranked: ['br-a', 'az-ptu', 'az-std'],
});

interface Variant {
  label: string;
  /** undefined: the harness-only baseline (no store). */
  opts?: LedgerOptions;
  /** SQL run on the migrated file before the store opens (what-if schema changes). */
  schemaSql?: string;
  /** The decision JSON each attempt carries (default DECISION). */
  decision?: string | null;
  /** Request ids: random UUIDs as http/ makes them today (default), or time-ordered (UUIDv7-like). */
  ids?: 'random' | 'time-ordered';
}

const VARIANTS: Variant[] = [
  { label: 'harness only (no store)' },
  { label: 'Kysely path (before)', opts: { preparedAttemptWrites: false } },
  { label: 'prepared statements (after)', opts: {} },
  { label: 'prepared, behind the journal, begins not held', opts: { writeAheadJournal: true, journalHoldBeginsMs: 0 } },
  { label: 'prepared, behind the journal, begins held for their finish (the gateway\'s default)', opts: { writeAheadJournal: true } },
];
// Evaluated and not adopted (see src/ledger/README.md, Performance): kept runnable so the
// figures behind that choice can be re-measured.
const WHAT_IF: Variant[] = [
  { label: 'after + partial index for started rows (what-if)', opts: {}, schemaSql: "drop index attempts_status_started_ix; create index attempts_open_ix on attempts (started_at) where status = 'started'" },
  { label: 'after, decision NULL (what-if)', opts: {}, decision: null },
  { label: 'after, time-ordered request ids (what-if)', opts: {}, ids: 'time-ordered' },
];
if (args['what-if']) VARIANTS.push(...WHAT_IF);

let clock = Date.now() - 86_400_000;

const startOf = (requestId: string, decision: string | null): AttemptStart => ({
  requestId, attemptNo: 1, tenantId: 'tenant-a', keyId: 'key-a', model: 'frontier', deploymentId: 'fast-a', account: 'bench-account',
  region: 'bench-local', stream: false, startedAt: clock++, decision, contractVersion: 'v7', estimatedPromptTokens: 120,
});
const finishOf = (requestId: string): AttemptFinish => ({
  requestId, attemptNo: 1, status: 'ok', endedAt: clock, firstByteAt: clock, httpStatus: 200, failureKind: null, promptTokens: 100,
  completionTokens: 72, cachedPromptTokens: null, cacheWriteTokens: null, usageSource: 'reported', listCostUsd: 0.00097, effectiveCostUsd: 0.00097,
});

/** UUIDv7 layout: 48-bit ms timestamp first, so new keys land at the right edge of the PK index. */
function timeOrderedId(ms: number): string {
  const h = Math.floor(ms).toString(16).padStart(12, '0');
  return `${h.slice(0, 8)}-${h.slice(8)}-7${randomUUID().slice(15)}`;
}
const newId = (v: Variant): string => (v.ids === 'time-ordered' ? timeOrderedId(clock) : randomUUID());

const NULL_STORE = {
  beginAttempt: async () => {},
  finishAttempt: async () => true,
  writeStats: () => ({ transactions: 0, rows: 0 }),
  close: async () => {},
} as unknown as LedgerStore;

/** Fills the table as a gateway that has run a while would have it (finished rows). */
function prefill(file: string, rows: number, v: Variant): void {
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    if (v.schemaSql) db.exec(v.schemaSql);
    const decision = decisionOf(v);
    const ins = db.prepare(
      `insert into attempts (request_id, attempt_no, tenant_id, key_id, model, deployment_id, account, region, stream,
        started_at, decision, contract_version, estimated_prompt_tokens, status, ended_at, first_byte_at, http_status,
        prompt_tokens, completion_tokens, usage_source, list_cost_nano_usd, effective_cost_nano_usd, settled_from_estimate)
       values (?, 1, 'tenant-a', 'key-a', 'frontier', 'fast-a', 'bench-account', 'bench-local', 0, ?, ?, 'v7', 120, 'ok',
        ?, ?, 200, 100, 72, 'reported', 970000, 970000, 0)`,
    );
    const fill = db.transaction((n: number) => {
      for (let i = 0; i < n; i++) ins.run(newId(v), clock, decision, clock, clock++);
    });
    for (let done = 0; done < rows; done += 10_000) fill(Math.min(10_000, rows - done));
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
}

async function openVariant(v: Variant, dir: string): Promise<LedgerStore> {
  if (!v.opts) return NULL_STORE;
  const file = join(dir, `${v.label.replace(/\W+/g, '-')}.db`);
  const first = await openLedger(`sqlite:${file}`, v.opts);
  await first.migrate();
  await first.close();
  prefill(file, PREFILL, v);
  return openLedger(`sqlite:${file}`, v.opts);
}

/**
 * CONCURRENCY workers shaped like the gateway's request loop: await the begin (the upstream
 * call waits for it), one event-loop turn for the call itself, then the finish without waiting
 * (the recorder acknowledges it off the request path), so begins and finishes share batches.
 */
async function load(store: LedgerStore, attempts: number, v: Variant): Promise<void> {
  const decision = decisionOf(v);
  let left = attempts;
  const finishes: Promise<boolean>[] = [];
  const worker = async (): Promise<void> => {
    while (left-- > 0) {
      const id = newId(v);
      await store.beginAttempt(startOf(id, decision));
      await new Promise<void>((resolve) => (UPSTREAM_MS > 0 ? setTimeout(resolve, UPSTREAM_MS) : setImmediate(resolve)));
      finishes.push(store.finishAttempt(finishOf(id)));
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  if ((await Promise.all(finishes)).some((applied) => !applied)) throw new Error('a finish did not apply');
}

/** CPU µs per attempt over one round (user, system) and attempts per transaction. */
type Sample = [user: number, sys: number, rowsPerTx: number];

async function measure(store: LedgerStore, v: Variant): Promise<Sample> {
  const s0 = store.writeStats();
  const c0 = process.cpuUsage();
  await load(store, ATTEMPTS, v);
  const c = process.cpuUsage(c0);
  const s1 = store.writeStats();
  const tx = s1.transactions - s0.transactions;
  return [c.user / ATTEMPTS, c.system / ATTEMPTS, tx === 0 ? 0 : (s1.rows - s0.rows) / tx];
}

const decisionOf = (v: Variant): string | null => (v.decision === undefined ? DECISION : v.decision);

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2;
};

const dir = mkdtempSync(join(tmpdir(), 'treaty-ledger-bench-'));
try {
  console.error(`opening ${VARIANTS.length} variants, ${PREFILL} prefilled rows each ...`);
  const stores = await Promise.all(VARIANTS.map((v) => openVariant(v, dir)));
  for (const [i, s] of stores.entries()) await load(s, 2_000, VARIANTS[i]!); // warm-up: JIT, statement caches
  const samples: Sample[][] = VARIANTS.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    // Rotate the order each round so no variant always runs first (or right after a checkpoint).
    for (let k = 0; k < VARIANTS.length; k++) {
      const i = (k + r) % VARIANTS.length;
      samples[i]!.push(await measure(stores[i]!, VARIANTS[i]!));
    }
    console.error(`round ${r + 1}/${ROUNDS} done`);
  }
  for (const s of stores) await s.close();

  const f = (n: number): string => n.toFixed(1);
  const cpu = samples.map((ss) => ss.map(([u, sys]) => u + sys));
  const col = (i: number, k: number): number => median(samples[i]!.map((x) => x[k]!));
  console.log(`\n### Ledger attempt writes (SQLite, durability 'process')\n`);
  console.log(`${ATTEMPTS} attempts per round (begin + finish), ${CONCURRENCY} in flight, ${UPSTREAM_MS} ms between each begin and its finish, ${PREFILL} rows prefilled, ` +
    `decision ${DECISION.length} B, median of ${ROUNDS} interleaved rounds (min–max in brackets). Node ${process.version}.\n`);
  console.log('| variant | CPU µs / attempt | user | system | vs before | rows / transaction |');
  console.log('|---|---|---|---|---|---|');
  const before = median(cpu[1]!);
  VARIANTS.forEach((v, i) => {
    const m = median(cpu[i]!);
    const vs = v.opts && i > 1 ? `${m < before ? '−' : '+'}${f((Math.abs(m - before) / before) * 100)} %` : '–';
    const range = `${f(Math.min(...cpu[i]!))}–${f(Math.max(...cpu[i]!))}`;
    console.log(`| ${v.label} | ${f(m)} (${range}) | ${f(col(i, 0))} | ${f(col(i, 1))} | ${vs} | ${v.opts ? f(col(i, 2)) : '–'} |`);
  });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
