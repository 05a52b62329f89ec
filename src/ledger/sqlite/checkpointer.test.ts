// Checkpoints off the event loop: the serving connection's commits never checkpoint, the
// worker's do (the WAL does not grow without bound), and a dead worker hands checkpoints back.

import Database from 'better-sqlite3';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WalCheckpointer } from './checkpointer.js';

let dir = '';
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  rmSync(dir, { recursive: true, force: true });
});

function serving(): { db: Database.Database; path: string } {
  dir = mkdtempSync(join(tmpdir(), 'treaty-ckpt-'));
  const path = join(dir, 'ledger.db');
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.exec('create table t (id integer primary key, pad text)');
  cleanups.push(() => {
    db.close();
  });
  return { db, path };
}

/** Commits that write about `pages` WAL pages in all, like the ledger's batches. */
function write(db: Database.Database, pages: number): void {
  const ins = db.prepare('insert into t (pad) values (?)');
  const tx = db.transaction(() => {
    for (let i = 0; i < 4; i++) ins.run('x'.repeat(900));
  });
  for (let i = 0; i < pages; i++) tx();
}

const walPages = (path: string): number => Math.floor(statSync(`${path}-wal`).size / 4096);

describe('WAL checkpointer', () => {
  it('commits on the serving connection never checkpoint; the worker checkpoints everything it can', async () => {
    const { db, path } = serving();
    const c = new WalCheckpointer(db, path, { everyMs: 60_000, busyTimeoutMs: 1000, synchronous: 'NORMAL' });
    cleanups.unshift(() => c.stop());
    // Well past SQLite's default of 1,000 pages: with autocheckpoint on, a commit would have
    // checkpointed and the WAL would have restarted from its beginning.
    write(db, 3000);
    const before = walPages(path);
    expect(before).toBeGreaterThan(2000);
    const r = await c.checkpointNow();
    expect(r.ok).toBe(true);
    expect(r.checkpointed).toBe(r.log);
    // Checkpointed, so the next commits start the WAL over instead of growing it.
    write(db, 10);
    expect((db.pragma('wal_checkpoint(PASSIVE)') as { log: number }[])[0]!.log).toBeLessThan(100);
  });

  it.runIf(process.platform === 'linux')('checkpoints run at the lowest CPU priority, so on a shared core they take only the event loop\'s idle time', async () => {
    const { db, path } = serving();
    const niceOf = (tid: string): number => Number(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ')[16]);
    const before = new Set(readdirSync('/proc/self/task'));
    const c = new WalCheckpointer(db, path, { everyMs: 60_000, busyTimeoutMs: 1000, synchronous: 'NORMAL' });
    cleanups.unshift(() => c.stop());
    expect((await c.checkpointNow()).ok).toBe(true);
    const added = readdirSync('/proc/self/task').filter((t) => !before.has(t));
    expect(added.map(niceOf)).toContain(19);
    expect(niceOf(String(process.pid))).toBe(0);
  });

  it('a dead worker hands checkpoints back to the serving connection and says so', async () => {
    const { db, path } = serving();
    const failures: unknown[] = [];
    const c = new WalCheckpointer(db, path, { everyMs: 60_000, busyTimeoutMs: 1000, synchronous: 'NORMAL', onFallback: (e) => failures.push(e) });
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    const fellBack = new Promise<void>((resolve) => {
      const poll = (): void => (failures.length > 0 ? resolve() : void setImmediate(poll));
      poll();
    });
    await c.crashForTest();
    await fellBack;
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    // And they happen: the WAL stays near 1,000 pages however much is written.
    write(db, 3000);
    expect(walPages(path)).toBeLessThan(1100);
  });
});
