// Long reads leave the event loop: the loop keeps turning while one runs on the worker, the
// worker's answer is the serving connection's, and a worker that dies hands its reads back.

import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openLedger } from '../open.js';
import type { LedgerStore } from '../store.js';
import { finish, start, T0 } from '../test-support/fixtures.js';
import { longReadVia, SqliteReadWorker } from './read-worker.js';

// ~2 million rows of a recursive CTE: a read long enough that a blocked loop could not turn.
const SLOW = 'with recursive c(x) as (select 1 union all select x + 1 from c where x < ?) select sum(x) as s from c';
const N = 2_000_000;

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'treaty-read-worker-'));
  file = join(dir, 'ledger.db');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec('create table t (x integer)');
  db.close();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Event-loop turns taken while `p` is pending. */
async function turnsWhile<T>(p: Promise<T>): Promise<{ value: T; turns: number }> {
  let turns = 0;
  let done = false;
  const spin = (): void => {
    if (done) return;
    turns++;
    setImmediate(spin);
  };
  setImmediate(spin);
  const value = await p;
  done = true;
  return { value, turns };
}

describe('SqliteReadWorker', () => {
  it('runs a long read while the event loop keeps turning, with the same answer as the serving connection', async () => {
    const reader = new SqliteReadWorker(file, 1000);
    try {
      const { value, turns } = await turnsWhile(reader.all(SLOW, [N]));
      const here = new Database(file, { readonly: true });
      expect(value).toEqual(here.prepare(SLOW).all(N));
      here.close();
      // On the calling thread the loop could not turn at all until the read returned.
      expect(turns).toBeGreaterThan(20);
      expect(reader.served).toBe(1);
    } finally {
      await reader.stop();
    }
  });

  it('a worker that dies hands a read in flight, and every later one, back to the caller\'s connection', async () => {
    const failures: unknown[] = [];
    const reader = new SqliteReadWorker(file, 1000, (err) => failures.push(err));
    const read = longReadVia(reader);
    let here = 0;
    const query = { compile: () => ({ sql: SLOW, parameters: [N], query: undefined as never, queryId: undefined as never }), execute: async () => { here++; return [{ s: -1 }]; } };
    const inFlight = read(query);
    await reader.crashForTest();
    expect(await inFlight).toEqual([{ s: -1 }]);
    expect(await read(query)).toEqual([{ s: -1 }]);
    expect(here).toBe(2);
    expect(reader.usable).toBe(false);
    expect(failures).toHaveLength(1);
  });

  it('a read still out when the store closes fails instead of hanging', async () => {
    const reader = new SqliteReadWorker(file, 1000);
    // The expectation is attached before close, so the rejection is handled when it happens.
    const out = expect(reader.all(SLOW, [N])).rejects.toThrow(/closed during this read/);
    await reader.stop();
    await out;
  });

  it('a SQL error reaches the caller as an error, and the worker keeps serving', async () => {
    const reader = new SqliteReadWorker(file, 1000);
    try {
      await expect(reader.all('select nope from t', [])).rejects.toThrow(/no such column/);
      expect(await reader.all('select count(*) as n from t', [])).toEqual([{ n: 0 }]);
      expect(reader.usable).toBe(true);
    } finally {
      await reader.stop();
    }
  });
});

describe('a SQLite ledger with readInWorker', () => {
  let store: LedgerStore | undefined;
  afterEach(async () => store?.close());

  it('answers spend, served counts and counts as the serving connection does, its own recent writes included', async () => {
    rmSync(file, { force: true });
    rmSync(`${file}-wal`, { force: true });
    rmSync(`${file}-shm`, { force: true });
    store = await openLedger(`sqlite:${file}`, { writeAheadJournal: true, readInWorker: true });
    await store.migrate();
    for (let i = 0; i < 5; i++) {
      await store.beginAttempt(start({ requestId: `r${i}`, startedAt: T0 + i }));
      await store.finishAttempt(finish({ requestId: `r${i}`, effectiveCostUsd: 0.25 }));
    }
    // Read at once: the store commits what its journal holds before a read, the worker then sees it.
    expect(await store.spendToDate(['acct-east'], T0, T0 + 10)).toBe(1.25);
    expect((await store.servedCounts(T0, T0 + 10)).map((g) => g.attempts)).toEqual([5]);
    expect(await store.countAttempts({ from: T0, to: T0 + 3 })).toBe(3);
    expect((await store.spendBy('account', T0, T0 + 10)).map((r) => [r.key, r.attempts])).toEqual([['acct-east', 5]]);
  });
});
