// G18: the gateway is killed with SIGKILL at random moments under load, restarted, and
// recovers; the ledger then matches the emulators' attempt logs one for one — nothing lost,
// nothing twice, interrupted attempts marked and settled from an estimate.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { startEstate, type RunningEstate } from '../src/emulators/estate.js';
import { openLedger } from '../src/ledger/open.js';
import { expectLedgerMatchesEmulator } from './support/ledger-vs-emulator.js';

const KEY = 'sk-crash-test-client-key-000000';
const ADMIN = 'sk-crash-test-admin-key-0000000';
let estate: RunningEstate | undefined;
let child: ChildProcess | undefined;
afterAll(async () => {
  child?.kill('SIGKILL');
  await estate?.close();
});

/** Seeded PRNG: the kill moments are random but the run is reproducible. */
function rng(seed: number): () => number {
  return () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
}

async function startGatewayProcess(config: string): Promise<{ proc: ChildProcess; url: string; adminUrl: string; logs: () => string }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--config', config], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, CRASH_KEY: KEY, CRASH_ADMIN: ADMIN } });
  let buf = '';
  const [url, adminUrl] = await new Promise<[string, string]>((resolve, reject) => {
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /"msg":"gateway listening","url":"(http:[^"]+)"/.exec(buf);
      const a = /"msg":"admin listening","url":"(http:[^"]+)"/.exec(buf);
      if (m && a) resolve([m[1]!, a[1]!]);
    });
    proc.once('exit', (code) => reject(new Error(`gateway exited (${code}): ${buf}`)));
  });
  proc.stdout!.on('data', (d: Buffer) => (buf += d.toString()));
  return { proc, url, adminUrl, logs: () => buf };
}

async function adminPost(adminUrl: string, path: string, body: unknown): Promise<{ id: string; key?: string }> {
  const r = await request(`${adminUrl}${path}`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(r.statusCode).toBe(201);
  return (await r.body.json()) as { id: string; key?: string };
}

describe('crash safety (G18)', () => {
  it('SIGKILL under load three times: the ledger equals the emulator log one for one', async () => {
    estate = await startEstate([
      { name: 'v', provider: 'openai', deployments: [{ name: 'm1', ttftMs: 30, tokensPerSec: 60 }, { name: 'm2', ttftMs: 30, tokensPerSec: 60 }] },
    ]);
    const dir = mkdtempSync(join(tmpdir(), 'treaty-crash-'));
    const db = join(dir, 'ledger.db');
    const config = join(dir, 'treaty.yaml');
    writeFileSync(config, `server: { port: 0 }
auth: { keys: [{ name: crash, key: env:CRASH_KEY }] }
admin: { key: env:CRASH_ADMIN, port: 0 }
ledger: { url: "sqlite:${db}" }
logging: { level: info }
deployments:
  - { id: d1, provider: openai-compatible, baseUrl: "${estate.clouds[0]!.url}/v1", model: m1, prices: { usdPerMTokIn: 1, usdPerMTokOut: 2 } }
  - { id: d2, provider: openai-compatible, baseUrl: "${estate.clouds[0]!.url}/v1", model: m2, prices: { usdPerMTokIn: 1, usdPerMTokOut: 2 } }
models:
  - { name: m, deployments: [d1, d2] }
`);
    const random = rng(20261130);
    let served = 0;
    // Half the load runs on a tenant key with a daily USD budget: its reservations are held per
    // request, and those a crash cut off must be released by recovery, not stay reserved.
    let tenantId = '';
    let budgetKey = '';
    for (let round = 0; round < 3; round++) {
      const gw = await startGatewayProcess(config);
      child = gw.proc;
      if (round === 0) {
        tenantId = (await adminPost(gw.adminUrl, '/admin/tenants', { name: 'crash-budget', budgetUsd: 1000, budgetPeriod: 'day' })).id;
        budgetKey = (await adminPost(gw.adminUrl, `/admin/tenants/${tenantId}/keys`, { name: 'k' })).key!;
      }
      let stop = false;
      const load = Array.from({ length: 12 }, async (_, w) => {
        for (let i = 0; !stop && i < 500; i++) {
          try {
            const r = await request(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${w % 2 ? budgetKey : KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm', stream: (w + i) % 2 === 0, messages: [{ role: 'user', content: `crash ${round} ${w} ${i}` }] }) });
            await r.body.text();
            if (r.statusCode === 200) served++;
          } catch {
            // The gateway died under us: that is the point.
          }
        }
      });
      await new Promise((r) => setTimeout(r, 400 + random() * 800));
      gw.proc.kill('SIGKILL');
      stop = true;
      await Promise.all(load);
      await new Promise<void>((r) => (gw.proc.exitCode !== null || gw.proc.signalCode !== null ? r() : gw.proc.once('exit', () => r())));
    }
    // A last start runs recovery, then we stop it cleanly.
    const last = await startGatewayProcess(config);
    const recoveryLog = last.logs();
    last.proc.kill('SIGTERM');
    await new Promise<void>((r) => last.proc.once('exit', () => r()));
    // Every attempt the emulator saw has ended (the gateway's sockets died with it).
    for (let i = 0; i < 100 && estate.engine.attempts().some((a) => a.endedAt === undefined); i++) await new Promise((r) => setTimeout(r, 20));

    const store = await openLedger(`sqlite:${db}`);
    const rows = await store.listAttempts({ limit: 10_000 });
    const today = new Date();
    const budget = await store.budgetUsage(`tenant:${tenantId}`, Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate()));
    await store.close();
    // Every reservation is settled or released: nothing stays reserved after recovery, and what
    // is booked covers at least what the ledger says the tenant's attempts cost.
    const tenantCost = rows.filter((r) => r.tenantId === tenantId).reduce((s, r) => s + (r.effectiveCostUsd ?? 0), 0);
    expect(tenantCost).toBeGreaterThan(0);
    expect(budget.reservedUsd).toBe(0);
    expect(budget.spentUsd).toBeGreaterThanOrEqual(tenantCost - 1e-6);
    expect(recoveryLog).toContain('released budget reservations of requests from a previous run');
    const emulated = estate.engine.attempts();
    expect(served).toBeGreaterThan(5);
    expect(emulated.length).toBeGreaterThan(10);

    const { orphans, okRows, okEmulated } = expectLedgerMatchesEmulator(rows, emulated);
    // Several kills mid-load: some of them cut attempts in flight, which recovery flagged.
    expect(orphans.length).toBeGreaterThan(0);
    console.log(JSON.stringify({ served, emulatorAttempts: emulated.length, ledgerRows: rows.length, orphans: orphans.length, okRows, okEmulated, budget: { ...budget, tenantCost } }));
  }, 90_000);
});
