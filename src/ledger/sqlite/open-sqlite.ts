// The embedded ledger: better-sqlite3 behind Kysely's SqliteDialect, running the shared
// query code. One connection per store; Kysely serialises its use, and SQLite's WAL lets
// other connections (a second process, `treaty report`) read while we write.

import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, sql, type SqlBool } from 'kysely';
import type { LedgerStore } from '../store.js';
import type { LedgerDb, SqlFlavor } from '../sql/db.js';
import { SqlLedgerStore, type SqlStoreOptions } from '../sql/sql-store.js';
import { AttemptJournal } from './attempt-journal.js';
import { WalCheckpointer } from './checkpointer.js';
import { preparedAttemptCommit } from './prepared-attempts.js';
import { preparedBudgetCommit } from './prepared-budgets.js';
import { preparedIdempotencyCommit } from './prepared-idempotency.js';
import { longReadVia, SqliteReadWorker } from './read-worker.js';
import { withStatementCache } from './statement-cache.js';

export interface SqliteLedgerOptions extends SqlStoreOptions {
  /**
   * 'process' (default): synchronous=NORMAL. A committed write survives the Treaty process
   * dying (SIGKILL, OOM, crash) but the last commits may be lost on power loss or an OS
   * crash. 'power': synchronous=FULL, an fsync of the WAL per commit (per batch), so it
   * survives power loss too, on storage that honours fsync.
   */
  durability?: 'process' | 'power';
  /** How long a write waits for another connection's write lock. Default 5,000 ms. */
  busyTimeoutMs?: number;
  /**
   * Attempt writes, budget reservations and settlements, and Idempotency-Key ops through
   * prepared statements in group commits (default true), or through the shared Kysely query code
   * that Postgres runs, budget and Idempotency-Key ops one transaction each (false). The two
   * store the same rows; false exists so the benchmarks (bench/ledger-writes.ts,
   * bench/ledger-ops.ts) and the tests can compare and check both.
   */
  preparedAttemptWrites?: boolean;
  /**
   * Acknowledge attempt writes once they are in a write-ahead journal file beside the database
   * (sqlite/attempt-journal.ts), and commit them to SQLite in batches every
   * `journalCommitDelayMs` (default 50 ms, or at 128 waiting writes). For the one process serving from the ledger: the
   * journal is locked to it and replayed by its next start. Ignored for ':memory:'.
   * Default false (tools, reports and tests open the file without it).
   */
  writeAheadJournal?: boolean;
  journalCommitDelayMs?: number;
  /** With the journal: how long a begin waits for its finish to reach SQLite with it as one row (default 10 s; journaled-writes.ts). */
  journalHoldBeginsMs?: number;
  /**
   * WAL checkpoints in a worker thread with its own connection instead of inside this
   * connection's commits (sqlite/checkpointer.ts): no multi-millisecond stall of the event
   * loop every ~1,000 pages. For the serving gateway; ignored for ':memory:'. Default false.
   */
  checkpointInWorker?: boolean;
  /** Told if the checkpoint worker fails (checkpoints then run inside commits again). */
  onCheckpointerFailure?: (err: unknown) => void;
  /**
   * Long reads (aggregates over a report's period or a commitment's term) on a worker thread's
   * read-only connection instead of the event loop (sqlite/read-worker.ts). File ledgers only.
   */
  readInWorker?: boolean;
  /** Told if the read worker fails (long reads then run on the serving connection again). */
  onReadWorkerFailure?: (err: unknown) => void;
}

export const sqliteFlavor: SqlFlavor = {
  name: 'sqlite',
  beginWrite: 'begin immediate',
  // BEGIN IMMEDIATE already makes the migration transaction the only writer.
  lockMigrations: async () => {},
  // Guarded: a row whose decision is not JSON (never written by Treaty) counts as unclassified
  // rather than failing the whole query.
  decisionClass: sql<string | null>`case when json_valid(decision) then json_extract(decision, '$.class') end`,
  decisionContains: (text) => sql<SqlBool>`instr(decision, ${text}) > 0`,
};

