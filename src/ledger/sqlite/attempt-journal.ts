// The write-ahead journal of attempt writes on SQLite: an append-only file beside the database.
//
// Why: a begin must be durable before its upstream call starts. Committing it to SQLite on
// every event-loop turn cost a transaction per turn (BEGIN, the row in five B-trees, COMMIT
// writing every dirty 4 KB page to the WAL), the largest CPU item of a request. An append of
// the turn's writes to this file is one write() — durable against the process dying exactly
// as a synchronous=NORMAL commit is (both sit in the OS page cache; with durability 'power'
// both are fsynced) — and the rows then reach SQLite in large batches a few ms later.
//
// Recovery: at start-up (migrate), every segment left by a previous process is replayed into
// SQLite in order (begins insert-or-ignore, finishes guarded), then deleted. A segment is
// deleted while running once every write in it has been committed to SQLite. A torn last line
// (the process died inside the write) was never acknowledged, so it is dropped.
//
// One process owns a SQLite ledger file (start-up recovery already assumes so: it settles
// every 'started' row as an orphan), and only the serving gateway opens the journal: a lock
// file with its pid makes a second gateway on the same file fail at start instead of replaying
// (and deleting) a live process's journal. Other tools (reports, the admin CLI) open the
// ledger without it. Cluster mode runs on Postgres, which has no journal.

