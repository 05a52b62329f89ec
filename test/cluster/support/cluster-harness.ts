// Three (or N) Treaty replicas as separate processes on 127.0.0.1, sharing the real Redis and
// Postgres (a fresh schema and key prefix per run), in front of emulated clouds that run in
// the test process, so their attempt logs and faults are at hand.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { startEstate, type RunningEstate } from '../../../src/emulators/estate.js';
import { openLedger } from '../../../src/ledger/open.js';
import type { AttemptRow } from '../../../src/ledger/store.js';
import type { ClusterSettings } from '../../../src/cluster/index.js';
import { dropRedisPrefix, dropSchema, REDIS_URL, runId, withSchema } from './services.js';

/**
 * Replicas run as `treaty serve --cluster <url>` once src/cli/main.ts has the flag (the wiring
 * in docs/cluster.md has landed); until then through the test-only composition.
 */
export const VIA_CLI = readFileSync(new URL('../../../src/cli/main.ts', import.meta.url), 'utf8').includes("'--cluster <redisUrl>'");

export const CLIENT_KEY = 'sk-cluster-static-client-key-0001';
export const ADMIN_KEY = 'sk-cluster-admin-key-000000000001';

export interface Replica {
  index: number;
  proc: ChildProcess;
  url: string;
  adminUrl: string;
  logs: string[];
}

export interface ClusterSpec {
  replicas?: number;
  /** Redis as the replicas see it (a FaultyProxy's URL to break it on purpose). */
  redisUrl?: string;
  cluster?: Partial<ClusterSettings>;
  /** Extra lines for the `resilience:` section, two-space indented. */
  resilience?: string;
  requestTimeoutMs?: number;
  /** Contracts YAML text: written to a file every replica loads. */
  contracts?: string;
}

