// What cluster mode costs a request: the same gateway as a single process and as a clustered
// replica (Redis counters and health news), both on the same Postgres ledger, measured
// interleaved in rounds on 127.0.0.1 against an instant emulator. Reports latency percentiles
// and the p50 the cluster path adds, for a key with RPM/TPM limits on key and tenant (four
// counter scripts per request: the worst case) and a static key (no limits: nothing shared on
// the request path). Also the bare counter round trip, Redis versus in-process.
//
//   npm run bench:cluster -- [--seconds 2] [--rounds 8] [--concurrency 1,16]
// Writes bench/results/cluster-latest.md.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { ClusterNode, clusterOptions } from '../../src/cluster/index.js';
import { startEstate } from '../../src/emulators/estate.js';
import { Admission } from '../../src/admission/admission.js';
import { MemoryCounterStore, type CounterStore } from '../../src/limits/counter-store.js';
import { RateLimiter } from '../../src/limits/rate-limiter.js';
import { createLogger } from '../../src/observability/logger.js';
import { dropRedisPrefix, dropSchema, REDIS_URL, runId, withSchema } from './support/services.js';

const { values: opt } = parseArgs({ options: { seconds: { type: 'string', default: '2' }, rounds: { type: 'string', default: '8' }, concurrency: { type: 'string', default: '1,16' } } });
const SECONDS = Number(opt.seconds);
const ROUNDS = Number(opt.rounds);
const CONC = opt.concurrency.split(',').map(Number);
const STATIC_KEY = 'sk-bench-cluster-static-000000001';
const RESULTS = new URL('../../bench/results/', import.meta.url).pathname;
const loadBefore = loadavg().map((x) => x.toFixed(2)).join(' ');
const ADMIN_KEY = 'sk-bench-cluster-admin-0000000001';

interface Target {
  name: 'single' | 'cluster';
  proc: ChildProcess;
  url: string;
  adminUrl: string;
  schema: string;
  limitedKey: string;
}

const estate = await startEstate([{ name: 'c', provider: 'openai', deployments: [{ name: 'm1' }, { name: 'm2' }] }]);
const dir = mkdtempSync(join(tmpdir(), 'treaty-bench-cluster-'));
const prefix = `${runId('bench')}:`;

function config(schema: string, keyPrefix?: string): string {
  const path = join(dir, `${schema}.yaml`);
  const base = `${estate.clouds[0]!.url}/v1`;
  writeFileSync(path, `server: { port: 0 }
admin: { key: env:BENCH_ADMIN_KEY, port: 0 }
auth: { keys: [{ name: static, key: env:BENCH_STATIC_KEY }] }
ledger: { url: "${withSchema(schema)}" }
${keyPrefix ? `cluster: { keyPrefix: "${keyPrefix}" }` : ''}
logging: { level: info }
deployments:
  - { id: d1, provider: openai-compatible, baseUrl: "${base}", model: m1, prices: { usdPerMTokIn: 1, usdPerMTokOut: 2 } }
  - { id: d2, provider: openai-compatible, baseUrl: "${base}", model: m2, prices: { usdPerMTokIn: 1, usdPerMTokOut: 2 } }
models:
  - { name: m, deployments: [d1, d2] }
`);
  return path;
}

async function start(name: Target['name']): Promise<Target> {
  const schema = runId(`bench_${name}`);
  // The cluster section's keyPrefix comes from the YAML; --cluster only switches it on.
  const args = ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--config', config(schema, name === 'cluster' ? prefix : undefined), ...(name === 'cluster' ? ['--cluster', REDIS_URL] : [])];
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, BENCH_STATIC_KEY: STATIC_KEY, BENCH_ADMIN_KEY: ADMIN_KEY } });
  // Logs at info, as in production (one line per request); read until both listeners are up.
  const urls = await new Promise<{ url: string; adminUrl: string }>((resolve, reject) => {
    let buf: string | undefined = '';
    proc.stdout!.on('data', (d: Buffer) => {
      if (buf === undefined) return;
      buf += d.toString();
      const m = /"gateway listening".*?"url":"([^"]+)"[\s\S]*"admin listening".*?"url":"([^"]+)"/.exec(buf);
      if (m) {
        buf = undefined;
        resolve({ url: m[1]!, adminUrl: m[2]! });
      }
    });
    proc.once('exit', (c) => reject(new Error(`${name} exited ${c}: ${buf}`)));
  });
  const admin = async (path: string, body: unknown): Promise<{ id: string; key: string }> => {
    const r = await request(`${urls.adminUrl}${path}`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return (await r.body.json()) as { id: string; key: string };
  };
  const limits = { rpm: 10_000_000, tpm: 1_000_000_000 };
  const t = await admin('/admin/tenants', { name: 'bench', ...limits });
  const k = await admin(`/admin/tenants/${t.id}/keys`, { name: 'bench', ...limits });
  return { name, proc, ...urls, schema, limitedKey: k.key };
}

const BODY = JSON.stringify({ model: 'm', max_tokens: 16, messages: [{ role: 'user', content: 'bench the cluster path' }] });

