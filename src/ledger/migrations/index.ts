// Versioned migrations with our own `schema_versions` table rather than Kysely's Migrator:
// the Migrator runs SQLite migrations outside a transaction and locks Postgres with one
// database-wide key. Here every run is a single write transaction on both dialects (SQLite
// DDL is transactional), so a crash mid-migration leaves the previous version intact, and
// concurrent `migrate()` calls from several processes wait for each other.

import type { Kysely } from 'kysely';
import { inWriteTx, type Db, type SqlFlavor } from '../sql/db.js';
import * as v1 from './0001-initial.js';
import * as v2 from './0002-client-request-id.js';
import * as v3 from './0003-budget-holds.js';
import * as v4 from './0004-open-attempts-index.js';

export interface Migration {
  version: number;
  name: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  up(db: Kysely<any>): Promise<void>;
}

/** In order. Never edit a released migration: add the next version. */
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'initial', up: v1.up },
  { version: 2, name: 'client-request-id', up: v2.up },
  { version: 3, name: 'budget-holds', up: v3.up },
  { version: 4, name: 'open-attempts-index', up: v4.up },
];

export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

/** Applies the missing migrations; returns the versions it applied (empty when up to date). */
export async function runMigrations(db: Db, flavor: SqlFlavor, now: number): Promise<number[]> {
  return inWriteTx(db, flavor, async (tx) => {
    await flavor.lockMigrations(tx);
    await tx.schema
      .createTable('schema_versions')
      .ifNotExists()
      .addColumn('version', 'integer', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('applied_at', 'bigint', (c) => c.notNull())
      .execute();
    const rows = await tx.selectFrom('schema_versions').select('version').execute();
    const applied = new Set(rows.map((r) => Number(r.version)));
    const newest = Math.max(0, ...applied);
    if (newest > LATEST_VERSION) {
      // Refuse rather than run old code against a schema it does not know.
      throw new Error(`ledger schema is at version ${newest}, newer than this Treaty knows (${LATEST_VERSION}); upgrade Treaty`);
    }
    const done: number[] = [];
    for (const m of MIGRATIONS) {
      if (applied.has(m.version)) continue;
      await m.up(tx);
      await tx.insertInto('schema_versions').values({ version: m.version, name: m.name, applied_at: now }).execute();
      done.push(m.version);
    }
    return done;
  });
}
