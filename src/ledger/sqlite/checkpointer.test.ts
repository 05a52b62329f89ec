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

  /**
   * A writer that never pauses (a commit every turn, as a saturated gateway's batches) until it
   * has made `commits` commits, beside a checkpointer ticking every 20 ms, quiesced or not; the
   * WAL's size at the end. Counted in commits, not milliseconds: a busy machine makes fewer.
   */
  async function walAfterSteadyWrites(quiesced: boolean, target: number): Promise<{ pages: number; commits: number }> {
    const { db, path } = serving();
    let paused = false;
    const quiesce = <T>(run: () => Promise<T>): Promise<T> => {
      paused = true;
      return run().finally(() => (paused = false));
    };
    const c = new WalCheckpointer(db, path, { everyMs: 20, busyTimeoutMs: 1000, synchronous: 'NORMAL', ...(quiesced ? { quiesce, quiesceAboveFrames: 0 } : {}) });
    cleanups.unshift(() => c.stop());
    let commits = 0;
    while (commits < target) {
      if (!paused) {
        write(db, 1);
        commits++;
      }
      await new Promise((r) => setImmediate(r));
    }
    return { pages: walPages(path), commits };
  }

  it('without a pause in the writes, checkpoints never complete and the WAL only grows (why the gateway quiesces)', async () => {
    const { pages, commits } = await walAfterSteadyWrites(false, 2000);
    // Every commit appended to the WAL: it never started over.
    expect(pages).toBeGreaterThan(0.9 * commits);
  }, 30_000);

  it('quiesced, each checkpoint completes and the WAL starts over: bounded by what 20 ms of writes add', async () => {
    const { pages, commits } = await walAfterSteadyWrites(true, 4000);
    expect(pages).toBeLessThan(0.5 * commits);
  }, 30_000);

  it('holds the writes only while checkpoints cannot complete and the WAL is past quiesceAboveFrames', async () => {
    const { db, path } = serving();
    let quiesced = 0;
    const quiesce = <T>(run: () => Promise<T>): Promise<T> => {
      quiesced++;
      return run();
    };
    const c = new WalCheckpointer(db, path, { everyMs: 60_000, busyTimeoutMs: 1000, synchronous: 'NORMAL', quiesce, quiesceAboveFrames: 2000 });
    cleanups.unshift(() => c.stop());
    write(db, 300); // ~900 frames: under the threshold
    for (let i = 0; i < 3; i++) await c.tick();
    expect(quiesced).toBe(0);
    // A reader pinned to an old snapshot keeps every checkpoint from completing (as a writer
    // that never pauses does): the WAL stays past the threshold, and the writes are held.
    const reader = new Database(path);
    cleanups.unshift(() => void reader.close());
    reader.exec('begin');
    reader.prepare('select count(*) from t').get();
    write(db, 1000);
    await c.tick(); // learns the WAL's size
    expect(quiesced).toBe(0);
    expect(c.stats().walFrames).toBeGreaterThanOrEqual(2000);
    await c.tick();
    expect(quiesced).toBe(1);
    // The reader lets go: the next (held) checkpoint completes, and no hold follows it, though
    // the WAL keeps its frames until the next commit starts it over.
    reader.exec('commit');
    await c.tick();
    const held = quiesced;
    expect(c.stats().walFrames).toBe(0);
    await c.tick();
    await c.tick();
    expect(quiesced).toBe(held);
    // What /metrics shows: the held checkpoints, and how long they held the writes.
    const s = c.stats();
    expect(s).toMatchObject({ quiesced: held, quiesceTimeouts: 0 });
    // 8 ticks, 4 checkpoints: the two ticks after the first complete one, and the last two,
    // found nothing written since a complete checkpoint and skipped it.
    expect(s.checkpoints).toBe(4);
    expect(s.quiescedMs).toBeGreaterThan(0);
    expect(s.longestQuiesceMs).toBeLessThanOrEqual(s.quiescedMs);
  });

  it('an idle ledger is not checkpointed again and again: a tick with nothing written since a complete checkpoint skips it, and one runs every 40 ticks anyway', async () => {
    const { db, path } = serving();
    const c = new WalCheckpointer(db, path, { everyMs: 60_000, busyTimeoutMs: 1000, synchronous: 'NORMAL' });
    cleanups.unshift(() => c.stop());
    write(db, 50);
    await c.tick();
    expect(c.stats().checkpoints).toBe(1);
    for (let i = 0; i < 10; i++) await c.tick();
    expect(c.stats().checkpoints).toBe(1); // nothing written: the worker is not woken
    write(db, 1);
    await c.tick();
    expect(c.stats().checkpoints).toBe(2); // a write: the next tick copies it
    // Another process's commits are not in this connection's count: a checkpoint still runs
    // after 40 skipped ticks (10 s at the default 250 ms).
    const other = new Database(path);
    cleanups.unshift(() => void other.close());
    other.pragma('wal_autocheckpoint = 0');
    other.prepare('insert into t (pad) values (?)').run('y');
    for (let i = 0; i < 40; i++) await c.tick();
    expect(c.stats().checkpoints).toBe(2);
    await c.tick();
    expect(c.stats().checkpoints).toBe(3);
    // The store may close the serving connection before it stops the checkpointer: a tick
    // then must not throw (it did, from the timer: an uncaught exception).
    db.close();
    await expect(c.tick()).resolves.toBeUndefined();
  });

  it.runIf(process.platform === 'linux')('a held checkpoint runs at the process\'s own priority: the writes it holds do not wait on a starved thread', async () => {
    const { db, path } = serving();
    const niceOf = (tid: string): number => Number(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ')[16]);
    const before = new Set(readdirSync('/proc/self/task'));
    let quiesced = 0;
    const c = new WalCheckpointer(db, path, { everyMs: 60_000, busyTimeoutMs: 1000, synchronous: 'NORMAL', quiesceAboveFrames: 100, quiesce: (run) => (quiesced++, run()) });
    cleanups.unshift(() => c.stop());
    const reader = new Database(path);
    cleanups.unshift(() => void reader.close());
    reader.exec('begin');
    reader.prepare('select count(*) from t').get();
    write(db, 100);
    await c.tick();
    const routineOnly = readdirSync('/proc/self/task').filter((t) => !before.has(t)).map(niceOf);
    expect(routineOnly).toEqual([19]);
    await c.tick();
    expect(quiesced).toBe(1);
    const added = readdirSync('/proc/self/task').filter((t) => !before.has(t)).map(niceOf);
    expect(added.sort()).toEqual([0, 19]);
    reader.exec('commit');
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