/** `path` is a file path or ':memory:'. */
export function openSqliteLedger(path: string, opts: SqliteLedgerOptions = {}): LedgerStore {
  const busyTimeoutMs = opts.busyTimeoutMs ?? 5_000;
  if (!Number.isSafeInteger(busyTimeoutMs) || busyTimeoutMs < 0) throw new RangeError('busyTimeoutMs must be a non-negative integer');
  const sqlite = new Database(path, { timeout: busyTimeoutMs });
  try {
    // WAL: readers never block the writer and a commit is one append (':memory:' stays in
    // memory mode, which is fine for tests and demos).
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma(`synchronous = ${opts.durability === 'power' ? 'FULL' : 'NORMAL'}`);
    sqlite.pragma(`busy_timeout = ${busyTimeoutMs}`);
    // SQLite enforces foreign keys only when asked, per connection.
    sqlite.pragma('foreign_keys = ON');
  } catch (err) {
    sqlite.close();
    throw err;
  }
  const db = new Kysely<LedgerDb>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  const prepared = opts.preparedAttemptWrites === false
    ? {}
    : { commitAttempts: preparedAttemptCommit(db, sqlite), commitBudgets: preparedBudgetCommit(db, sqlite), commitIdempotency: preparedIdempotencyCommit(db, sqlite) };
  const inMemory = path === ':memory:';
  let journal: AttemptJournal | undefined;
  try {
    if (opts.writeAheadJournal && !inMemory) journal = new AttemptJournal(path, { sync: opts.durability === 'power' });
  } catch (err) {
    sqlite.close();
    throw err;
  }
  const checkpointer = opts.checkpointInWorker && !inMemory
    ? new WalCheckpointer(sqlite, path, {
        busyTimeoutMs,
        synchronous: opts.durability === 'power' ? 'FULL' : 'NORMAL',
        // Kysely's connection mutex: the attempt batches and every other statement on this
        // connection wait (asynchronously) while the worker checkpoints.
        quiesce: (run) => db.connection().execute(() => run()),
        ...(opts.onCheckpointerFailure ? { onFallback: opts.onCheckpointerFailure } : {}),
      })
    : undefined;
  const reader = opts.readInWorker && !inMemory ? new SqliteReadWorker(path, busyTimeoutMs, opts.onReadWorkerFailure) : undefined;
  const longRead = reader ? longReadVia(reader) : undefined;
  const onClose = async (): Promise<void> => {
    await reader?.stop();
    await checkpointer?.stop();
  };
  const fast = { ...prepared, ...(longRead ? { longRead } : {}), ...(checkpointer ? { checkpointStats: () => checkpointer.stats() } : {}) };
  if (!journal) return new SqlLedgerStore(db, sqliteFlavor, opts, onClose, fast);
  // Nothing waits on these commits (the journal made the writes durable), so they wait for
  // company: a few large transactions instead of one per event-loop turn. Up to 50 ms, because
  // a commit's fixed cost (every dirty 4 KB page to the WAL, the locks) is what light traffic
  // pays per row: at 40 streams/s a 10 ms wait committed one or two rows at a time, and 50 ms
  // cut Treaty's CPU per streamed chunk by ~8 % (bench/ab.ts --stream, two 8-10 round A/Bs).
  // At most 128 writes, because a commit stops the event loop: with begins held for their
  // finish (journaled-writes.ts) that is ~64 rows, ~0.6 ms on a quiet core, a few times what a
  // 10 ms batch took at 1,000 req/s but inside that rate's p99 budget. Bigger transactions
  // cost less per row (bench:ledger --upstream-ms 20, begins held: 70.0 µs per attempt at 64
  // writes, 62.2 at 128, 59.5 at 256, on a slow host); 256 would double the stall for 4 %.
  const batch = { maxDelayMs: opts.journalCommitDelayMs ?? 50, maxBatch: 128 };
  return new SqlLedgerStore(db, sqliteFlavor, { ...opts, batch }, onClose, { ...fast, journal, ...(opts.journalHoldBeginsMs !== undefined ? { holdBeginsMs: opts.journalHoldBeginsMs } : {}) });
}
