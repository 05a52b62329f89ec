// The write-ahead guarantee against a real crash: a process writing attempts is killed with
// SIGKILL (no exit handlers, no flush); every attempt whose beginAttempt had resolved must
// be in the database afterwards, and every attempt whose finishAttempt had resolved must be
// final there. (Power loss is not simulated: see README, durability.)

import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openLedger } from './open.js';
import { finish, start } from './test-support/fixtures.js';

const CHILD = fileURLToPath(new URL('./test-support/kill-writer.ts', import.meta.url));
let dir: string | undefined;

afterEach(() => {
  vi.useRealTimers();
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

async function killMidStream(file: string, durability: 'process' | 'power', journal: boolean, killAfter: number): Promise<{ acked: Set<string>; finished: Set<string> }> {
  const args = ['--import', 'tsx', CHILD, file, durability, ...(journal ? ['journal'] : [])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const acked = new Set<string>();
  const finished = new Set<string>();
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  for await (const line of createInterface({ input: child.stdout })) {
    if (line === 'ready') continue;
    if (line.startsWith('finished ')) {
      finished.add(line.slice('finished '.length));
      continue;
    }
    acked.add(line);
    // Kill while batches are still being written: nothing gets a chance to flush.
    if (acked.size === killAfter) child.kill('SIGKILL');
  }
  expect(await exited).toBe('SIGKILL');
  return { acked, finished };
}

describe('SQLite ledger under SIGKILL', () => {
  for (const journal of [false, true]) {
    for (const durability of ['process', 'power'] as const) {
      const how = journal ? 'acknowledged from the write-ahead journal, replayed at the next start' : 'committed to SQLite';
      it(`every attempt acknowledged before the kill is on disk (durability: ${durability}; ${how})`, async () => {
        dir = mkdtempSync(join(tmpdir(), 'treaty-kill-'));
        const file = join(dir, 'ledger.db');
        const { acked, finished } = await killMidStream(file, durability, journal, 3_000);
        expect(acked.size).toBeGreaterThanOrEqual(3_000);
        expect(finished.size).toBeGreaterThan(0);
        // Opened as the gateway would open it after the crash: its migrate() replays the journal.
        const store = await openLedger(`sqlite:${file}`, { writeAheadJournal: journal });
        try {
          await store.migrate();
          const rows = await store.listAttempts({ limit: 10_000 });
          const stored = new Set(rows.map((r) => r.requestId));
          const missing = [...acked].filter((id) => !stored.has(id));
          expect(missing).toEqual([]);
          // A finish acknowledged before the kill is there too: its row is final, not 'started'.
          const final = new Set(rows.filter((r) => r.status === 'ok').map((r) => r.requestId));
          expect([...finished].filter((id) => !final.has(id))).toEqual([]);
          // Rows may exceed acknowledgements (committed, killed before the ack was printed).
          expect(stored.size).toBeGreaterThanOrEqual(acked.size);
        } finally {
          await store.close();
        }
        // The replayed journal is gone once its writes are in the database.
        expect(readdirSync(dir).filter((f) => f.includes('attempt-journal'))).toEqual([]);
      });
    }
  }
});

describe('SQLite ledger with the write-ahead journal, closed cleanly', () => {
  it('a write made just before close() is in the database afterwards, and no journal is left behind', async () => {
    dir = mkdtempSync(join(tmpdir(), 'treaty-close-'));
    const file = join(dir, 'ledger.db');
    const store = await openLedger(`sqlite:${file}`, { writeAheadJournal: true });
    await store.migrate();
    await store.beginAttempt(start({ requestId: 'done' }));
    // Neither awaited: both are still in the journal's current turn when close() starts.
    const begun = store.beginAttempt(start({ requestId: 'late' }));
    const finished = store.finishAttempt(finish({ requestId: 'done' }));
    await store.close();
    await begun;
    expect(await finished).toBe(true);
    expect(readdirSync(dir).filter((f) => f.includes('attempt-journal'))).toEqual([]);
    const reader = await openLedger(`sqlite:${file}`);
    try {
      const rows = await reader.listAttempts({});
      expect(rows.map((r) => [r.requestId, r.status]).sort()).toEqual([['done', 'ok'], ['late', 'started']]);
    } finally {
      await reader.close();
    }
  });
});

describe('SQLite ledger with the write-ahead journal, seen from another process', () => {
  it('a finished attempt arrives as its final row; one still in progress only after the hold', async () => {
    // Timers faked (the hold's sweep, the commit delay); the journal's setImmediate stays real.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    dir = mkdtempSync(join(tmpdir(), 'treaty-hold-'));
    const file = join(dir, 'ledger.db');
    const store = await openLedger(`sqlite:${file}`, { writeAheadJournal: true, journalHoldBeginsMs: 1_000 });
    await store.migrate();
    const other = new Database(file, { readonly: true });
    const seen = (): string[][] => (other.prepare('select request_id, status from attempts order by request_id').all() as { request_id: string; status: string }[]).map((r) => [r.request_id, r.status]);
    try {
      await store.beginAttempt(start({ requestId: 'long' }));
      await store.beginAttempt(start({ requestId: 'quick' }));
      const done = store.finishAttempt(finish({ requestId: 'quick' }));
      await vi.advanceTimersByTimeAsync(100); // past the 50 ms commit delay
      expect(await done).toBe(true);
      expect(seen()).toEqual([['quick', 'ok']]);
      await vi.advanceTimersByTimeAsync(1_100); // past the hold: the open attempt goes in alone
      expect(seen()).toEqual([['long', 'started'], ['quick', 'ok']]);
    } finally {
      other.close();
      await store.close();
    }
  });
});
