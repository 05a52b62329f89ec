// One worker thread with its own SQLite connection that runs `wal_checkpoint(PASSIVE)` when
// asked, at a chosen CPU priority. The checkpointer (checkpointer.ts) keeps two: one at nice 19
// for the routine checkpoints beside the writes, one at the process's own priority for the
// checkpoints the serving connection's writes wait for.

import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

// Plain CommonJS run by the worker (eval), so the same code works from TypeScript sources under
// tsx and from the built JavaScript, without a separate entry file to locate.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
// Linux: setpriority on a thread id applies to that thread alone.
if (workerData.nice !== undefined) {
  try {
    const tid = Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isSafeInteger(tid) && tid > 0) require('node:os').setPriority(tid, workerData.nice);
  } catch {}
}
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
parentPort.on('message', (m) => {
  if (m === 'now') run();
  if (m === 'stop') { db.close(); parentPort.close(); }
});
`;

export interface CheckpointResult {
  ok: boolean;
  /** WAL frames, and how many of them are now in the database file (-1 both: it could not run). */
  log?: number;
  checkpointed?: number;
  error?: string;
}

export class CheckpointThread {
  readonly #worker: Worker;
  /** Callers waiting for an answer, in the order they asked (the worker answers in order). */
  readonly #waiting: ((r: CheckpointResult) => void)[] = [];
  #dead = false;

  constructor(
    o: { path: string; busyTimeoutMs: number; synchronous: 'NORMAL' | 'FULL'; /** Absent: the process's own priority. */ nice?: number },
    onResult: (r: CheckpointResult) => void,
    onFailure: (err: unknown) => void,
  ) {
    this.#worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { driver: createRequire(import.meta.url).resolve('better-sqlite3'), path: o.path, busyTimeoutMs: o.busyTimeoutMs, synchronous: o.synchronous, nice: o.nice },
    });
    // The worker must not keep a finished process alive.
    this.#worker.unref();
    this.#worker.on('message', (r: CheckpointResult) => {
      onResult(r);
      this.#waiting.shift()?.(r);
    });
    const failed = (err: unknown): void => {
      if (this.#dead) return;
      this.#dead = true;
      // Nobody waits for an answer that will not come.
      for (const w of this.#waiting.splice(0)) w({ ok: false, error: String(err) });
      onFailure(err);
    };
    this.#worker.on('error', failed);
    this.#worker.on('exit', (code) => failed(new Error(`WAL checkpoint worker exited with code ${code}`)));
  }

  get dead(): boolean {
    return this.#dead;
  }

  run(): Promise<CheckpointResult> {
    if (this.#dead) return Promise.resolve({ ok: false, error: 'checkpoint worker stopped' });
    return new Promise((resolve) => {
      this.#waiting.push(resolve);
      this.#worker.postMessage('now');
    });
  }

  async stop(): Promise<void> {
    if (this.#dead) return;
    this.#dead = true;
    const exited = new Promise<void>((resolve) => this.#worker.once('exit', () => resolve()));
    this.#worker.postMessage('stop');
    await exited;
  }

  /** For tests: kill the worker as a crash would. */
  async crash(): Promise<void> {
    await this.#worker.terminate();
  }
}
