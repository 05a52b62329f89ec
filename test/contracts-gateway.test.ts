// The contracts at work in the gateway: exclusivity and residency filters at every hop (also
// while faults force fail-overs), exceptions exactly when a clause allows them, decisions on
// every response and in the ledger, and reload without a restart.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOYMENTS, KEYS, startHarness, type Harness } from './support/harness.js';

const CONTRACTS = (extra = '') => `contracts:
  parties:
    - { id: partner, name: Partner, accounts: [azure-partner] }
    - { id: commit, name: Commit, accounts: [aws-commit] }
  trafficClasses:
    - { id: eu, match: { tags: [eu] } }
  agreements:
    - id: partner-msa
      party: partner
      term: { start: 2024-01-01, end: 2030-12-31 }
      clauses:
        - { id: excl-closed, type: exclusivity, models: [only-azure], window: { start: 2024-01-01, end: 2030-12-31 }, onUnavailable: fail-closed }
        - { id: excl-open, type: exclusivity, models: [frontier], window: { start: 2024-01-01, end: 2030-12-31 }, onUnavailable: serve-elsewhere }
${extra}    - id: dpa
      party: partner
      term: { start: 2024-01-01, end: 2030-12-31 }
      clauses:
        - { id: eu-res, type: residency, class: eu, regions: [eastus], onUnavailable: fail-closed }
`;

let h: Harness;
let file: string;
beforeAll(async () => {
  file = join(mkdtempSync(join(tmpdir(), 'treaty-contracts-')), 'contracts.yaml');
  writeFileSync(file, CONTRACTS());
  h = await startHarness({
    contractsFile: file,
    resilienceYaml: '  backoffBaseMs: 1\n  backoffMaxMs: 2\n  consecutiveFailures: 1000\n  throttleK: 0',
    modelsYaml: `  - { name: frontier, deployments: [az-ptu, br-a] }
  - { name: only-azure, deployments: [az-ptu, br-a] }
  - { name: global, deployments: [az-ptu, br-a] }`,
  });
});
afterAll(async () => h?.close());
afterEach(() => {
  for (const d of Object.values(DEPLOYMENTS)) h.estate.engine.setFaults(d.provider, d.name, []);
  h.gateway.health.reset();
});

