// The prepared attempt writer shares its SQLite connection with Kysely. A batch must never
// run inside a transaction that Kysely holds open across awaits: its callers would be told
// "committed" while their rows still hung on someone else's COMMIT (or ROLLBACK).

import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { runMigrations } from './migrations/index.js';
import type { AttemptWrite } from './sql/attempts.js';
import { inWriteTx, type LedgerDb } from './sql/db.js';
import { startToRow } from './sql/rows.js';
import { sqliteFlavor as flavor } from './sqlite/open-sqlite.js';
import { preparedAttemptCommit } from './sqlite/prepared-attempts.js';
import type { AttemptFinish } from './store.js';
import { finish, start } from './test-support/fixtures.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

let db: Kysely<LedgerDb> | undefined;
afterEach(async () => {
  await db?.destroy();
  db = undefined;
});

async function open() {
  const sqlite = new Database(':memory:');
  db = new Kysely<LedgerDb>({ dialect: new SqliteDialect({ database: sqlite }) });
  await runMigrations(db, flavor, 0);
  return { db, commit: preparedAttemptCommit(db, sqlite) };
}

async function ids(k: Kysely<LedgerDb>): Promise<string[]> {
  return (await k.selectFrom('attempts').select('request_id').orderBy('request_id').execute()).map((r) => r.request_id);
}

describe('prepared attempt writes (SQLite)', () => {
  it('a batch waits for a Kysely transaction held open across awaits and is not rolled back with it', async () => {
    const { db, commit } = await open();
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    const held = inWriteTx(db, flavor, async (tx) => {
      await tx.insertInto('attempts').values(startToRow(start({ requestId: 'doomed' }))).execute();
      entered();
      await sleep(20);
      throw new Error('rolled back');
    });
    await inside;
    let settled = false;
    const mine = commit([{ kind: 'begin', start: start({ requestId: 'mine' }) }]).finally(() => (settled = true));
    await sleep(5);
    expect(settled).toBe(false);
    await expect(held).rejects.toThrow('rolled back');
    expect(await mine).toEqual([true]);
    expect(await ids(db)).toEqual(['mine']);
  });

  it('finishes report whether they applied, in queue order within one batch', async () => {
    const { commit } = await open();
    const writes: AttemptWrite[] = [
      { kind: 'begin', start: start() },
      { kind: 'begin', start: start() },
      { kind: 'finish', finish: finish() },
      { kind: 'finish', finish: finish({ status: 'failed' }) },
      { kind: 'finish', finish: finish({ requestId: 'ghost' }) },
    ];
    expect(await commit(writes)).toEqual([true, true, true, false, false]);
  });

  it('a begin and its finish in one batch store the final row at once; a begin already stored is finished as usual', async () => {
    const { db, commit } = await open();
    // 'early' was begun in an earlier batch (or by a previous process, replayed from its journal).
    expect(await commit([{ kind: 'begin', start: start({ requestId: 'early' }) }])).toEqual([true]);
    const writes: AttemptWrite[] = [
      { kind: 'begin', start: start({ requestId: 'early' }) },
      { kind: 'begin', start: start({ requestId: 'both' }) },
      { kind: 'finish', finish: finish({ requestId: 'both', promptTokens: 11, completionTokens: 7 }) },
      { kind: 'finish', finish: finish({ requestId: 'early', status: 'failed', promptTokens: null, completionTokens: null }) },
      { kind: 'finish', finish: finish({ requestId: 'both', status: 'failed' }) },
    ];
    expect(await commit(writes)).toEqual([true, true, true, true, false]);
    const rows = await db.selectFrom('attempts').select(['request_id', 'status', 'prompt_tokens', 'completion_tokens', 'ended_at']).orderBy('request_id').execute();
    expect(rows).toEqual([
      { request_id: 'both', status: 'ok', prompt_tokens: 11, completion_tokens: 7, ended_at: finish().endedAt },
      { request_id: 'early', status: 'failed', prompt_tokens: null, completion_tokens: null, ended_at: finish().endedAt },
    ]);
  });

  it('a batch is one transaction: a write the database refuses rolls back the whole batch', async () => {
    const { db, commit } = await open();
    const bad = finish({ status: 'bogus' as AttemptFinish['status'] });
    await expect(commit([{ kind: 'begin', start: start() }, { kind: 'finish', finish: bad }])).rejects.toThrow(/CHECK/);
    expect(await ids(db)).toEqual([]);
    // The connection is clean afterwards: the next batch commits.
    expect(await commit([{ kind: 'begin', start: start() }])).toEqual([true]);
    expect(await ids(db)).toEqual(['req-1']);
  });
});
