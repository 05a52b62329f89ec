// Budget ops group-committed on SQLite: a turn's reservations and settlements in one
// transaction, each still an atomic check against the cap, in order (G17), and the same
// bookkeeping as the shared one-transaction-per-op path.

import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { runMigrations } from './migrations/index.js';
import type { LedgerDb } from './sql/db.js';
import { SqlLedgerStore, type BudgetOp } from './sql/sql-store.js';
import { sqliteFlavor as flavor } from './sqlite/open-sqlite.js';
import { preparedBudgetCommit } from './sqlite/prepared-budgets.js';

let store: SqlLedgerStore | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

const T0 = Date.UTC(2026, 11, 1);

/** A SQLite store whose budget commits are counted (each call is one transaction). */
async function open(): Promise<{ store: SqlLedgerStore; transactions: () => number; sizes: number[] }> {
  const sqlite = new Database(':memory:');
  const db = new Kysely<LedgerDb>({ dialect: new SqliteDialect({ database: sqlite }) });
  await runMigrations(db, flavor, 0);
  const commit = preparedBudgetCommit(db, sqlite);
  const sizes: number[] = [];
  const counted = (ops: readonly BudgetOp[]): Promise<boolean[]> => {
    sizes.push(ops.length);
    return commit(ops);
  };
  store = new SqlLedgerStore(db, flavor, {}, async () => {}, { commitBudgets: counted });
  return { store, transactions: () => sizes.length, sizes };
}

describe('budget ops, group-committed (SQLite)', () => {
  it('200 concurrent $1 reservations against a $50 cap: exactly 50 taken, in a few transactions', async () => {
    const { store, transactions } = await open();
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => store.reserveBudget('tenant:a', T0, 1, 50, { requestId: `r${i}`, at: T0 })));
    expect(results.filter(Boolean)).toHaveLength(50);
    // One turn's reservations share a commit (at most 256 a batch).
    expect(transactions()).toBeLessThanOrEqual(2);
    expect(await store.budgetUsage('tenant:a', T0)).toEqual({ spentUsd: 0, reservedUsd: 50 });
  });

  it('a settlement releases its hold once: a second settlement of the same request changes nothing', async () => {
    const { store } = await open();
    expect(await store.reserveBudget('tenant:a', T0, 5, 10, { requestId: 'req-1', at: T0 })).toBe(true);
    await Promise.all([store.settleBudget('tenant:a', T0, 5, 3.5, 'req-1'), store.settleBudget('tenant:a', T0, 5, 3.5, 'req-1')]);
    expect(await store.budgetUsage('tenant:a', T0)).toEqual({ spentUsd: 3.5, reservedUsd: 0 });
    // Headroom left: 10 - 3.5.
    expect(await store.reserveBudget('tenant:a', T0, 6.5, 10)).toBe(true);
    expect(await store.reserveBudget('tenant:a', T0, 0.01, 10)).toBe(false);
  });

  it('ops of one turn apply in the order they were made: a settlement frees headroom for the reservation after it', async () => {
    const { store, sizes } = await open();
    expect(await store.reserveBudget('tenant:a', T0, 10, 10, { requestId: 'first', at: T0 })).toBe(true);
    const settled = store.settleBudget('tenant:a', T0, 10, 2, 'first');
    const next = store.reserveBudget('tenant:a', T0, 8, 10, { requestId: 'second', at: T0 });
    await settled;
    expect(await next).toBe(true);
    expect(sizes.at(-1)).toBe(2);
    expect(await store.budgetUsage('tenant:a', T0)).toEqual({ spentUsd: 2, reservedUsd: 8 });
  });

  it('bad amounts are refused before anything is queued', async () => {
    const { store, transactions } = await open();
    await expect(store.reserveBudget('tenant:a', T0, -1, 10)).rejects.toThrow(/non-negative/);
    await expect(store.settleBudget('tenant:a', T0, 1, Number.NaN)).rejects.toThrow(/non-negative/);
    expect(transactions()).toBe(0);
  });

  it('a failing op fails alone: the others of its batch commit', async () => {
    const { store } = await open();
    // The same request and scope held twice: the second hold breaks the primary key.
    const [a, b, c] = await Promise.allSettled([
      store.reserveBudget('tenant:a', T0, 1, 10, { requestId: 'dup', at: T0 }),
      store.reserveBudget('tenant:a', T0, 1, 10, { requestId: 'dup', at: T0 }),
      store.reserveBudget('tenant:a', T0, 2, 10, { requestId: 'other', at: T0 }),
    ]);
    expect(a).toEqual({ status: 'fulfilled', value: true });
    expect(b.status).toBe('rejected');
    expect(c).toEqual({ status: 'fulfilled', value: true });
    expect(await store.budgetUsage('tenant:a', T0)).toEqual({ spentUsd: 0, reservedUsd: 3 });
  });
});
