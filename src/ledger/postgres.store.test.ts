// The shared store suite on Postgres (TREATY_TEST_PG_URL, default the local server). Every
// test gets its own schema, dropped afterwards. If Postgres is unreachable the suite is
// skipped with a message, except under CI=true, where that is a failure.

import { describe, it } from 'vitest';
import { openLedger } from './open.js';
import type { LedgerStore } from './store.js';
import { dropSchema, PG_URL, pgProblem, withSchema } from './test-support/postgres.js';
import { runStoreSuite } from './test-support/store-suite.js';

const RUN = `treaty_test_${process.pid}_${Date.now().toString(36)}`;
let seq = 0;

const problem = await pgProblem();

if (problem === undefined) {
  runStoreSuite('Postgres ledger store', async () => {
    const schema = `${RUN}_${++seq}`;
    const opened: LedgerStore[] = [];
    const open = async (): Promise<LedgerStore> => {
      const s = await openLedger(withSchema(schema));
      opened.push(s);
      return s;
    };
    const store = await open();
    await store.migrate();
    return {
      store,
      openSecond: open,
      dispose: async () => {
        await Promise.all(opened.map((s) => s.close()));
        await dropSchema(schema);
      },
    };
  });
} else if (process.env.CI === 'true') {
  describe('Postgres ledger store', () => {
    it('reaches Postgres (required under CI=true)', () => {
      throw new Error(`Postgres at ${new URL(PG_URL).host} is unreachable: ${problem}. Set TREATY_TEST_PG_URL.`);
    });
  });
} else {
  console.warn(`Postgres ledger store suite SKIPPED: ${new URL(PG_URL).host} unreachable (${problem}). Set TREATY_TEST_PG_URL; under CI=true this fails.`);
  describe.skip(`Postgres ledger store (skipped: Postgres unreachable: ${problem})`, () => {
    it('needs Postgres', () => {});
  });
}
