// Idempotency-Key ops group-committed on SQLite (G19): a turn's claims, completions and releases
// in one transaction, each the same check as the shared path, in order.

import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { runMigrations } from './migrations/index.js';
import type { LedgerDb } from './sql/db.js';
import { SqlLedgerStore, type IdemOp } from './sql/sql-store.js';
import { sqliteFlavor as flavor } from './sqlite/open-sqlite.js';
import { preparedIdempotencyCommit } from './sqlite/prepared-idempotency.js';

let store: SqlLedgerStore | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

const T0 = Date.UTC(2026, 11, 1);
const TTL = 60_000;

async function open(): Promise<{ store: SqlLedgerStore; sizes: number[] }> {
  const sqlite = new Database(':memory:');
  const db = new Kysely<LedgerDb>({ dialect: new SqliteDialect({ database: sqlite }) });
  await runMigrations(db, flavor, 0);
  const commit = preparedIdempotencyCommit(db, sqlite);
  const sizes: number[] = [];
  store = new SqlLedgerStore(db, flavor, { idempotencyInFlightTtlMs: TTL }, async () => {}, {
    commitIdempotency: (ops: readonly IdemOp[]) => {
      sizes.push(ops.length);
      return commit(ops);
    },
  });
  return { store, sizes };
}

describe('Idempotency-Key ops, group-committed (SQLite)', () => {
  it('50 concurrent claims of one key: exactly one proceeds, in one transaction', async () => {
    const { store, sizes } = await open();
    const results = await Promise.all(Array.from({ length: 50 }, () => store.idempotencyBegin('t1', 'k1', 'h1', T0)));
    expect(results.filter((r) => r.state === 'new')).toHaveLength(1);
    expect(results.filter((r) => r.state === 'in-flight')).toHaveLength(49);
    expect(sizes).toEqual([50]);
  });

  it('a completed key replays its answer; another body under it is a mismatch', async () => {
    const { store } = await open();
    expect(await store.idempotencyBegin('t1', 'k1', 'h1', T0)).toEqual({ state: 'new' });
    expect(await store.idempotencyComplete('t1', 'k1', 200, '{"ok":true}')).toBe(true);
    expect(await store.idempotencyComplete('t1', 'k1', 200, '{"again":true}')).toBe(false);
    expect(await store.idempotencyBegin('t1', 'k1', 'h1', T0 + 1)).toEqual({ state: 'done', status: 200, body: '{"ok":true}' });
    expect(await store.idempotencyBegin('t1', 'k1', 'other', T0 + 1)).toEqual({ state: 'mismatch' });
    // Keys are per tenant.
    expect(await store.idempotencyBegin('t2', 'k1', 'h1', T0 + 1)).toEqual({ state: 'new' });
  });

  it('a released key can be claimed again; a completed one cannot be released', async () => {
    const { store } = await open();
    await store.idempotencyBegin('t1', 'k1', 'h1', T0);
    await store.idempotencyAbandon('t1', 'k1');
    expect(await store.idempotencyBegin('t1', 'k1', 'h1', T0)).toEqual({ state: 'new' });
    await store.idempotencyComplete('t1', 'k1', 201, 'x');
    await store.idempotencyAbandon('t1', 'k1');
    expect(await store.idempotencyBegin('t1', 'k1', 'h1', T0)).toMatchObject({ state: 'done', status: 201 });
  });

  it('a claim held past the in-flight TTL (its holder crashed) is taken over once', async () => {
    const { store } = await open();
    await store.idempotencyBegin('t1', 'k1', 'h1', T0);
    expect(await store.idempotencyBegin('t1', 'k1', 'h1', T0 + TTL - 1)).toEqual({ state: 'in-flight' });
    const [a, b] = await Promise.all([store.idempotencyBegin('t1', 'k1', 'h1', T0 + TTL + 1), store.idempotencyBegin('t1', 'k1', 'h1', T0 + TTL + 1)]);
    expect([a, b]).toEqual([{ state: 'new' }, { state: 'in-flight' }]);
  });

  it('a claim, its answer and the replay made in one turn apply in that order', async () => {
    const { store, sizes } = await open();
    const claim = store.idempotencyBegin('t1', 'k1', 'h1', T0);
    const done = store.idempotencyComplete('t1', 'k1', 200, 'body');
    const replay = store.idempotencyBegin('t1', 'k1', 'h1', T0);
    expect(await claim).toEqual({ state: 'new' });
    expect(await done).toBe(true);
    expect(await replay).toEqual({ state: 'done', status: 200, body: 'body' });
    expect(sizes).toEqual([3]);
  });
});
