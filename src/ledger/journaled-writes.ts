// Attempt writes behind a write-ahead journal (SQLite, the serving gateway). A write is
// acknowledged once it is in the journal; the database gets it later, through the
// group-commit writer. Begins are held back from the writer until their finish arrives, so
// that most attempts reach the database as ONE insert of the final row.
//
// Why: the writer commits every 50 ms or 128 writes, and an attempt lasts longer than that
// under load (at saturation only ~1 % of begins met their finish in one batch). Every other
// attempt was an INSERT of the 'started' row, committed, then an UPDATE of it in a later
// commit: the row, its page and the status index written twice. A begin only has to be in
// the database for readers (who settle first, which releases every held begin) and for crash
// recovery (which replays the journal, where the begin already is).
//
// A begin waits at most `holdBeginsMs`; then it goes to the writer alone and its finish is an
// UPDATE as before (long streams). That bound also bounds the journal on disk: a segment is
// deleted only once every write in it is in the database, so the oldest held begin keeps
// everything journaled after it.

import { BatchWriter, type BatchStats, type BatchWriterOptions } from './batch-writer.js';
import type { AttemptWrite } from './sql/attempts.js';

/** The journal as this writer uses it (sqlite/attempt-journal.ts). */
export interface JournalForWrites {
  /** Settles once the write is durable; undefined when it already is. */
  append(w: AttemptWrite): Promise<void> | undefined;
  /** The number of the last append (the first is 1); a failed append keeps its number. */
  readonly appended: number;
  /** Every write numbered up to `committed` is in the database; `failed`: one never will be. */
  committed(committed: number, failed: boolean): void;
}

interface Held {
  w: AttemptWrite;
  seq: number;
  at: number;
  /** Replays of the same begin while it was held: they follow it (and change nothing: the first begin wins). */
  replays?: Held[];
}

const ignore = (): void => undefined;

const keyOf = (requestId: string, attemptNo: number): string => `${attemptNo} ${requestId}`;

export class JournaledWrites {
  readonly writer: BatchWriter<AttemptWrite, boolean>;
  readonly #journal: JournalForWrites;
  readonly #holdMs: number;
  readonly #now: () => number;
  /** Begins journaled and not yet given to the writer, by attempt; insertion order is age order. */
  readonly #held = new Map<string, Held>();
  /** Numbers of journaled writes not yet in the database (held or queued). A Set iterates in insertion order, which is increasing. */
  readonly #outstanding = new Set<number>();
  /** Numbers of the writes given to the writer and not yet done, in its queue order (a few batches at most). */
  readonly #queued: number[] = [];
  /** Writes the writer is done with (committed or failed): it takes them in queue order. */
  #done = 0;
  readonly #sweep: ReturnType<typeof setInterval> | undefined;

  constructor(
    journal: JournalForWrites,
    commit: (ops: readonly AttemptWrite[]) => Promise<boolean[]>,
    batch: BatchWriterOptions | undefined,
    opts: { holdBeginsMs: number; now: () => number },
  ) {
    this.#journal = journal;
    this.#holdMs = opts.holdBeginsMs;
    this.#now = opts.now;
    this.writer = new BatchWriter(commit, { ...batch, onProgress: (s) => this.#progress(s) });
    // Aged begins go out even when no traffic comes to push them.
    if (this.#holdMs > 0) {
      this.#sweep = setInterval(() => this.#release(this.#now() - this.#holdMs), Math.max(10, this.#holdMs / 2));
      this.#sweep.unref();
    }
  }

  /**
   * Resolves once the begin is journaled (durable), or returns undefined when it was journaled
   * at once; the database gets it with its finish, or after holdBeginsMs (at once with 0).
   */
  begin(w: Extract<AttemptWrite, { kind: 'begin' }>): Promise<void> | undefined {
    const seq = this.#append(w);
    if (typeof seq !== 'number') return seq.then((n) => this.#hold(w, n));
    this.#hold(w, seq);
    return undefined;
  }

  #hold(w: Extract<AttemptWrite, { kind: 'begin' }>, seq: number): void {
    if (this.#holdMs <= 0) {
      this.#enqueue(w, seq).catch(ignore);
      return;
    }
    const key = keyOf(w.start.requestId, w.start.attemptNo);
    const h: Held = { w, seq, at: this.#now() };
    const first = this.#held.get(key);
    if (first) (first.replays ??= []).push(h);
    else this.#held.set(key, h);
  }

  /** Resolves once the finish is committed to the database: whether it applied (the row was still 'started'). */
  async finish(w: Extract<AttemptWrite, { kind: 'finish' }>): Promise<boolean> {
    const seq = await this.#append(w);
    const key = keyOf(w.finish.requestId, w.finish.attemptNo);
    const b = this.#held.get(key);
    if (b) {
      // Queued back to back, so both land in one batch (unless a batch boundary falls
      // between them, which only costs the merge) and the committer stores the final row.
      this.#held.delete(key);
      this.#enqueueHeld(b);
    }
    return this.#enqueue(w, seq);
  }

  /** Every write acknowledged so far is committed (or failed): held begins go out now. */
  settled(): Promise<void> {
    this.#release(undefined);
    return this.writer.settled();
  }

  async close(): Promise<void> {
    clearInterval(this.#sweep);
    this.#release(undefined);
    await this.writer.close();
  }

  /** The write's number once it is durable: at once, or when the journal's write settles. */
  #append(w: AttemptWrite): number | Promise<number> {
    const durable = this.#journal.append(w);
    const seq = this.#journal.appended;
    this.#outstanding.add(seq);
    if (!durable) return seq;
    return durable.then(
      () => seq,
      (err: unknown) => {
        // Never acknowledged, so never owed to the database.
        this.#outstanding.delete(seq);
        this.#report();
        throw err;
      },
    );
  }

  #enqueue(w: AttemptWrite, seq: number): Promise<boolean> {
    this.#queued.push(seq);
    return this.writer.write(w);
  }

  /** Gives the writer every held begin journaled before `before` (all of them when undefined). */
  #release(before: number | undefined): void {
    for (const [key, b] of this.#held) {
      if (before !== undefined && b.at > before) break;
      this.#held.delete(key);
      this.#enqueueHeld(b);
    }
  }

  /** Durable already (journaled): a failure to commit is counted by the writer and pins the journal. */
  #enqueueHeld(b: Held): void {
    this.#enqueue(b.w, b.seq).catch(ignore);
    for (const r of b.replays ?? []) this.#enqueue(r.w, r.seq).catch(ignore);
  }

  #progress(s: Readonly<BatchStats>): void {
    const done = s.rows + s.failedWrites;
    for (const seq of this.#queued.splice(0, done - this.#done)) this.#outstanding.delete(seq);
    this.#done = done;
    this.#report();
  }

  /** Tells the journal how far its writes are in the database: up to the oldest one still owed. */
  #report(): void {
    const oldest = this.#outstanding.values().next();
    this.#journal.committed(oldest.done ? this.#journal.appended : oldest.value - 1, this.writer.stats.failedWrites > 0);
  }
}
