// The LedgerStore over Kysely. Both dialects construct this same class with their own
// Kysely instance and SqlFlavor, so every query is the same code on SQLite and Postgres.

import type {
  ApiKeyRecord, AttemptFilter, AttemptFinish, AttemptPage, AttemptRow, AttemptStart, BudgetHold, CheckpointStats, BudgetUsage,
  IdempotencyBegin, KeyInput, LedgerStore, OrphanSettlement, ServedCount, SpendDimension, SpendRow, Tenant,
  TenantInput, TenantPatch, WriteStats,
} from '../store.js';
import { BatchWriter, type BatchWriterOptions } from '../batch-writer.js';
import { JournaledWrites, type JournalForWrites } from '../journaled-writes.js';
import { runMigrations } from '../migrations/index.js';
import * as attempts from './attempts.js';
import * as budgets from './budgets.js';
import { readHere, toNano, type Db, type LongRead, type SqlFlavor } from './db.js';
import * as idem from './idempotency.js';
import * as reports from './reports.js';
import * as tenants from './tenants.js';
import { checkAmount, checkFinish, checkStart } from './validate.js';

export interface SqlStoreOptions {
  /** Group-commit tuning for attempt writes. */
  batch?: BatchWriterOptions;
  /**
   * An Idempotency-Key in flight longer than this is taken to belong to a crashed request
   * and may be claimed again. Keep it above the longest request deadline. Default 15 min.
   */
  idempotencyInFlightTtlMs?: number;
  /** Clock for created-at defaults and migration stamps; tests pass their own. */
  now?: () => number;
}

export type AttemptCommit = (writes: readonly attempts.AttemptWrite[]) => Promise<boolean[]>;

/**
 * A write-ahead journal in front of the attempt writes (SQLite: sqlite/attempt-journal.ts).
 * With one, a write is acknowledged once it is in the journal, and reaches the database in
 * the writer's next (larger, later) batch.
 */
export interface WriteAheadJournal extends JournalForWrites {
  /** Settles once the appends made so far are written (or failed). */
  written(): Promise<void>;
  /** Writes a previous process journaled that may not be in the database. */
  leftover(): attempts.AttemptWrite[];
  /** Forgets the leftover writes once they are committed. */
  dropLeftover(): void;
  close(committedAll: boolean): void;
}

/** A dialect's faster paths (SQLite). */
export interface StoreAccelerators {
  /** Replaces the shared Kysely commit of attempt batches (same contract: one transaction per batch, one result per write, in order). */
  commitAttempts?: AttemptCommit;
  journal?: WriteAheadJournal;
  /**
   * With a journal: how long a begin may wait for its finish before it goes to the database
   * alone (journaled-writes.ts). Default 10 s.
   */
  holdBeginsMs?: number;
  /** Where reads that scan many rows run (default: the store's own connection). */
  longRead?: LongRead;
  /** What the WAL checkpoints did (SQLite checkpointing in a worker). */
  checkpointStats?: () => CheckpointStats;
  /**
   * Budget reservations and settlements committed together, an event-loop turn's ops in one
   * transaction (same contract as the shared path: each op atomic, in order; one result per op).
   */
  commitBudgets?: (ops: readonly BudgetOp[]) => Promise<boolean[]>;
  /** Idempotency-Key ops committed together, as commitBudgets. */
  commitIdempotency?: (ops: readonly IdemOp[]) => Promise<(IdempotencyBegin | boolean)[]>;
}

/** An Idempotency-Key op for commitIdempotency. */
export type IdemOp =
  | { kind: 'begin'; tenantId: string; key: string; bodyHash: string; now: number; ttlMs: number }
  | { kind: 'complete'; tenantId: string; key: string; status: number; body: string }
  | { kind: 'abandon'; tenantId: string; key: string };

/** A budget op for commitBudgets; amounts in nano-dollars. */
export type BudgetOp =
  | { kind: 'reserve'; scope: string; periodStart: number; amount: number; cap: number; hold?: BudgetHold }
  | { kind: 'settle'; scope: string; periodStart: number; released: number; actual: number; requestId?: string };

/** Budget and Idempotency-Key ops: a turn's go out together at setImmediate (a caller waits one turn). */
const A_TURN_EACH: BatchWriterOptions = { maxDelayMs: 0, maxBatch: 256 };

export class SqlLedgerStore implements LedgerStore {
  readonly #db: Db;
  readonly #flavor: SqlFlavor;
  readonly #writer: BatchWriter<attempts.AttemptWrite, boolean>;
  readonly #commit: AttemptCommit;
  readonly #journal: WriteAheadJournal | undefined;
  /** With a journal: the attempt writes go through here (begins held for their finish). */
  readonly #journaled: JournaledWrites | undefined;
  readonly #read: LongRead;
  readonly #checkpointStats: (() => CheckpointStats) | undefined;
  /** SQLite: budget ops group-committed (undefined: one transaction per op, as Postgres). */
  readonly #budgetWriter: BatchWriter<BudgetOp, boolean> | undefined;
  /** SQLite: Idempotency-Key ops group-committed (undefined: one statement each, as Postgres). */
  readonly #idemWriter: BatchWriter<IdemOp, IdempotencyBegin | boolean> | undefined;
  readonly #ttlMs: number;
  readonly #now: () => number;
  /** Runs after the Kysely instance is destroyed (temp files, schemas). */
  readonly #onClose: () => Promise<void>;

