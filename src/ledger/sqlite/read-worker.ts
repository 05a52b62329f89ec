// Long reads off the event loop. better-sqlite3 runs a query on the calling thread, and a
// report's aggregate over a month or a commitment's term reads every row of it: ~2 µs a row,
// seconds for a busy ledger, during which the serving gateway answers nothing. Those reads
// (spend, served counts, counts by decision) go to a worker thread with a read-only connection
// of its own; WAL lets it read beside the writer. Short keyed lookups stay on the serving
// connection. If the worker fails, reads fall back to the serving connection (slow reads
// block again, nothing is lost) and the caller is told once.

import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { LongRead } from '../sql/db.js';

// Plain CommonJS run by the worker (eval), as the checkpointer's, so it works from TypeScript
// sources under tsx and from built JavaScript alike.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
// Below the event loop's priority (Linux: setpriority on this thread's id), so a long report
// on the same core takes the loop's idle time first, not its time slices.
try {
  const tid = Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop());
  if (Number.isSafeInteger(tid) && tid > 0) require('node:os').setPriority(tid, 10);
} catch {}
const db = new Database(workerData.path, { readonly: true, fileMustExist: true, timeout: workerData.busyTimeoutMs });
const cache = new Map();
parentPort.on('message', (m) => {
  if (m === 'stop') { db.close(); parentPort.close(); return; }
  try {
    let stmt = cache.get(m.sql);
    if (!stmt) { stmt = db.prepare(m.sql); if (cache.size < 100) cache.set(m.sql, stmt); }
    parentPort.postMessage({ id: m.id, rows: stmt.all(m.params) });
  } catch (err) {
    parentPort.postMessage({ id: m.id, error: String((err && err.message) || err) });
  }
});
`;

interface Reply {
  id: number;
  rows?: unknown[];
  error?: string;
}

export class SqliteReadWorker {
  #worker: Worker | undefined;
  #failed = false;
  #next = 0;
  readonly #pending = new Map<number, { resolve: (rows: unknown[]) => void; reject: (e: unknown) => void }>();
  /** Reads answered by the worker (tests; and the proof that reads left the event loop). */
  served = 0;

  constructor(
    private readonly path: string,
    private readonly busyTimeoutMs: number,
    private readonly onFailure: (err: unknown) => void = () => undefined,
  ) {}

  /** False once the worker failed or stopped: the caller reads on its own connection. */
  get usable(): boolean {
    return !this.#failed;
  }

  /** Runs a SELECT (SQL and positional parameters as Kysely compiled them) on the worker. */
  all(sql: string, params: readonly unknown[]): Promise<unknown[]> {
    const w = this.#start();
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      w.postMessage({ id, sql, params });
    });
  }

  async stop(): Promise<void> {
    const w = this.#worker;
    this.#failed = true;
    this.#worker = undefined;
    // Reads still out when the store closes fail rather than wait for an answer that will not come.
    this.#rejectPending(new Error('the ledger was closed during this read'));
    if (!w) return;
    const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
    w.postMessage('stop');
    await exited;
  }

  /** For tests: the worker dies as a crash would. */
  async crashForTest(): Promise<void> {
    await this.#worker?.terminate();
  }

  #rejectPending(err: unknown): void {
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
  }

  // Started on first use: most gateways never run a long read after start-up.
  #start(): Worker {
    if (this.#worker) return this.#worker;
    const w = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { driver: createRequire(import.meta.url).resolve('better-sqlite3'), path: this.path, busyTimeoutMs: this.busyTimeoutMs },
    });
    // An idle reader must not keep a finished process alive.
    w.unref();
    w.on('message', (r: Reply) => {
      const p = this.#pending.get(r.id);
      if (!p) return;
      this.#pending.delete(r.id);
      if (r.error !== undefined) p.reject(new Error(r.error));
      else {
        this.served++;
        p.resolve(r.rows ?? []);
      }
    });
    const fail = (err: unknown): void => {
      if (this.#worker !== w) return;
      this.#worker = undefined;
      const first = !this.#failed;
      this.#failed = true;
      this.#rejectPending(err);
      if (first) this.onFailure(err);
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`ledger read worker exited with code ${code}`)));
    this.#worker = w;
    return w;
  }
}

/**
 * The store's LongRead through `reader`: the query's SQL on the worker; on the query's own
 * connection once the worker is gone, including a read that was in flight when it died.
 */
export function longReadVia(reader: Pick<SqliteReadWorker, 'usable' | 'all'>): LongRead {
  return (q) => {
    if (!reader.usable) return q.execute();
    const c = q.compile();
    return reader.all(c.sql, c.parameters).then(
      // The worker runs the same SQL on the same file: its rows are the query's rows.
      (rows) => rows as Awaited<ReturnType<typeof q.execute>>,
      (err: unknown) => (reader.usable ? Promise.reject(err) : q.execute()),
    );
  };
}
