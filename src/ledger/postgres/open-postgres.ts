// The scale-out ledger: Postgres through Kysely's PostgresDialect and a pg Pool, running the
// same query code as SQLite. Several Treaty replicas can share one database.

import { Kysely, PostgresDialect, sql, type SqlBool } from 'kysely';
import pg from 'pg';
import type { LedgerStore } from '../store.js';
import type { LedgerDb, SqlFlavor } from '../sql/db.js';
import { SqlLedgerStore, type SqlStoreOptions } from '../sql/sql-store.js';

export interface PostgresLedgerOptions extends SqlStoreOptions {
  /** Pool size. Default 10. */
  poolSize?: number;
}

const INT8_OID = 20;
const NUMERIC_OID = 1700;

// pg returns BIGINT (and SUM/COUNT over it) as strings to avoid precision loss. Our BIGINTs
// are epoch ms, nano-dollars and counts, all far inside what a double holds exactly for
// ledger-sized values (see sql/db.ts), so they are parsed to numbers. Scoped to our pool,
// not set globally on the pg module, so other pg users in the process are unaffected.
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) => {
    if (oid === INT8_OID || oid === NUMERIC_OID) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format as 'text');
  }) as pg.CustomTypesConfig['getTypeParser'],
};

const postgresFlavor: SqlFlavor = {
  name: 'postgres',
  beginWrite: 'begin',
  // A transaction-scoped advisory lock per schema: replicas starting together migrate one at
  // a time, and ledgers in other schemas (tests) do not wait for each other.
  lockMigrations: async (tx) => {
    await sql`select pg_advisory_xact_lock(hashtext('treaty-ledger:' || current_schema()))`.execute(tx);
  },
  // The text is always Treaty's own JSON; a top-level "class" only (->> on the parsed value).
  decisionClass: sql<string | null>`(decision::json ->> 'class')`,
  decisionContains: (text) => sql<SqlBool>`strpos(decision, ${text}) > 0`,
};

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * `url` is a postgres:// connection string. An optional `?schema=name` puts every table in
 * that schema (created if missing), e.g. to isolate test runs or several ledgers.
 */
export async function openPostgresLedger(url: string, opts: PostgresLedgerOptions = {}): Promise<LedgerStore> {
  const u = new URL(url);
  const schema = u.searchParams.get('schema');
  u.searchParams.delete('schema');
  if (schema !== null && !SCHEMA_NAME.test(schema)) {
    throw new Error(`ledger URL: schema must match ${SCHEMA_NAME.source} (lower case, as Postgres folds it), got "${schema}"`);
  }
  const base: pg.PoolConfig = { connectionString: u.toString(), types, max: opts.poolSize ?? 10 };
  if (schema !== null) await createSchema(base, schema);
  // search_path set at connection start: unqualified names, including every query and
  // migration, resolve in the schema without threading it through the query code.
  const pool = new pg.Pool(schema === null ? base : { ...base, options: `-c search_path=${schema}` });
  // An idle client that loses its connection emits 'error' on the pool; unhandled, it would
  // crash the process. The pool drops that client and the next query reports the problem.
  pool.on('error', () => {});
  const db = new Kysely<LedgerDb>({ dialect: new PostgresDialect({ pool }) });
  return new SqlLedgerStore(db, postgresFlavor, opts);
}

async function createSchema(config: pg.PoolConfig, schema: string): Promise<void> {
  const client = new pg.Client(config);
  await client.connect();
  try {
    // The name was checked against SCHEMA_NAME above, so quoting it is enough.
    await client.query(`create schema if not exists "${schema}"`);
  } catch (err) {
    // Two replicas creating the same schema at once can race in the catalog; the loser is fine.
    const exists = await client.query('select 1 from pg_namespace where nspname = $1', [schema]);
    if (exists.rowCount !== 1) throw err;
  } finally {
    await client.end();
  }
}
