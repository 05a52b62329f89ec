// The shared query layer's view of the schema, the few places where the two dialects differ,
// and the money unit. Both implementations run the same Kysely query code over these types.

import { sql, type CompiledQuery, type Kysely, type RawBuilder, type SqlBool } from 'kysely';

// Booleans are INTEGER 0/1 in both dialects: SQLite has no boolean type and better-sqlite3
// cannot bind JS booleans, and one column type keeps the query code identical.
export interface AttemptsTable {
  request_id: string;
  attempt_no: number;
  client_request_id: string | null;
  tenant_id: string | null;
  key_id: string | null;
  model: string;
  deployment_id: string;
  account: string;
  region: string;
  stream: number;
  started_at: number;
  decision: string | null;
  contract_version: string | null;
  estimated_prompt_tokens: number;
  status: string;
  ended_at: number | null;
  first_byte_at: number | null;
  http_status: number | null;
  failure_kind: string | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  cached_prompt_tokens: number | null;
  cache_write_tokens: number | null;
  usage_source: string | null;
  list_cost_nano_usd: number | null;
  effective_cost_nano_usd: number | null;
  settled_from_estimate: number;
}

/** Columns shared by tenants and api_keys. JSON arrays are TEXT in both dialects. */
export interface AccessColumns {
  allowed_models: string | null;
  traffic_class: string | null;
  tags: string;
  rpm: number | null;
  tpm: number | null;
  budget_nano_usd: number | null;
  budget_period: string | null;
}

export interface TenantsTable extends AccessColumns {
  id: string;
  name: string;
  created_at: number;
}

export interface ApiKeysTable extends AccessColumns {
  id: string;
  tenant_id: string;
  name: string;
  hash: string;
  prefix: string;
  created_at: number;
  revoked_at: number | null;
}

export interface BudgetsTable {
  scope: string;
  period_start: number;
  spent_nano_usd: number;
  reserved_nano_usd: number;
}

export interface IdempotencyTable {
  tenant_id: string;
  key: string;
  body_hash: string;
  state: string;
  status: number | null;
  body: string | null;
  created_at: number;
}

export interface SchemaVersionsTable {
  version: number;
  name: string;
  applied_at: number;
}

/** One request's reservation in one budget scope, until it is settled (or released by recovery). */
export interface BudgetHoldsTable {
  request_id: string;
  scope: string;
  period_start: number;
  amount_nano_usd: number;
  created_at: number;
}

export interface LedgerDb {
  attempts: AttemptsTable;
  budget_holds: BudgetHoldsTable;
  tenants: TenantsTable;
  api_keys: ApiKeysTable;
  budgets: BudgetsTable;
  idempotency_keys: IdempotencyTable;
  schema_versions: SchemaVersionsTable;
}

export type Db = Kysely<LedgerDb>;

/** What differs between the dialects; everything else is shared code. */
/**
 * Runs a read that may scan many rows (an aggregate over a month or a term): on a connection
 * off the event loop where the dialect has one (SQLite: sqlite/read-worker.ts), else as usual.
 */
export type LongRead = <R>(q: { compile(): CompiledQuery<R>; execute(): Promise<R[]> }) => Promise<R[]>;

/** A LongRead on the query's own connection (Postgres: the pool already keeps it off the loop). */
export const readHere: LongRead = (q) => q.execute();

export interface SqlFlavor {
  name: 'sqlite' | 'postgres';
  /**
   * Opens a write transaction. SQLite: BEGIN IMMEDIATE takes the write lock up front, so a
   * second process waits on busy_timeout instead of failing a deferred lock upgrade.
   */
  beginWrite: string;
  /** Serialises concurrent `migrate()` calls inside the migration transaction. */
  lockMigrations(tx: Db): Promise<void>;
  /** The traffic class the row's decision JSON recorded (`$.class`), as text or null. */
  decisionClass: RawBuilder<string | null>;
  /** The row's decision contains `text` exactly (no LIKE: SQLite's is case-insensitive, and wildcards would need escaping). */
  decisionContains(text: string): RawBuilder<SqlBool>;
}

/**
 * Runs `fn` in one write transaction on one connection. Kysely's own transaction() always
 * issues a plain BEGIN, which is why this exists.
 */
export async function inWriteTx<T>(db: Db, flavor: SqlFlavor, fn: (tx: Db) => Promise<T>): Promise<T> {
  return db.connection().execute(async (conn) => {
    await sql.raw(flavor.beginWrite).execute(conn);
    let result: T;
    try {
      result = await fn(conn);
      await sql.raw('commit').execute(conn);
    } catch (err) {
      // A failed COMMIT leaves a SQLite transaction open; roll back so the connection is clean.
      await sql.raw('rollback').execute(conn).catch(() => undefined);
      throw err;
    }
    return result;
  });
}

// Money is stored as integer nano-dollars (1e-9 USD) in BIGINT columns. Integers make sums
// and the budget check `spent + reserved + r <= cap` exact (in floating point, fifty $0.10
// reservations do not add up to $5.00), and one nano-dollar is fine enough for one token at
// the cheapest prices (micro-dollars would round a small attempt by tens of percent). JS
// numbers hold nano-dollars exactly up to $9M per value; beyond that the error is a few
// nano-dollars. SQLite's SUM overflows at $9.2 billion per group.
const NANO = 1e9;

export function toNano(usd: number): number {
  if (!Number.isFinite(usd)) throw new RangeError(`money must be a finite number of USD, got ${usd}`);
  return Math.round(usd * NANO);
}

export function toNanoOrNull(usd: number | null): number | null {
  return usd === null ? null : toNano(usd);
}

export function fromNano(nano: number): number {
  return nano / NANO;
}

export function fromNanoOrNull(nano: number | null): number | null {
  return nano === null ? null : fromNano(nano);
}

/**
 * Aggregates arrive as numbers (SQLite), or as strings from Postgres when a type parser is
 * missing; SUM over no known value is NULL, which for a sum of known values is 0.
 */
export function aggregate(v: unknown): number {
  if (v === null || v === undefined) return 0;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n)) throw new TypeError(`unexpected aggregate value ${String(v)}`);
  return n;
}
