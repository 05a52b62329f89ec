// WAL checkpoints off the event loop. By default SQLite checkpoints inside the commit that
// pushes the WAL past 1,000 pages: that commit copies ~4 MB into the database file and
// fsyncs it, stalling the event loop for milliseconds (every request in flight waits: the
// p99 at a steady 1,000 req/s). Here the serving connection never checkpoints
// (wal_autocheckpoint = 0) and a worker thread with its own connection runs a PASSIVE
// checkpoint every `everyMs`: it copies what no reader still needs, never blocks the writer,
// and its fsync waits off the event loop. If the worker dies, the serving connection takes
// checkpoints back (the WAL must not grow without bound).

import type { Database } from 'better-sqlite3';
import type { CheckpointStats } from '../store.js';
import { CheckpointThread, type CheckpointResult } from './checkpoint-thread.js';

export type { CheckpointResult } from './checkpoint-thread.js';

export interface CheckpointerOptions {
  everyMs?: number;
  busyTimeoutMs: number;
  synchronous: 'NORMAL' | 'FULL';
  /** Told when the worker failed and the serving connection checkpoints again. */
  onFallback?: (err: unknown) => void;
  /**
   * Runs a checkpoint while nothing is written on the serving connection (the gateway holds
   * the connection's mutex, its writes being in the journal already). Without it, a writer that
   * never pauses starves the WAL: a PASSIVE checkpoint copies what was committed when it began,
   * the writer has appended more by the time it ends, so the WAL is never complete in the
   * database file and never starts over. Measured at saturation: 187 MB of WAL after 30 s,
   * growing by the rate's ~6 MB/s for as long as the load lasts. Quiesced, the checkpoint
   * completes and the next commit rewinds the WAL to its beginning.
   */
  quiesce?: <T>(run: () => Promise<T>) => Promise<T>;
  /**
   * Quiesce only once the WAL holds this many frames (default 4,096: 16 MB of 4 KB pages);
   * below it checkpoints run beside the writes. Quiescing every checkpoint cost ~5 % more CPU a
   * request at saturation on one pinned core (`bench/ab.ts`, 5 rounds, mirrored), when held
   * checkpoints still ran at nice 19. Held ones now run at the process's priority and share the
   * core with the loop while they copy, so a hold is kept small: at 16,384 frames each took
   * ~25 ms of CPU beside the loop (the shed p99 under 2x load read 59 ms in two of four rounds);
   * at 4,096, ~6 ms, a hold every ~1 s at saturation, ~25 ms each in all (bench/wal-watch.ts).
   */
  quiesceAboveFrames?: number;
}

/**
 * Ticks in a row skipped as idle before one checkpoint runs anyway: another process (the admin
 * CLI, a report) may have committed to the same file, which the serving connection's count of
 * changes does not see. 40 ticks of 250 ms: every 10 s.
 */
const IDLE_SKIPS_MAX = 40;

/** The longest the serving connection's writes wait for one checkpoint; it goes on in the worker after that, unquiesced. */
const QUIESCE_MAX_MS = 1_000;

export class WalCheckpointer {
  /** The routine checkpoints, at nice 19: they run in the event loop's idle time. */
  readonly #background: CheckpointThread;
  /**
   * The held checkpoints, at the process's own priority, made on the first hold. At nice 19
   * beside a saturated loop a held checkpoint's ~25 ms of copying took 100-800 ms (measured with
   * bench/wal-watch.ts), and every statement on the serving connection waited that long.
   */
  #urgent: CheckpointThread | undefined;
  readonly #threadOptions: { path: string; busyTimeoutMs: number; synchronous: 'NORMAL' | 'FULL' };
  readonly #timer: NodeJS.Timeout;
  /** A checkpoint asked for and not answered: the next tick does not ask again. */
  #running = false;
  #stopped = false;
  /** The frames the last checkpoint reported, and whether it found the WAL complete and unchanged. */
  #lastLog = -1;
  #idle = false;
  /**
   * Skipping idle ticks: an idle gateway otherwise woke the worker four times a second to find
   * nothing to copy (with the lag sampler's ticks, ~1.5 % of a core per idle process here).
   * `#changes` reads the serving connection's count of rows written since it opened; a tick
   * that sees the same count as the last checkpoint asked for, which then copied the whole WAL,
   * has nothing to do.
   */
  readonly #changes: () => number;
  #changesAsked = -1;
  #complete = false;
  #idleSkips = 0;
  readonly #quiesceFn: CheckpointerOptions['quiesce'];
  readonly #quiesceAbove: number;
  readonly #stats: CheckpointStats = { walFrames: 0, checkpoints: 0, quiesced: 0, quiescedMs: 0, longestQuiesceMs: 0, quiesceTimeouts: 0 };