import { closeSync, fdatasyncSync, ftruncateSync, openSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { AttemptWrite } from '../sql/attempts.js';
import { decodeWrite, encodeWrite } from './journal-lines.js';

export interface AttemptJournalOptions {
  /** fdatasync after each append (durability 'power'). */
  sync: boolean;
  /** Start a new segment file past this size. Default 8 MiB. */
  segmentBytes?: number;
}

interface Segment {
  path: string;
  /** Writes appended to the journal up to and including this segment's last. */
  endSeq: number;
}

const SUFFIX = '.attempt-journal.';

export class AttemptJournal {
  readonly #dir: string;
  readonly #prefix: string;
  readonly #sync: boolean;
  readonly #segmentBytes: number;
  /** Segments left by a previous process, to replay; oldest first. */
  readonly #leftover: string[];
  #number: number;
  #fd: number | undefined;
  #bytes = 0;
  /** Writes appended so far (the number of the last one), counted at append. */
  #seq = 0;
  /** Full segments waiting for their writes to reach SQLite. */
  readonly #sealed: Segment[] = [];
  /** Once a journaled write failed to reach SQLite, no segment is deleted until a restart replays it. */
  #pinned = false;
  // The current turn's appends: written together by one write() at setImmediate.
  #lines: string[] = [];
  #batch: Promise<void> | undefined;
  #settle: ((err?: unknown) => void) | undefined;
  /** A begin was written at once this turn: later ones wait for the turn's shared write. */
  #turnBegun = false;

  readonly #lock: string;

  constructor(dbPath: string, opts: AttemptJournalOptions) {
    this.#dir = dirname(dbPath);
    this.#prefix = basename(dbPath) + SUFFIX;
    this.#lock = join(this.#dir, basename(dbPath) + '.attempt-journal.lock');
    takeLock(this.#lock);
    this.#sync = opts.sync;
    this.#segmentBytes = opts.segmentBytes ?? 8 * 1024 * 1024;
    const numbers = readdirSync(this.#dir)
      .filter((f) => f.startsWith(this.#prefix) && /^\d+$/.test(f.slice(this.#prefix.length)))
      .map((f) => Number(f.slice(this.#prefix.length)))
      .sort((a, b) => a - b);
    this.#leftover = numbers.map((n) => this.#path(n));
    this.#number = (numbers.at(-1) ?? 0) + 1;
  }

  /** The writes a previous process journaled, in order (a torn final line dropped). */
  leftover(): AttemptWrite[] {
    const writes: AttemptWrite[] = [];
    for (const path of this.#leftover) {
      const lines = readFileSync(path, 'utf8').split('\n');
      // Every complete line ends with '\n', so the last element is '' or a torn write.
      lines.pop();
      for (const [i, line] of lines.entries()) {
        try {
          writes.push(decodeWrite(line));
        } catch {
          throw new Error(`ledger journal ${path}: line ${i + 1} is not a journal entry; the file is damaged (move it aside to start without it, and reconcile its attempts by hand)`);
        }
      }
    }
    return writes;
  }

  /** Deletes the replayed segments (after their writes were committed to SQLite). */
  dropLeftover(): void {
    for (const path of this.#leftover.splice(0)) unlinkSync(path);
  }

  /**
   * Resolves when the write is in the journal file, i.e. survives the process dying (and,
   * with `sync`, power loss); undefined when it is there already.
   *
   * Without `sync`, the first begin of an event-loop turn is written at once (with whatever the
   * turn queued before it), so a lone request's upstream call starts without waiting for the
   * turn to end; later begins of the same turn, like every other write, share one write() at
   * setImmediate. A turn of k begins costs two write()s rather than k: on hosts where a system
   * call is dear (a VM writing to ext4: 4-16 us each) one write() per begin was ~13 % of a
   * request's CPU at saturation, while deferring a begin costs a few awaits
   * (docs/performance.md, fifteenth session). With `sync` every write shares the turn's one
   * fdatasync.
   */
  append(w: AttemptWrite): Promise<void> | undefined {
    this.#lines.push(encodeWrite(w));
    this.#seq++;
    if (!this.#sync && w.kind === 'begin' && !this.#turnBegun) {
      this.#turnBegun = true;
      const err = this.#write();
      this.#openBatch();
      return err === undefined ? undefined : Promise.reject(err);
    }
    return this.#openBatch();
  }

  /** The turn's shared write, scheduled once per turn. */
  #openBatch(): Promise<void> {
    return (this.#batch ??= new Promise<void>((resolve, reject) => {
      this.#settle = (err) => (err === undefined ? resolve() : reject(err));
      setImmediate(() => {
        this.#turnBegun = false;
        this.#write();
      });
    }));
  }

  /**
   * The number of the last append (the first is 1): what `committed` counts in. A write whose
   * append failed keeps its number (a gap), so numbers never depend on how a write went.
   */
  get appended(): number {
    return this.#seq;
  }

  /** Settles once the appends made so far are written (or failed); for a clean shutdown. */
  async written(): Promise<void> {
    await this.#batch?.catch(() => undefined);
  }

  /**
   * The SQLite writer reports its progress: every write numbered up to `committed` is in the
   * database (or its append failed, so it was never acknowledged). Segments wholly committed
   * are deleted. A failed write pins the journal: its record stays on disk for the next
   * start-up to replay.
   */
  committed(committed: number, failed: boolean): void {
    if (failed) this.#pinned = true;
    if (this.#pinned) return;
    while (this.#sealed.length > 0 && this.#sealed[0]!.endSeq <= committed) unlinkSync(this.#sealed.shift()!.path);
  }

  /**
   * Closes the file; with `committedAll` (every write is in SQLite) deletes every segment,
   * unless a failed write pinned them for the next start-up.
   */
  close(committedAll: boolean): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
    if (committedAll && !this.#pinned) {
      this.committed(this.#seq, false);
      if (this.#bytes > 0) unlinkSync(this.#path(this.#number));
    }
    rmSync(this.#lock, { force: true });
  }

  /**
   * Writes every queued line in one write() and settles the turn's batch; returns the error
   * if it failed. A no-op when a begin already took the queue out.
   */
  #write(): unknown {
    const lines = this.#lines;
    const settle = this.#settle;
    this.#lines = [];
    this.#batch = undefined;
    this.#settle = undefined;
    if (lines.length === 0) {
      settle?.();
      return undefined;
    }
    try {
      const text = lines.join('\n') + '\n';
      if (this.#fd === undefined) this.#fd = openSync(this.#path(this.#number), 'a');
      // writeSync may write less than asked (a signal, a full disk): loop until all is out.
      const buf = Buffer.from(text, 'utf8');
      for (let off = 0; off < buf.length; ) off += writeSync(this.#fd, buf, off, buf.length - off);
      if (this.#sync) fdatasyncSync(this.#fd);
      this.#bytes += buf.length;
      if (this.#bytes >= this.#segmentBytes) this.#rotate();
      settle?.();
      return undefined;
    } catch (err) {
      // Cut off whatever part of the turn got out: a torn line in the middle of a segment
      // would make the next start-up refuse the journal.
      if (this.#fd !== undefined) {
        try {
          ftruncateSync(this.#fd, this.#bytes);
        } catch {
          // The append already failed; its callers learn that from the rejection.
        }
      }
      settle?.(err);
      return err;
    }
  }

  #rotate(): void {
    closeSync(this.#fd!);
    this.#sealed.push({ path: this.#path(this.#number), endSeq: this.#seq });
    this.#number++;
    this.#fd = undefined;
    this.#bytes = 0;
  }

  #path(n: number): string {
    return join(this.#dir, this.#prefix + String(n).padStart(8, '0'));
  }
}

/**
 * Claims the journal for this process. A lock naming another live process means a second
 * gateway on the same ledger file: refused. A dead one (or our own pid, left by an earlier
 * container that had it too) is stale: taken over.
 */
function takeLock(path: string): void {
  let holder: number | undefined;
  try {
    holder = Number(readFileSync(path, 'utf8').trim());
  } catch {
    holder = undefined;
  }
  if (holder !== undefined && Number.isSafeInteger(holder) && holder > 0 && holder !== process.pid && alive(holder)) {
    throw new Error(`ledger: another Treaty process (pid ${holder}) is serving from this SQLite ledger; one process per SQLite file (use a Postgres ledger to run several)`);
  }
  writeFileSync(path, `${process.pid}\n`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, under another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
