// Migration 4: the search for stale 'started' rows (orphan recovery, the cluster's sweeper)
// reads a partial index of open rows, and no index of every row's status is kept up on insert.

import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openLedger } from './open.js';
import type { LedgerDb } from './sql/db.js';
import { staleStartedQuery } from './sql/attempts.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the index of open attempts (SQLite)', () => {
  it('the stale-row search walks only open rows; finished rows enter no status index', async () => {
    dir = mkdtempSync(join(tmpdir(), 'treaty-open-ix-'));
    const path = join(dir, 'ledger.db');
    const store = await openLedger(`sqlite:${path}`);
    await store.migrate();
    await store.close();

    const sqlite = new Database(path);
    try {
      const indexes = (sqlite.prepare("select name, sql from sqlite_master where type = 'index' and tbl_name = 'attempts'").all() as { name: string; sql: string | null }[]).map((r) => r.name);
      expect(indexes).toContain('attempts_open_started_ix');
      expect(indexes).not.toContain('attempts_status_started_ix');

      const db = new Kysely<LedgerDb>({ dialect: new SqliteDialect({ database: sqlite }) });
      const q = staleStartedQuery(db, 1_700_000_000_000).compile();
      const plan = (sqlite.prepare(`explain query plan ${q.sql}`).all(...q.parameters) as { detail: string }[]).map((r) => r.detail).join(' | ');
      // Through the partial index, already in started_at order: no scan of all rows, no sort.
      expect(plan).toMatch(/USING INDEX attempts_open_started_ix/);
      expect(plan).not.toMatch(/TEMP B-TREE/);
    } finally {
      sqlite.close();
    }
  });
});