  constructor(serving: Database, path: string, opts: CheckpointerOptions) {
    serving.pragma('wal_autocheckpoint = 0');
    const changes = serving.prepare('select total_changes()').pluck();
    // NaN once the serving connection is closed (the store stops this timer first, but a caller
    // may not): equal to nothing, so the tick goes on to the worker as it did before skipping.
    this.#changes = () => (serving.open ? Number(changes.get()) : Number.NaN);
    this.#threadOptions = { path, busyTimeoutMs: opts.busyTimeoutMs, synchronous: opts.synchronous };
    const fallback = (err: unknown): void => {
      if (this.#stopped) return;
      this.#stopped = true;
      void this.#urgent?.stop();
      if (serving.open) serving.pragma('wal_autocheckpoint = 1000');
      opts.onFallback?.(err);
    };
    this.#background = new CheckpointThread({ ...this.#threadOptions, nice: 19 }, (r) => this.#learn(r), fallback);
    this.#quiesceFn = opts.quiesce;
    this.#quiesceAbove = opts.quiesceAboveFrames ?? 4_096;
    this.#timer = setInterval(() => void this.tick(), opts.everyMs ?? 250);
    this.#timer.unref();
  }

  #learn(r: CheckpointResult): void {
    this.#complete = ran(r) && r.checkpointed === r.log;
    if (ran(r)) {
      // Copied to the end, and nothing appended since the previous checkpoint began: the WAL
      // is idle and complete (the next commit starts it over), so there is nothing to hold.
      this.#idle = this.#complete && r.log === this.#lastLog;
      this.#lastLog = r.log;
      this.#stats.walFrames = r.log;
    }
    if (r.ok) this.#stats.checkpoints++;
  }

  /** The thread for a held checkpoint: the urgent one, unless it failed (then the routine one). */
  #heldThread(): CheckpointThread {
    this.#urgent ??= new CheckpointThread(this.#threadOptions, (r) => this.#learn(r), () => undefined);
    return this.#urgent.dead ? this.#background : this.#urgent;
  }

  /**
   * The scheduled checkpoint (every `everyMs`; tests call it): quiesced once the WAL is past the
   * threshold, skipped while the previous one is still running.
   */
  tick(): Promise<void> {
    if (this.#stopped) {
      clearInterval(this.#timer);
      return Promise.resolve();
    }
    if (this.#running) return Promise.resolve();
    const changes = this.#changes();
    if (changes === this.#changesAsked && this.#complete && this.#idleSkips < IDLE_SKIPS_MAX) {
      this.#idleSkips++;
      return Promise.resolve();
    }
    this.#idleSkips = 0;
    this.#changesAsked = changes;
    this.#complete = false;
    const quiesce = this.#stats.walFrames >= this.#quiesceAbove && !this.#idle ? this.#quiesceFn : undefined;
    this.#running = true;
    const held = async (): Promise<unknown> => {
      const t0 = performance.now();
      const left = (): number => QUIESCE_MAX_MS - (performance.now() - t0);
      let r = await beforeDeadline(this.#heldThread().run(), left());
      // Busy (-1): a routine checkpoint still holds SQLite's checkpoint lock. It finishes sooner
      // now that nothing is appended; then this one copies what it left.
      while (r !== 'late' && r.log === -1) {
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, Math.min(5, left()))));
        r = left() > 0 ? await beforeDeadline(this.#heldThread().run(), left()) : 'late';
      }
      const ms = performance.now() - t0;
      // Copied to the end with the writes held: the next commit starts the WAL over, so nothing
      // is left to copy. Counting the frames it reported instead made the next tick hold the
      // writes a second time for a WAL that had already started over (every hold came in a
      // pair). Only a held checkpoint can say so: beside the writes, what it reports is the WAL
      // as it was when it began, and more has been appended since.
      if (r !== 'late' && r.ok && ran(r) && r.checkpointed === r.log) this.#stats.walFrames = 0;
      const s = this.#stats;
      s.quiesced++;
      s.quiescedMs += ms;
      s.longestQuiesceMs = Math.max(s.longestQuiesceMs, ms);
      if (r === 'late') s.quiesceTimeouts++;
      return r;
    };
    // The answer ends the tick, or QUIESCE_MAX_MS without one (a starved routine checkpoint must
    // not keep the next tick from holding the writes; its answer still counts when it comes). A
    // failure is the worker's to report (fallback).
    const routine = (): Promise<unknown> => beforeDeadline(this.#background.run(), QUIESCE_MAX_MS);
    return (quiesce ? quiesce(held) : routine()).then(
      () => void (this.#running = false),
      () => void (this.#running = false),
    );
  }

  stats(): Readonly<CheckpointStats> {
    return this.#stats;
  }

  /** Runs a routine checkpoint now; resolves with its result (tests, and a final one at close). */
  checkpointNow(): Promise<CheckpointResult> {
    return this.#background.run();
  }

  /** Stops the workers (their connections close); the serving connection's close checkpoints last. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    if (this.#stopped) return;
    this.#stopped = true;
    await Promise.all([this.#background.stop(), this.#urgent?.stop()]);
  }

  /** For tests: kill the routine worker as a crash would. */
  async crashForTest(): Promise<void> {
    await this.#background.crash();
  }
}

/** A result with figures: -1 (both) means the checkpoint could not run, and the WAL is as it was. */
function ran(r: CheckpointResult): r is CheckpointResult & { log: number; checkpointed: number } {
  return r.log !== undefined && r.log >= 0 && r.checkpointed !== undefined;
}

/** The promise's value, or 'late' once `ms` have passed without one. */
async function beforeDeadline<T>(p: Promise<T>, ms: number): Promise<T | 'late'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), ms)));
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}
