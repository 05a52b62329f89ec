// The shared store suite on SQLite: a fresh database file per test, so the second store in
// the durability checks is a genuinely separate connection to the same file. It runs twice:
// attempt writes through prepared statements (the default) and through the shared Kysely
// code that Postgres runs, so both SQLite write paths keep the same behaviour.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLedger } from './open.js';
import type { LedgerStore } from './store.js';
import { runStoreSuite } from './test-support/store-suite.js';

for (const prepared of [true, false]) {
  runStoreSuite(`SQLite ledger store (${prepared ? 'prepared' : 'Kysely'} attempt writes)`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'treaty-ledger-'));
    const url = `sqlite:${join(dir, 'ledger.db')}`;
    const opened: LedgerStore[] = [];
    const open = async (): Promise<LedgerStore> => {
      const s = await openLedger(url, { preparedAttemptWrites: prepared });
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
        rmSync(dir, { recursive: true, force: true });
      },
    };
  });
}
