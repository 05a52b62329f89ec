// Child processes of the benchmark: each pinned with taskset, logged to a file, stopped by
// its own pid (never by name), and killed if the orchestrator exits first.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';

export interface Proc {
  name: string;
  pid: number;
  child: ChildProcess;
  logFile: string;
  /** First stdout line parsed as JSON, when the child announces itself (emulator, proxy). */
  hello?: Record<string, unknown>;
  stop(): Promise<void>;
}

const running = new Set<Proc>();
// Ctrl-C or a kill: exit through 'exit' so the children below are killed too.
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(sig, () => process.exit(130));
process.once('exit', () => {
  for (const p of running) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

export const HAS_TASKSET = spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status === 0;

export interface SpawnOptions {
  name: string;
  /** CPU list for taskset, e.g. "1". */
  cpu: string;
  nodeArgs: string[];
  env?: Record<string, string>;
  logFile: string;
  /** Wait for a JSON line on stdout (otherwise stdout goes to the log file). */
  hello?: boolean;
  cwd: string;
}

export async function spawnNode(o: SpawnOptions): Promise<Proc> {
  const log = openSync(o.logFile, 'a');
  const cmd = HAS_TASKSET ? 'taskset' : process.execPath;
  const args = HAS_TASKSET ? ['-c', o.cpu, process.execPath, ...o.nodeArgs] : o.nodeArgs;
  const child = spawn(cmd, args, {
    cwd: o.cwd,
    env: { ...process.env, ...o.env },
    stdio: ['pipe', o.hello ? 'pipe' : log, log],
  });
  closeSync(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const proc: Proc = {
    name: o.name,
    pid: child.pid ?? -1,
    child,
    logFile: o.logFile,
    async stop() {
      running.delete(proc);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      if (await Promise.race([exited.then(() => true), sleep(5000).then(() => false)])) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
  running.add(proc);
  if (o.hello) {
    proc.hello = await new Promise<Record<string, unknown>>((resolve, reject) => {
      let buf = '';
      const onData = (d: Buffer): void => {
        buf += d.toString('utf8');
        const nl = buf.indexOf('\n');
        if (nl === -1) return;
        child.stdout!.off('data', onData);
        child.stdout!.resume(); // keep draining anything else it prints
        try {
          resolve(JSON.parse(buf.slice(0, nl)) as Record<string, unknown>);
        } catch (err) {
          reject(err as Error);
        }
      };
      child.stdout!.on('data', onData);
      child.once('exit', (code) => reject(new Error(`${o.name} exited (${code}) before it was ready:\n${tail(o.logFile)}`)));
    });
  }
  return proc;
}

/** A `--treaty-node-args` value ("--a --b=1") as argv entries; any run of whitespace separates. */
export function splitNodeArgs(value: string): string[] {
  return value.split(/\s+/).filter(Boolean);
}

export function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** A free TCP port on 127.0.0.1 (bound and released; fine for a single-user bench box). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Polls `url` until any HTTP answer, the process exiting, or the timeout. */
export async function waitHttp(proc: Proc, url: string, timeoutMs = 40_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (proc.child.exitCode !== null) throw new Error(`${proc.name} exited (${proc.child.exitCode}):\n${tail(proc.logFile)}`);
    try {
      const r = await request(url, { method: 'GET' });
      await r.body.dump();
      return;
    } catch {
      await sleep(200);
    }
  }
  throw new Error(`${proc.name} did not answer ${url} within ${timeoutMs} ms:\n${tail(proc.logFile)}`);
}

/**
 * Stops (SIGSTOP) every gateway process but the one measured, and resumes (SIGCONT) that one:
 * idle processes on the shared core are not silent neighbours. Remembers what it stopped, so
 * each process is signalled only when its state changes; `resumeAll` runs at exit too.
 */
export class Isolation {
  readonly #paused = new Set<number>();

  constructor() {
    process.once('exit', () => this.resumeAll());
  }

  /** Stops every one of `pids` but `measured`; waits 200 ms (its timers catch up) when `measured` had been stopped. */
  async focus(pids: readonly number[], measured: number): Promise<void> {
    let resumed = false;
    for (const pid of pids) {
      if (pid === measured) {
        if (this.#paused.delete(pid)) {
          signal(pid, 'SIGCONT');
          resumed = true;
        }
      } else if (!this.#paused.has(pid)) {
        signal(pid, 'SIGSTOP');
        this.#paused.add(pid);
      }
    }
    if (resumed) await new Promise((r) => setTimeout(r, 200));
  }

  resumeAll(): void {
    for (const pid of this.#paused) signal(pid, 'SIGCONT');
    this.#paused.clear();
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // gone: the caller's liveness check reports it
  }
}
