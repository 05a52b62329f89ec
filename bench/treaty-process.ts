// One Treaty on the bench config (and the emulator it calls), for the tools beside `npm run bench` (ab.ts,
// latency-probe.ts, heap-retention.ts): its own folder and ports, started on core 1, ready,
// with a virtual key issued through the admin API, as the endpoint the load functions take.
// (run.ts has its own start: it checks each variant's config and contracts first.)

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Endpoint } from './load.js';
import { freePort, HAS_TASKSET, spawnNode, waitHttp, type Proc } from './processes.js';
import { pinSelf } from './procstat.js';
import { transpileTree } from './transpile.js';
import { issueBenchKey, shebangFlags, TREATY_ENV, treatyConfigYaml } from './setup.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface BenchTreaty {
  proc: Proc;
  ep: Endpoint;
  /** Its folder: config, ledger, treaty.log. */
  dir: string;
  /** The admin listener's origin (/metrics, with the bench's admin key). */
  admin: string;
}

export async function startBenchTreaty(o: {
  name: string;
  /** A transpiled tree holding src/cli/main.js. */
  build: string;
  /** Created here. */
  dir: string;
  upstream: string;
  overlays?: string[];
  /**
   * Node flags instead of the bin's: by default Treaty is launched as the build's own bin
   * (its shebang's flags), as it ships, with `extraNodeArgs` after them.
   */
  nodeArgs?: string[];
  extraNodeArgs?: string[];
  env?: Record<string, string>;
  /** Fields for the bench tenant (a bench variant's `tenant`). */
  tenant?: Record<string, unknown>;
}): Promise<BenchTreaty> {
  mkdirSync(o.dir);
  const port = await freePort();
  const adminPort = await freePort();
  const cfg = join(o.dir, 'treaty.yaml');
  const main = join(o.build, 'src/cli/main.js');
  writeFileSync(cfg, treatyConfigYaml(o.upstream, port, adminPort, ...(o.overlays ?? [])));
  const proc = await spawnNode({
    name: o.name, cpu: '1', cwd: o.dir,
    nodeArgs: [...(o.nodeArgs ?? [...shebangFlags(main), ...(o.extraNodeArgs ?? [])]), main, 'serve', '--config', cfg],
    env: { ...TREATY_ENV, ...o.env }, logFile: join(o.dir, 'treaty.log'),
  });
  const origin = `http://127.0.0.1:${port}`;
  await waitHttp(proc, `${origin}/healthz`);
  const key = await issueBenchKey(`http://127.0.0.1:${adminPort}`, o.tenant);
  return { proc, dir: o.dir, admin: `http://127.0.0.1:${adminPort}`, ep: { name: o.name, origin, path: '/v1/chat/completions', headers: { authorization: `Bearer ${key}` }, pid: proc.pid } };
}

/**
 * The bench's emulator (bench/emulator-server.js of a tree transpiled by bench/transpile.ts) on
 * core 0, beside the load generator, logging to `logDir`/emulator.log; `hello.url` is its origin.
 */
export function startBenchEmulator(benchBuild: string, logDir: string): Promise<Proc> {
  return spawnNode({ name: 'emulator', cpu: '0', cwd: ROOT, nodeArgs: [join(benchBuild, 'bench/emulator-server.js')], logFile: join(logDir, 'emulator.log'), hello: true });
}

/**
 * What a bench tool beside `npm run bench` starts from: this process pinned to core 0, a scratch
 * folder (removed at exit unless `keep`: profiles, logs), this tree's src and bench transpiled
 * into it (`benchBuild`), and the emulator running (core 0) at `upstream`.
 */
export async function startBenchRig(prefix: string, o: { keep?: boolean } = {}): Promise<{ tmp: string; modules: string; benchBuild: string; emu: Proc; upstream: string }> {
  if (HAS_TASKSET) pinSelf('0');
  const tmp = mkdtempSync(join(tmpdir(), prefix));
  if (!o.keep) process.once('exit', () => rmSync(tmp, { recursive: true, force: true }));
  const modules = join(ROOT, 'node_modules');
  const benchBuild = join(tmp, 'bench-build');
  transpileTree(ROOT, ['src', 'bench'], benchBuild, modules);
  const emu = await startBenchEmulator(benchBuild, tmp);
  return { tmp, modules, benchBuild, emu, upstream: String(emu.hello!.url) };
}
