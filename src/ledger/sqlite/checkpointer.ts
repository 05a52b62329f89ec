// WAL checkpoints off the event loop. By default SQLite checkpoints inside the commit that
// pushes the WAL past 1,000 pages: that commit copies ~4 MB into the database file and
// fsyncs it, stalling the event loop for milliseconds (every request in flight waits: the
// p99 at a steady 1,000 req/s). Here the serving connection never checkpoints
// (wal_autocheckpoint = 0) and a worker thread with its own connection runs a PASSIVE
// checkpoint every `everyMs`: it copies what no reader still needs, never blocks the writer,
// and its fsync waits off the event loop. If the worker dies, the serving connection takes
// checkpoints back (the WAL must not grow without bound).

import type { Database } from 'better-sqlite3';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

// Plain CommonJS run by the worker (eval), so the same code works from TypeScript sources under
// tsx and from the built JavaScript, without a separate entry file to locate.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
// The lowest CPU priority for this thread (Linux: setpriority on a thread id applies to that
// thread): pinned to one core with the event loop, a checkpoint would otherwise take its
// time slices from requests; at nice 19 it runs in the loop's idle time and gets ~1.5 % of
// the core when the loop is saturated, more than copying the WAL needs.
try {
  const tid = Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop());
  if (Number.isSafeInteger(tid) && tid > 0) require('node:os').setPriority(tid, 19);
} catch {}
const db = new Database(workerData.path, { timeout: workerData.busyTimeoutMs });
db.pragma('synchronous = ' + workerData.synchronous);
const run = () => {
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ ok: true, busy: r.busy, log: r.log, checkpointed: r.checkpointed });
  } catch (err) {
    parentPort.postMessage({ ok: false, error: String(err && err.message || err) });
  }
};
const timer = setInterval(run, workerData.everyMs);
parentPort.on('message', (m) => {
  if (m === 'now') run();
  if (m === 'stop') { clearInterval(timer); db.close(); parentPort.close(); }
});
`;

export interface CheckpointResult {
  ok: boolean;
  /** WAL frames, and how many of them are now in the database file. */
  log?: number;
  checkpointed?: number;
  error?: string;
}

export interface CheckpointerOptions {
  everyMs?: number;
  busyTimeoutMs: number;
  synchronous: 'NORMAL' | 'FULL';
  /** Told when the worker failed and the serving connection checkpoints again. */
  onFallback?: (err: unknown) => void;
}

export class WalCheckpointer {
  readonly #worker: Worker;
  readonly #listeners = new Set<(r: CheckpointResult) => void>();
  #stopped = false;

  constructor(serving: Database, path: string, opts: CheckpointerOptions) {
    serving.pragma('wal_autocheckpoint = 0');
    this.#worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        driver: createRequire(import.meta.url).resolve('better-sqlite3'),
        path,
        everyMs: opts.everyMs ?? 250,
        busyTimeoutMs: opts.busyTimeoutMs,
        synchronous: opts.synchronous,
      },
    });
    // The worker must not keep a finished process alive.
    this.#worker.unref();
    this.#worker.on('message', (r: CheckpointResult) => {
      for (const l of this.#listeners) l(r);
    });
    const fallback = (err: unknown): void => {
      if (this.#stopped) return;
      this.#stopped = true;
      if (serving.open) serving.pragma('wal_autocheckpoint = 1000');
      opts.onFallback?.(err);
    };
    this.#worker.on('error', fallback);
    this.#worker.on('exit', (code) => fallback(new Error(`WAL checkpoint worker exited with code ${code}`)));
  }

  /** Runs a checkpoint now; resolves with its result (tests, and a final one at close). */
  checkpointNow(): Promise<CheckpointResult> {
    return new Promise((resolve) => {
      const once = (r: CheckpointResult): void => {
        this.#listeners.delete(once);
        resolve(r);
      };
      this.#listeners.add(once);
      this.#worker.postMessage('now');
    });
  }

  /** Stops the worker (its connection closes); the serving connection's close checkpoints last. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    const exited = new Promise<void>((resolve) => this.#worker.once('exit', () => resolve()));
    this.#worker.postMessage('stop');
    await exited;
  }

  /** For tests: kill the worker as a crash would. */
  async crashForTest(): Promise<void> {
    await this.#worker.terminate();
  }
}