  constructor(db: Db, flavor: SqlFlavor, opts: SqlStoreOptions = {}, onClose: () => Promise<void> = async () => {}, fast: StoreAccelerators = {}) {
    this.#db = db;
    this.#flavor = flavor;
    this.#commit = fast.commitAttempts ?? ((ops) => attempts.commitAttemptWrites(db, flavor, ops));
    this.#read = fast.longRead ?? readHere;
    this.#checkpointStats = fast.checkpointStats;
    this.#budgetWriter = fast.commitBudgets ? new BatchWriter(fast.commitBudgets, A_TURN_EACH) : undefined;
    this.#idemWriter = fast.commitIdempotency ? new BatchWriter(fast.commitIdempotency, A_TURN_EACH) : undefined;
    const journal = (this.#journal = fast.journal);
    this.#ttlMs = opts.idempotencyInFlightTtlMs ?? 15 * 60_000;
    this.#now = opts.now ?? Date.now;
    this.#journaled = journal ? new JournaledWrites(journal, this.#commit, opts.batch, { holdBeginsMs: fast.holdBeginsMs ?? 10_000, now: this.#now }) : undefined;
    this.#writer = this.#journaled?.writer ?? new BatchWriter(this.#commit, opts.batch);
    this.#onClose = onClose;
  }

  async migrate(): Promise<void> {
    await runMigrations(this.#db, this.#flavor, this.#now());
    const journal = this.#journal;
    if (!journal) return;
    // What a previous process journaled and may not have committed: replayed in order (a
    // begin already stored is ignored, a finish applies only to a 'started' row), before
    // start-up recovery looks for orphans.
    const leftover = journal.leftover();
    if (leftover.length > 0) await this.#commit(leftover);
    journal.dropLeftover();
  }

  beginAttempt(s: AttemptStart): Promise<void> | undefined {
    try {
      checkStart(s);
      const w = { kind: 'begin', start: s } as const;
      // With a journal: durable once journaled (at once unless it fsyncs); the database gets
      // it with its finish (or after a while). A failure there is counted by the writer and
      // pins the journal for the next start-up to replay.
      if (this.#journaled) return this.#journaled.begin(w);
      return this.#writer.write(w).then(() => undefined);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  async finishAttempt(f: AttemptFinish): Promise<boolean> {
    checkFinish(f);
    const w = { kind: 'finish', finish: f } as const;
    return this.#journaled ? this.#journaled.finish(w) : this.#writer.write(w);
  }

  async recoverOrphans(startedBefore: number, settle: (row: AttemptRow) => OrphanSettlement): Promise<number> {
    await this.#settled();
    return attempts.recoverOrphans(this.#db, this.#flavor, startedBefore, settle);
  }

  // Reads first wait for the attempt writes already queued: a caller reads its own writes.
  async listAttempts(filter: AttemptPage): Promise<AttemptRow[]> {
    await this.#settled();
    return attempts.listAttempts(this.#db, this.#flavor, filter);
  }

  async countAttempts(filter: AttemptFilter): Promise<number> {
    await this.#settled();
    return attempts.countAttempts(this.#db, this.#read, this.#flavor, filter);
  }

  async spendBy(dim: SpendDimension, from: number, to: number, tenantId?: string): Promise<SpendRow[]> {
    await this.#settled();
    return reports.spendBy(this.#db, this.#read, dim, from, to, tenantId);
  }

  async spendToDate(accounts: readonly string[], from: number, to: number): Promise<number> {
    await this.#settled();
    return reports.spendToDate(this.#db, this.#read, accounts, from, to);
  }

  async servedCounts(from: number, to: number): Promise<ServedCount[]> {
    await this.#settled();
    return reports.servedCounts(this.#db, this.#read, this.#flavor, from, to);
  }

  createTenant(t: TenantInput): Promise<Tenant> {
    return tenants.createTenant(this.#db, t, this.#now());
  }

  getTenant(id: string): Promise<Tenant | undefined> {
    return tenants.getTenant(this.#db, id);
  }

  listTenants(): Promise<Tenant[]> {
    return tenants.listTenants(this.#db);
  }

  updateTenant(id: string, patch: TenantPatch): Promise<Tenant | undefined> {
    return tenants.updateTenant(this.#db, id, patch);
  }

  createKey(k: KeyInput): Promise<ApiKeyRecord> {
    return tenants.createKey(this.#db, k);
  }

  findKeyByHash(hash: string): Promise<ApiKeyRecord | undefined> {
    return tenants.findKeyByHash(this.#db, hash);
  }

  listKeys(tenantId: string): Promise<ApiKeyRecord[]> {
    return tenants.listKeys(this.#db, tenantId);
  }

  getKey(tenantId: string, keyId: string): Promise<ApiKeyRecord | undefined> {
    return tenants.getKey(this.#db, tenantId, keyId);
  }

  revokeKey(tenantId: string, keyId: string, at: number): Promise<boolean> {
    return tenants.revokeKey(this.#db, tenantId, keyId, at);
  }

  async reserveBudget(scope: string, periodStart: number, amountUsd: number, capUsd: number, hold?: BudgetHold): Promise<boolean> {
    if (this.#budgetWriter) {
      checkAmount('amountUsd', amountUsd);
      checkAmount('capUsd', capUsd);
      return this.#budgetWriter.write({ kind: 'reserve', scope, periodStart, amount: toNano(amountUsd), cap: toNano(capUsd), ...(hold ? { hold } : {}) });
    }
    return budgets.reserveBudget(this.#db, this.#flavor, scope, periodStart, amountUsd, capUsd, hold);
  }

  async settleBudget(scope: string, periodStart: number, reservedUsd: number, actualUsd: number, requestId?: string): Promise<void> {
    if (this.#budgetWriter) {
      checkAmount('reservedUsd', reservedUsd);
      checkAmount('actualUsd', actualUsd);
      await this.#budgetWriter.write({ kind: 'settle', scope, periodStart, released: toNano(reservedUsd), actual: toNano(actualUsd), ...(requestId !== undefined ? { requestId } : {}) });
      return;
    }
    return budgets.settleBudget(this.#db, this.#flavor, scope, periodStart, reservedUsd, actualUsd, requestId);
  }

  async releaseStaleHolds(createdBefore: number): Promise<number> {
    // It prices holds from the attempts' rows, and settles holds: both must be in.
    await this.#settled();
    await this.#budgetWriter?.settled();
    return budgets.releaseStaleHolds(this.#db, this.#flavor, createdBefore);
  }

  async budgetUsage(scope: string, periodStart: number): Promise<BudgetUsage> {
    // Every reservation and settlement made so far is in (they wait a turn to be grouped).
    await this.#budgetWriter?.settled();
    return budgets.budgetUsage(this.#db, scope, periodStart);
  }

  idempotencyBegin(tenantId: string, key: string, bodyHash: string, now: number): Promise<IdempotencyBegin> {
    if (this.#idemWriter) return this.#idemWriter.write({ kind: 'begin', tenantId, key, bodyHash, now, ttlMs: this.#ttlMs }) as Promise<IdempotencyBegin>;
    return idem.idempotencyBegin(this.#db, tenantId, key, bodyHash, now, this.#ttlMs);
  }

  pruneIdempotency(claimedBefore: number): Promise<number> {
    return idem.pruneIdempotency(this.#db, claimedBefore);
  }

  idempotencyComplete(tenantId: string, key: string, status: number, body: string): Promise<boolean> {
    if (this.#idemWriter) return this.#idemWriter.write({ kind: 'complete', tenantId, key, status, body }) as Promise<boolean>;
    return idem.idempotencyComplete(this.#db, tenantId, key, status, body);
  }

  idempotencyAbandon(tenantId: string, key: string): Promise<void> {
    if (this.#idemWriter) return this.#idemWriter.write({ kind: 'abandon', tenantId, key }).then(() => undefined);
    return idem.idempotencyAbandon(this.#db, tenantId, key);
  }

  /** Every attempt write acknowledged so far is committed (or failed): what a reader waits for. */
  #settled(): Promise<void> {
    return this.#journaled ? this.#journaled.settled() : this.#writer.settled();
  }

  writeStats(): WriteStats {
    const s = this.#writer.stats;
    const checkpoint = this.#checkpointStats?.();
    return { transactions: s.transactions, rows: s.rows, failedWrites: s.failedWrites, waiting: this.#writer.waiting, ...(checkpoint ? { checkpoint: { ...checkpoint } } : {}) };
  }

  async close(): Promise<void> {
    // Queued attempt writes belong to callers still waiting on them: commit before closing.
    // With a journal, its current turn goes out first: the callers waiting on that write
    // queue their writes with the writer before written() resolves (they awaited it first).
    await this.#journal?.written();
    await (this.#journaled ?? this.#writer).close();
    await this.#budgetWriter?.close();
    await this.#idemWriter?.close();
    // Everything is committed now, but for writes that failed, which pinned the journal.
    this.#journal?.close(true);
    // The store's helpers (SQLite: the read and checkpoint workers) stop first, so their timers
    // never run against a closed connection (a checkpointer tick did, in CI), and the serving
    // connection is the last to close, as the checkpointer expects (SQLite's last connection
    // checkpoints what is left).
    await this.#onClose();
    await this.#db.destroy();
  }
}
