// Closing a SQLite ledger that runs its read and checkpoint workers and its journal: every
// attempt reaches the database file and no WAL is left beside it (the last connection to close
// checkpoints it). The workers stop before the serving connection closes; this holds either way,
// what the order prevents is a checkpointer tick on a closed connection (checkpointer.test.ts).

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, expect, it } from 'vitest';
import { openLedger } from './open.js';
import { finish, start } from './test-support/fixtures.js';

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

it('a closed ledger leaves no WAL behind, and every attempt is in the database file', async () => {
  dir = mkdtempSync(join(tmpdir(), 'treaty-close-'));
  const file = join(dir, 'ledger.db');
  const store = await openLedger(`sqlite:${file}`, { writeAheadJournal: true, checkpointInWorker: true, readInWorker: true });
  await store.migrate();
  for (let i = 0; i < 20; i++) {
    await store.beginAttempt(start({ requestId: `r${i}` }));
    await store.finishAttempt(finish({ requestId: `r${i}` }));
  }
  await store.close();
  expect(existsSync(`${file}-wal`)).toBe(false);
  const db = new Database(file, { readonly: true });
  try {
    expect((db.prepare('select count(*) as n from attempts').get() as { n: number }).n).toBe(20);
  } finally {
    db.close();
  }
});
