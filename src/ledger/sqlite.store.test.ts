// The shared store suite on SQLite: a fresh database file per test, so the second store in
// the durability checks is a genuinely separate connection to the same file. It runs twice:
// attempt writes through prepared statements (the default) and through the shared Kysely
// code that Postgres runs, so both SQLite write paths keep the same behaviour; and a third
// time as the gateway opens it, with the write-ahead journal in front of the attempt writes
// and long reads (spend, served counts, counts) on the read worker's own connection.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLedger } from './open.js';
import type { LedgerStore } from './store.js';
import { runStoreSuite } from './test-support/store-suite.js';

const VARIANTS = [
  { label: 'prepared attempt writes', prepared: true, journal: false },
  { label: 'Kysely attempt writes', prepared: false, journal: false },
  { label: 'prepared attempt writes behind the write-ahead journal', prepared: true, journal: true },
];

for (const { label, prepared, journal } of VARIANTS) {
  runStoreSuite(`SQLite ledger store (${label})`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'treaty-ledger-'));
    const url = `sqlite:${join(dir, 'ledger.db')}`;
    const opened: LedgerStore[] = [];
    const open = async (journaled = false): Promise<LedgerStore> => {
      const s = await openLedger(url, { preparedAttemptWrites: prepared, writeAheadJournal: journaled, readInWorker: journaled });
      opened.push(s);
      return s;
    };
    // The second store is another process reading or administering the file: no journal.
    const store = await open(journal);
    await store.migrate();
    return {
      store,
      openSecond: () => open(),
      journaled: journal,
      dispose: async () => {
        await Promise.all(opened.map((s) => s.close()));
        rmSync(dir, { recursive: true, force: true });
      },
    };
  });
}
