// The LedgerStore over Kysely. Both dialects construct this same class with their own
// Kysely instance and SqlFlavor, so every query is the same code on SQLite and Postgres.

import type {
  ApiKeyRecord, AttemptFilter, AttemptFinish, AttemptPage, AttemptRow, AttemptStart, BudgetHold, BudgetUsage,
  IdempotencyBegin, KeyInput, LedgerStore, OrphanSettlement, SpendDimension, SpendRow, Tenant,
  TenantInput, TenantPatch, WriteStats,
} from '../store.js';
import { BatchWriter, type BatchWriterOptions } from '../batch-writer.js';
import { runMigrations } from '../migrations/index.js';
import * as attempts from './attempts.js';
import * as budgets from './budgets.js';
import type { Db, SqlFlavor } from './db.js';
import * as idem from './idempotency.js';
import * as reports from './reports.js';
import * as tenants from './tenants.js';
import { checkFinish, checkStart } from './validate.js';

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

export class SqlLedgerStore implements LedgerStore {
  readonly #db: Db;
  readonly #flavor: SqlFlavor;
  readonly #writer: BatchWriter<attempts.AttemptWrite, boolean>;
  readonly #ttlMs: number;
  readonly #now: () => number;
  /** Runs after the Kysely instance is destroyed (temp files, schemas). */
  readonly #onClose: () => Promise<void>;

  /**
   * `commitAttempts` replaces the shared Kysely commit of attempt batches (a dialect's faster
   * path with the same contract: one transaction per batch, one result per write, in order).
   */
  constructor(db: Db, flavor: SqlFlavor, opts: SqlStoreOptions = {}, onClose: () => Promise<void> = async () => {}, commitAttempts?: AttemptCommit) {
    this.#db = db;
    this.#flavor = flavor;
    this.#writer = new BatchWriter(commitAttempts ?? ((ops) => attempts.commitAttemptWrites(db, flavor, ops)), opts.batch);
    this.#ttlMs = opts.idempotencyInFlightTtlMs ?? 15 * 60_000;
    this.#now = opts.now ?? Date.now;
    this.#onClose = onClose;
  }

  async migrate(): Promise<void> {
    await runMigrations(this.#db, this.#flavor, this.#now());
  }

  async beginAttempt(s: AttemptStart): Promise<void> {
    checkStart(s);
    await this.#writer.write({ kind: 'begin', start: s });
  }

  async finishAttempt(f: AttemptFinish): Promise<boolean> {
    checkFinish(f);
    return this.#writer.write({ kind: 'finish', finish: f });
  }

  recoverOrphans(startedBefore: number, settle: (row: AttemptRow) => OrphanSettlement): Promise<number> {
    return attempts.recoverOrphans(this.#db, this.#flavor, startedBefore, settle);
  }

  listAttempts(filter: AttemptPage): Promise<AttemptRow[]> {
    return attempts.listAttempts(this.#db, filter);
  }

  countAttempts(filter: AttemptFilter): Promise<number> {
    return attempts.countAttempts(this.#db, filter);
  }

  spendBy(dim: SpendDimension, from: number, to: number, tenantId?: string): Promise<SpendRow[]> {
    return reports.spendBy(this.#db, dim, from, to, tenantId);
  }

  spendToDate(accounts: readonly string[], from: number, to: number): Promise<number> {
    return reports.spendToDate(this.#db, accounts, from, to);
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

  reserveBudget(scope: string, periodStart: number, amountUsd: number, capUsd: number, hold?: BudgetHold): Promise<boolean> {
    return budgets.reserveBudget(this.#db, this.#flavor, scope, periodStart, amountUsd, capUsd, hold);
  }

  settleBudget(scope: string, periodStart: number, reservedUsd: number, actualUsd: number, requestId?: string): Promise<void> {
    return budgets.settleBudget(this.#db, this.#flavor, scope, periodStart, reservedUsd, actualUsd, requestId);
  }

  releaseStaleHolds(createdBefore: number): Promise<number> {
    return budgets.releaseStaleHolds(this.#db, this.#flavor, createdBefore);
  }

  budgetUsage(scope: string, periodStart: number): Promise<BudgetUsage> {
    return budgets.budgetUsage(this.#db, scope, periodStart);
  }

  idempotencyBegin(tenantId: string, key: string, bodyHash: string, now: number): Promise<IdempotencyBegin> {
    return idem.idempotencyBegin(this.#db, tenantId, key, bodyHash, now, this.#ttlMs);
  }

  pruneIdempotency(claimedBefore: number): Promise<number> {
    return idem.pruneIdempotency(this.#db, claimedBefore);
  }

  idempotencyComplete(tenantId: string, key: string, status: number, body: string): Promise<boolean> {
    return idem.idempotencyComplete(this.#db, tenantId, key, status, body);
  }

  idempotencyAbandon(tenantId: string, key: string): Promise<void> {
    return idem.idempotencyAbandon(this.#db, tenantId, key);
  }

  writeStats(): WriteStats {
    const s = this.#writer.stats;
    return { transactions: s.transactions, rows: s.rows };
  }

  async close(): Promise<void> {
    // Queued attempt writes belong to callers still waiting on them: commit before closing.
    await this.#writer.close();
    await this.#db.destroy();
    await this.#onClose();
  }
}