/** Closed loop: `conc` clients back to back for `ms`; per-request latencies in ms. */
async function loop(url: string, key: string, conc: number, ms: number): Promise<number[]> {
  const lat: number[] = [];
  const end = performance.now() + ms;
  await Promise.all(Array.from({ length: conc }, async () => {
    while (performance.now() < end) {
      const t0 = performance.now();
      const r = await request(`${url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: BODY });
      await r.body.text();
      if (r.statusCode !== 200) throw new Error(`status ${r.statusCode}`);
      lat.push(performance.now() - t0);
    }
  }));
  return lat;
}

const pct = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

/**
 * The request path's added work in isolation: admission of a request whose key and tenant both
 * have RPM and TPM limits (four check-and-adds), on Redis versus in process, one at a time.
 */
async function admissionLatency(store: CounterStore, n: number): Promise<{ p50: number; p99: number }> {
  const limits = { allowedModels: null, trafficClass: null, tags: [], rpm: 1e12, tpm: 1e15, budgetUsd: null, budgetPeriod: null };
  const admission = new Admission(new RateLimiter(store), undefined, Date.now);
  const p = { keyName: 'bench', keyId: 'k1', tenantId: 't1', key: limits, tenant: limits };
  const lat: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const a = await admission.admit(p, 'm', 30, undefined);
    lat.push(performance.now() - t0);
    await a.release(undefined, 30);
  }
  return { p50: pct(lat, 0.5), p99: pct(lat, 0.99) };
}

const targets: Target[] = [];
try {
  targets.push(await start('single'), await start('cluster'));
  const results = new Map<string, number[]>();
  /** Each round's p50 per cell: the added p50 is the median of the per-round differences. */
  const roundP50 = new Map<string, number[]>();
  const keyOf = (t: Target, kind: string): string => (kind === 'limited' ? t.limitedKey : STATIC_KEY);
  for (const t of targets) for (const kind of ['limited', 'static']) await loop(t.url, keyOf(t, kind), 8, 500);
  for (let round = 0; round < ROUNDS; round++) {
    for (const conc of CONC) {
      for (const kind of ['limited', 'static']) {
        // Interleaved, and the order alternates per round, so drift in the machine hits both.
        for (const t of round % 2 ? [...targets].reverse() : targets) {
          const k = `${kind}|${conc}|${t.name}`;
          const lat = await loop(t.url, keyOf(t, kind), conc, SECONDS * 1000);
          results.set(k, [...(results.get(k) ?? []), ...lat]);
          roundP50.set(k, [...(roundP50.get(k) ?? []), pct(lat, 0.5)]);
        }
      }
    }
  }
  const rows: string[] = ['| key | concurrency | target | requests/s | p50 ms | p90 ms | p99 ms | p50 added by cluster (median of rounds [min, max]) |', '|---|---|---|---|---|---|---|---|'];
  for (const kind of ['limited', 'static']) {
    for (const conc of CONC) {
      for (const name of ['single', 'cluster'] as const) {
        const xs = results.get(`${kind}|${conc}|${name}`)!;
        const a = roundP50.get(`${kind}|${conc}|single`)!;
        const d = roundP50.get(`${kind}|${conc}|cluster`)!.map((x, i) => x - a[i]!);
        const added = name === 'cluster' ? `${pct(d, 0.5).toFixed(3)} ms [${Math.min(...d).toFixed(2)}, ${Math.max(...d).toFixed(2)}]` : '';
        rows.push(`| ${kind} | ${conc} | ${name} | ${(xs.length / (ROUNDS * SECONDS)).toFixed(0)} | ${pct(xs, 0.5).toFixed(3)} | ${pct(xs, 0.9).toFixed(3)} | ${pct(xs, 0.99).toFixed(3)} | ${added} |`);
      }
    }
  }
  const node = new ClusterNode(clusterOptions({ redisUrl: REDIS_URL, keyPrefix: prefix }), { log: createLogger('silent'), now: Date.now, random: Math.random });
  await node.connect();
  const onRedis = await admissionLatency(node.counters, 5_000);
  const inProcess = await admissionLatency(new MemoryCounterStore(Date.now), 5_000);
  await node.close();
  const us = (ms: number): string => `${(ms * 1000).toFixed(0)} µs`;
  const report = [
    `# Cluster path vs single process — ${new Date().toISOString()}`,
    '',
    `${ROUNDS} rounds × ${SECONDS} s per cell, interleaved; Node ${process.version}; ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}; load average before ${loadBefore}, after ${loadavg().map((x) => x.toFixed(2)).join(' ')}. Both targets use the same Postgres ledger; "cluster" adds Redis counters, health news and contract-counter sync.`,
    '',
    ...rows,
    '',
    `Admission alone (key + tenant, RPM + TPM: 4 check-and-adds), one at a time: Redis p50 ${us(onRedis.p50)} / p99 ${us(onRedis.p99)}; in process p50 ${us(inProcess.p50)} / p99 ${us(inProcess.p99)}; added p50 ${us(onRedis.p50 - inProcess.p50)}.`,
  ].join('\n');
  console.log(`\n${report}`);
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, 'cluster-latest.md'), `${report}\n`);
} finally {
  for (const t of targets) t.proc.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 500));
  for (const t of targets) {
    t.proc.kill('SIGKILL');
    await dropSchema(t.schema).catch(() => undefined);
  }
  await dropRedisPrefix(prefix).catch(() => undefined);
  await estate.close();
}
