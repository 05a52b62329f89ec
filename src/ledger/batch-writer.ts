// Group commit. Writes are queued and committed together, one transaction per batch, so the
// commit cost (an fsync, a round trip) is shared by every request waiting at that moment.
// Each caller's promise settles only after the transaction holding ITS write committed: the
// write-ahead row is as durable as with one transaction per row, at a fraction of the cost.
//
// Flushing: when `maxBatch` writes are waiting, or `maxDelayMs` after the first one arrived.
// One batch commits at a time; whatever queues up meanwhile goes out as soon as it finishes
// (those writes have already waited), which is what makes batches grow with load.

export interface BatchWriterOptions {
  /** Flush as soon as this many writes wait. Default 256. */
  maxBatch?: number;
  /** Longest a write waits for company before a flush, in ms (0 = next macrotask). Default 2. */
  maxDelayMs?: number;
  /**
   * Called after every commit attempt with the stats so far. Writes commit in queue order, so
   * while `failedWrites` is 0, `rows` is also how many of the writes queued first are stored.
   */
  onProgress?: (stats: Readonly<BatchStats>) => void;
}

export interface BatchStats {
  /** Commit calls that succeeded (batches, plus single-write retries after a failed batch). */
  transactions: number;
  /** Writes committed. */
  rows: number;
  /** Batches that failed as a whole and were retried write by write. */
  failedBatches: number;
  /** Writes whose commit failed (their callers got the error). */
  failedWrites: number;
}

interface Pending<Op, R> {
  op: Op;
  resolve(r: R): void;
  reject(e: unknown): void;
}

const ignore = (): void => undefined;

export class BatchWriter<Op, R> {
  readonly #commit: (ops: readonly Op[]) => Promise<R[]>;
  readonly #maxBatch: number;
  readonly #maxDelayMs: number;
  readonly #onProgress: ((stats: Readonly<BatchStats>) => void) | undefined;
  #queue: Pending<Op, R>[] = [];
  /** Cancels the scheduled flush, if one is scheduled. */
  #cancelTimer: (() => void) | undefined;
  #draining: Promise<void> | undefined;
  #closed = false;
  /** The newest write's promise: settles after every earlier one (commits are in queue order). */
  #last: Promise<unknown> | undefined;
  readonly #stats: BatchStats = { transactions: 0, rows: 0, failedBatches: 0, failedWrites: 0 };

  /** `commit` must write all ops in ONE transaction and return one result per op, in order. */
  constructor(commit: (ops: readonly Op[]) => Promise<R[]>, opts: BatchWriterOptions = {}) {
    this.#commit = commit;
    this.#maxBatch = opts.maxBatch ?? 256;
    this.#maxDelayMs = opts.maxDelayMs ?? 2;
    this.#onProgress = opts.onProgress;
    if (!Number.isSafeInteger(this.#maxBatch) || this.#maxBatch < 1) throw new RangeError('maxBatch must be an integer >= 1');
    if (!(this.#maxDelayMs >= 0)) throw new RangeError('maxDelayMs must be >= 0');
  }

  /** Resolves with the op's result once its batch committed; rejects if its write failed. */
  write(op: Op): Promise<R> {
    if (this.#closed) return Promise.reject(new Error('ledger writer is closed'));
    return (this.#last = new Promise<R>((resolve, reject) => {
      this.#queue.push({ op, resolve, reject });
      if (this.#draining) return; // the running drain picks it up when its batch is done
      if (this.#queue.length >= this.#maxBatch) this.#kick();
      else this.#cancelTimer ??= this.#schedule();
    }));
  }

  /**
   * Resolves once every write queued before the call has committed or failed, starting the
   * commit now rather than after the usual wait for company (a reader wants its own writes).
   * Unlike flush(), it does not also wait for writes queued after it.
   */
  async settled(): Promise<void> {
    const last = this.#last;
    if (last === undefined) return;
    if (!this.#draining) this.#kick();
    await last.then(ignore, ignore);
  }

  get stats(): Readonly<BatchStats> {
    return { ...this.#stats };
  }

  /** Commits everything queued so far. */
  async flush(): Promise<void> {
    this.#kick();
    while (this.#draining) await this.#draining;
  }

  /** Flushes, then refuses new writes. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
  }

  /** Writes queued and not yet taken into a commit. */
  get waiting(): number {
    return this.#queue.length;
  }

  #kick(): void {
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    if (this.#draining || this.#queue.length === 0) return;
    this.#draining = this.#drain();
  }

  #schedule(): () => void {
    if (this.#maxDelayMs === 0) {
      const h = setImmediate(() => this.#kick());
      return () => clearImmediate(h);
    }
    const h = setTimeout(() => this.#kick(), this.#maxDelayMs);
    return () => clearTimeout(h);
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, this.#maxBatch);
        await this.#commitBatch(batch);
        // More than one batch waiting (a backlog: writes held while a checkpoint completed, a
        // burst): let the loop poll between them. A synchronous store (SQLite) commits inside
        // microtasks, so without this a backlog of 70 batches held the event loop ~80 ms.
        if (this.#queue.length > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      // Cleared in the same synchronous step as the empty check above: a write() arriving
      // after this sees no drain and schedules one; one arriving before was taken by the loop.
      this.#draining = undefined;
    }
  }

  async #commitBatch(batch: Pending<Op, R>[]): Promise<void> {
    try {
      const results = await this.#commit(batch.map((p) => p.op));
      this.#stats.transactions++;
      this.#stats.rows += batch.length;
      this.#onProgress?.(this.#stats);
      batch.forEach((p, i) => p.resolve(results[i] as R));
      return;
    } catch (err) {
      if (batch.length === 1) {
        this.#stats.failedWrites++;
        this.#onProgress?.(this.#stats);
        batch[0]?.reject(err);
        return;
      }
      this.#stats.failedBatches++;
    }
    // One bad write (say, a constraint violation) must not fail its neighbours: retry each
    // alone, so only the culprit's caller sees the error.
    for (const p of batch) await this.#commitBatch([p]);
  }
}