async function chat(model: string, headers: Record<string, string> = {}) {
  const r = await request(`${h.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model, messages: [{ role: 'user', content: 'contract test' }] }), headers: { authorization: `Bearer ${KEYS.client}`, 'content-type': 'application/json', ...headers } });
  return { status: r.statusCode, headers: r.headers, body: await r.body.text() };
}
async function admin(method: 'GET' | 'POST', path: string) {
  const r = await request(`${h.gateway.adminUrl}${path}`, { method, headers: { authorization: `Bearer ${KEYS.admin}` } });
  return { status: r.statusCode, body: JSON.parse(await r.body.text()) as Record<string, unknown> };
}
const fault = (id: string, f: Parameters<Harness['estate']['engine']['setFaults']>[2]): void => {
  const d = DEPLOYMENTS[id]!;
  h.estate.engine.setFaults(d.provider, d.name, f);
};

describe('exclusivity', () => {
  it('keeps an exclusive model on the partner, with the decision on every response', async () => {
    for (let i = 0; i < 20; i++) {
      const r = await chat('only-azure');
      expect(r.status).toBe(200);
      expect(r.headers['x-treaty-deployment']).toBe('az-ptu');
      expect(String(r.headers['x-treaty-decision'])).toMatch(/filtered=partner-msa\/excl-closed:br-a/);
    }
  });

  it('fail-closed: with the partner failing, requests fail rather than break the clause — zero violations', async () => {
    fault('az-ptu', [{ fault: 'server_error' }]);
    for (let i = 0; i < 10; i++) {
      const r = await chat('only-azure');
      expect(r.status).toBeGreaterThanOrEqual(400);
    }
    expect(h.attempts('br-a').filter((a) => a.requestId && a.startedAt > Date.now() - 10_000)).toHaveLength(0);
  });

  it('serve-elsewhere: with the partner out, serves on the other cloud and records an exception each time', async () => {
    fault('az-ptu', [{ fault: 'server_error' }]);
    const before = ((await admin('GET', '/admin/reports/exceptions')).body.exceptions as unknown[]).length;
    // The first attempt fails on the partner (still "available"), the retry is offside → exception.
    const served: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await chat('frontier');
      expect(r.status).toBe(200);
      served.push(String(r.headers['x-treaty-deployment']));
    }
    expect(served.every((d) => d === 'br-a')).toBe(true);
    await new Promise((r) => setTimeout(r, 50));
    const ex = (await admin('GET', '/admin/reports/exceptions')).body.exceptions as { clauseId: string; deploymentId: string }[];
    expect(ex.length - before).toBe(5);
    expect(ex.every((e) => e.clauseId === 'partner-msa/excl-open' && e.deploymentId === 'br-a')).toBe(true);
  });

  it('no exception is recorded when the compliant deployment serves', async () => {
    const before = ((await admin('GET', '/admin/reports/exceptions')).body.exceptions as unknown[]).length;
    for (let i = 0; i < 5; i++) expect((await chat('frontier')).headers['x-treaty-deployment']).toBe('az-ptu');
    await new Promise((r) => setTimeout(r, 50));
    expect(((await admin('GET', '/admin/reports/exceptions')).body.exceptions as unknown[]).length).toBe(before);
  });
});

describe('decisions in the ledger', () => {
  it('stores the full decision and the contract version with every attempt', async () => {
    const r = await chat('only-azure', { 'x-request-id': 'decision-1' });
    await new Promise((r) => setTimeout(r, 50));
    const page = await admin('GET', `/admin/requests/${r.headers['x-treaty-request-id']}`);
    const [a] = page.body.attempts as { decision: { candidates: unknown[]; filtered: { clauseId: string }[]; version: string }; contractVersion: string }[];
    expect(a!.contractVersion).toBe(h.gateway.contracts.get()!.compiled.version);
    expect(a!.decision.filtered.map((f) => f.clauseId)).toContain('partner-msa/excl-closed');
    expect(a!.decision.candidates.length).toBeGreaterThan(0);
  });
});

describe('reload without a restart', () => {
  it('rejects an invalid new version and keeps the old one; a valid one takes effect', async () => {
    const v1 = h.gateway.contracts.get()!.compiled.version;
    writeFileSync(file, 'contracts:\n  parties: [ { id: x, nmae: y } ]\n');
    const bad = await admin('POST', '/admin/contracts/reload');
    expect(bad.status).toBe(400);
    expect(String((bad.body.error as { message: string }).message)).toMatch(/old version stays in force.*contracts\.yaml:2:\d+/);
    expect(h.gateway.contracts.get()!.compiled.version).toBe(v1);
    expect((await chat('only-azure')).headers['x-treaty-deployment']).toBe('az-ptu');

    writeFileSync(file, CONTRACTS().replace(/ {8}- \{ id: excl-closed.*\n/, ''));
    const good = await admin('POST', '/admin/contracts/reload');
    expect(good.status).toBe(200);
    expect(good.body.version).not.toBe(v1);
    const served = new Set<string>();
    for (let i = 0; i < 20; i++) served.add(String((await chat('only-azure')).headers['x-treaty-deployment']));
    expect(served.has('br-a')).toBe(true);
    writeFileSync(file, CONTRACTS());
    await admin('POST', '/admin/contracts/reload');
  });

  it('a request in flight during a reload finishes under the version it started with', async () => {
    const v1 = h.gateway.contracts.get()!.compiled.version;
    const d = DEPLOYMENTS['az-ptu']!;
    // Slow, then failing: the retry happens after the reload, and must still use v1.
    h.estate.engine.setFaults(d.provider, d.name, [{ fault: 'slow_first_token', ms: 300, count: 1 }]);
    const pending = chat('only-azure', { 'x-request-id': 'pinned-1' });
    await new Promise((r) => setTimeout(r, 100));
    writeFileSync(file, CONTRACTS().replace('excl-open', 'excl-open-renamed'));
    expect((await admin('POST', '/admin/contracts/reload')).body.version).not.toBe(v1);
    expect((await pending).status).toBe(200);
    await new Promise((r) => setTimeout(r, 50));
    const rows = await h.gateway.ledger.listAttempts({ clientRequestId: 'pinned-1' });
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(r.contractVersion).toBe(v1);
    const after = await chat('only-azure', { 'x-request-id': 'pinned-2' });
    expect(after.status).toBe(200);
    await new Promise((r) => setTimeout(r, 50));
    const [row2] = await h.gateway.ledger.listAttempts({ clientRequestId: 'pinned-2' });
    expect(row2!.contractVersion).not.toBe(v1);
    writeFileSync(file, CONTRACTS());
    await admin('POST', '/admin/contracts/reload');
  });

  it('GET /admin/contracts shows the agreements with their clauses and the checker findings', async () => {
    const r = await admin('GET', '/admin/contracts');
    expect(r.status).toBe(200);
    const agreements = r.body.agreements as { id: string; clauses: { id: string; inForce: boolean }[] }[];
    expect(agreements.map((a) => a.id)).toEqual(['partner-msa', 'dpa']);
    expect(agreements[0]!.clauses.every((c) => c.inForce)).toBe(true);
    expect(Array.isArray(r.body.findings)).toBe(true);
  });
});

describe('invoice reconciliation over the admin API', () => {
  it('answers per account and day with the attempts\' cost, and refuses a bad window with a 400 naming it', async () => {
    // The attempt's begin is in the ledger before its upstream call: counted however late its finish lands.
    await chat('frontier');
    const ok = await admin('GET', '/admin/reports/reconcile?days=2');
    expect(ok.status).toBe(200);
    const days = ok.body.days as { account: string; attempts: number; usageUsd: number; reservationFeesUsd: number; invoiceUsd: number }[];
    expect(days.reduce((n, d) => n + d.attempts, 0)).toBeGreaterThan(0);
    for (const d of days) expect(d.invoiceUsd).toBeCloseTo(d.usageUsd + d.reservationFeesUsd, 9);
    const bad = await admin('GET', '/admin/reports/reconcile?days=0');
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toMatch(/days/);
  });
});