export interface Response {
  replica: number;
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export class ClusterHarness {
  readonly replicas: (Replica | undefined)[] = [];
  readonly schema = runId('pg');
  readonly prefix = `${runId('r')}:`;
  readonly dir = mkdtempSync(join(tmpdir(), 'treaty-cluster-'));
  readonly configPath = join(this.dir, 'treaty.yaml');
  readonly contractsPath = join(this.dir, 'contracts.yaml');
  estate!: RunningEstate;

  constructor(readonly spec: ClusterSpec = {}) {}

  get ledgerUrl(): string {
    return withSchema(this.schema);
  }

  async start(): Promise<this> {
    this.estate = await startEstate([{ name: 'cloud', provider: 'openai', deployments: ['m1', 'm2', 'm3'].map((name) => ({ name, ttftMs: 15, tokensPerSec: 400 })) }]);
    const base = `${this.estate.clouds[0]!.url}/v1`;
    if (this.spec.contracts) writeFileSync(this.contractsPath, this.spec.contracts);
    writeFileSync(this.configPath, `server: { port: 0, requestTimeoutMs: ${this.spec.requestTimeoutMs ?? 5_000}, maxAttempts: 3 }
admin: { key: env:CLUSTER_ADMIN_KEY, port: 0 }
auth: { keys: [{ name: static, key: env:CLUSTER_CLIENT_KEY }] }
ledger: { url: "${this.ledgerUrl}" }
logging: { level: info }
resilience:
  backoffBaseMs: 1
  backoffMaxMs: 5
  throttleK: 0
${this.spec.resilience ?? ''}
${this.spec.contracts ? `contracts: { file: "${this.contractsPath}", watchMs: 0 }` : ''}
${VIA_CLI ? `cluster: ${JSON.stringify(this.yamlCluster())}` : ''}
deployments:
  - { id: d1, provider: openai-compatible, baseUrl: "${base}", model: m1, account: acct-a, prices: { usdPerMTokIn: 1000, usdPerMTokOut: 2000 } }
  - { id: d2, provider: openai-compatible, baseUrl: "${base}", model: m2, account: acct-b, prices: { usdPerMTokIn: 1000, usdPerMTokOut: 2000 } }
  - { id: d3, provider: openai-compatible, baseUrl: "${base}", model: m3, account: acct-c, prices: { usdPerMTokIn: 1000, usdPerMTokOut: 2000 } }
models:
  - { name: m, deployments: [d1, d2, d3] }
`);
    await Promise.all(Array.from({ length: this.spec.replicas ?? 3 }, (_, i) => this.startReplica(i)));
    return this;
  }

  alive(): Replica[] {
    return this.replicas.filter((r): r is Replica => r !== undefined && r.proc.exitCode === null && r.proc.signalCode === null);
  }

  replica(i: number): Replica {
    const r = this.replicas[i];
    if (!r) throw new Error(`replica ${i} is not running`);
    return r;
  }

  /** The cluster settings every replica of this run shares (YAML has no replicaId or heartbeatMs). */
  private yamlCluster(): Partial<ClusterSettings> {
    return { keyPrefix: this.prefix, sweepIntervalMs: 500, orphanMarginMs: 1_000, ...this.spec.cluster };
  }

  async startReplica(i: number): Promise<Replica> {
    const redisUrl = this.spec.redisUrl ?? REDIS_URL;
    const settings: ClusterSettings = { redisUrl, replicaId: `replica-${i}`, heartbeatMs: 300, ...this.yamlCluster() };
    void settings;
    const args = ['src/cli/main.ts', 'serve', '--config', this.configPath, '--cluster', redisUrl];
    const proc = spawn(process.execPath, ['--import', 'tsx', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CLUSTER_CLIENT_KEY: CLIENT_KEY, CLUSTER_ADMIN_KEY: ADMIN_KEY },
    });
    const logs: string[] = [];
    const replica = await new Promise<Replica>((resolve, reject) => {
      let buf = '';
      const urls: { url?: string; admin?: string } = {};
      const onData = (d: Buffer): void => {
        buf += d.toString();
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          logs.push(line);
          urls.url ??= /"msg":"gateway listening".*?"url":"(http:[^"]+)"/.exec(line)?.[1];
          urls.admin ??= /"msg":"admin listening".*?"url":"(http:[^"]+)"/.exec(line)?.[1];
          if (urls.url && urls.admin) resolve({ index: i, proc, url: urls.url, adminUrl: urls.admin, logs });
        }
      };
      proc.stdout!.on('data', onData);
      proc.stderr!.on('data', (d: Buffer) => logs.push(d.toString()));
      proc.once('exit', (code) => reject(new Error(`replica ${i} exited (${code}): ${logs.join('\n')}`)));
    });
    this.replicas[i] = replica;
    return replica;
  }

  /** SIGKILL: no shutdown, no flush — the process is simply gone. */
  async kill(i: number): Promise<void> {
    const r = this.replica(i);
    r.proc.kill('SIGKILL');
    await exited(r.proc);
  }

  async chat(i: number, opts: { key?: string; stream?: boolean; maxTokens?: number; content?: string; headers?: Record<string, string> } = {}): Promise<Response> {
    const r = await request(`${this.replica(i).url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${opts.key ?? CLIENT_KEY}`, 'content-type': 'application/json', ...opts.headers },
      body: JSON.stringify({ model: 'm', stream: opts.stream ?? false, max_tokens: opts.maxTokens ?? 8, messages: [{ role: 'user', content: opts.content ?? 'hello cluster' }] }),
    });
    return { replica: i, status: r.statusCode, headers: r.headers, body: await r.body.text() };
  }

  async admin<T = Record<string, unknown>>(i: number, method: 'GET' | 'POST' | 'PATCH', path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const r = await request(`${this.replica(i).adminUrl}${path}`, { method, headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    return { status: r.statusCode, body: (await r.body.json()) as T };
  }

  /** The state of deployment `id` as replica `i` sees it (the admin estate view). */
  async deploymentState(i: number, id: string): Promise<{ id: string; state: string; until: number | null; reason: string | null }> {
    const r = await this.admin<{ deployments: { id: string; state: string; until: number | null; reason: string | null }[] }>(i, 'GET', '/admin/estate');
    return r.body.deployments.find((d) => d.id === id)!;
  }

  /**
   * Sends traffic through replica `i` only until it ejects deployment `id` (whose emulated
   * deployment the caller made fail). Concurrent, because the balancer steers single requests
   * away from a deployment that just failed and the failures would come slowly.
   */
  async ejectVia(i: number, id: string): Promise<void> {
    await until(async () => {
      await Promise.all(Array.from({ length: 8 }, () => this.chat(i)));
      return (await this.deploymentState(i, id)).state === 'ejected';
    }, 10_000, 0);
  }

  /** A tenant with one virtual key, through replica `i`'s admin API. */
  async tenantKey(i: number, limits: Record<string, unknown>): Promise<{ tenantId: string; keyId: string; key: string }> {
    const t = await this.admin<{ id: string }>(i, 'POST', '/admin/tenants', { name: `t-${Math.random().toString(36).slice(2, 8)}` });
    const k = await this.admin<{ id: string; key: string }>(i, 'POST', `/admin/tenants/${t.body.id}/keys`, { name: 'k', ...limits });
    if (k.status !== 201) throw new Error(`key creation failed: ${JSON.stringify(k.body)}`);
    return { tenantId: t.body.id, keyId: k.body.id, key: k.body.key };
  }

  async ledgerRows(): Promise<AttemptRow[]> {
    const store = await openLedger(this.ledgerUrl);
    try {
      return await store.listAttempts({ limit: 10_000 });
    } finally {
      await store.close();
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.alive().map(async (r) => {
      r.proc.kill('SIGTERM');
      await Promise.race([exited(r.proc), new Promise((res) => setTimeout(res, 3_000))]);
      r.proc.kill('SIGKILL');
    }));
    await this.estate?.close();
    await dropSchema(this.schema).catch(() => undefined);
    await dropRedisPrefix(this.prefix).catch(() => undefined);
  }
}

export function exited(p: ChildProcess): Promise<void> {
  return new Promise((r) => (p.exitCode !== null || p.signalCode !== null ? r() : p.once('exit', () => r())));
}

export async function until(what: () => boolean | Promise<boolean>, ms = 5_000, step = 10): Promise<number> {
  const t0 = Date.now();
  while (!(await what())) {
    if (Date.now() - t0 > ms) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, step));
  }
  return Date.now() - t0;
}
