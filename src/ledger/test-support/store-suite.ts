// The one behaviour suite every LedgerStore implementation must pass (design habit 3: the
// same tests per dialect, as Kysely does). Each test gets a fresh, migrated, empty ledger.

import { afterEach, beforeEach, describe } from 'vitest';
import type { LedgerStore } from '../store.js';
import { accountCases } from './account-cases.js';
import { attemptCases } from './attempt-cases.js';
import { moneyCases } from './money-cases.js';

export interface StoreHarness {
  /** A fresh ledger, already migrated and empty. */
  store: LedgerStore;
  /**
   * Another store with its own connection(s) to the SAME database (file or schema), not yet
   * migrated: what a second process would see. Closed by dispose().
   */
  openSecond(): Promise<LedgerStore>;
  /**
   * The store acknowledges attempt writes from a write-ahead journal and commits them to the
   * database in later batches: a second connection sees a write after the store committed it
   * (any read of the store's own commits what is queued), not the moment it resolved.
   */
  journaled?: boolean;
  /** Closes every store it opened and removes the database. */
  dispose(): Promise<void>;
}

/** Gives the cases the current test's harness. */
export type CurrentHarness = () => StoreHarness;

export function runStoreSuite(name: string, open: () => Promise<StoreHarness>): void {
  describe(name, () => {
    let current: StoreHarness | undefined;
    beforeEach(async () => {
      current = await open();
    });
    afterEach(async () => {
      await current?.dispose();
      current = undefined;
    });
    const get: CurrentHarness = () => {
      if (!current) throw new Error('no harness: the suite opens one before each test');
      return current;
    };
    describe('attempts', () => attemptCases(get));
    describe('tenants, keys and migrations', () => accountCases(get));
    describe('reports, budgets and idempotency', () => moneyCases(get));
  });
}
