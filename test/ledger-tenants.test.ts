// The ledger through the gateway: one row per upstream attempt matching the emulators' logs,
// exact usage (reported, or estimated and flagged), tenants and keys through the admin API,
// limits and budgets under concurrency, and Idempotency-Key.

import OpenAI from 'openai';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOYMENTS, KEYS, startHarness, type Harness } from './support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ resilienceYaml: '  backoffBaseMs: 1\n  backoffMaxMs: 2\n  consecutiveFailures: 1000\n  throttleK: 0' });
});
afterAll(async () => h?.close());

// Admin answers are JSON documents whose shape each test reads directly.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

async function admin(method: string, path: string, body?: unknown, key = KEYS.admin): Promise<{ status: number; body: Json }> {
  const r = await request(`${h.gateway.adminUrl}${path}`, { method: method as 'GET', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await r.body.text();
  return { status: r.statusCode, body: text.startsWith('{') ? (JSON.parse(text) as Json) : text };
}

async function chat(key: string, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const r = await request(`${h.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ messages: [{ role: 'user', content: 'ledger test' }], ...body }), headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers } });
  return { status: r.statusCode, headers: r.headers, text: await r.body.text() };
}

const fault = (id: string, f: Parameters<Harness['estate']['engine']['setFaults']>[2]): void => {
  const d = DEPLOYMENTS[id]!;
  h.estate.engine.setFaults(d.provider, d.name, f);
};

async function settledRows() {
  // Final writes are acknowledged off the request path; wait until none is 'started'.
  for (let i = 0; i < 200; i++) {
    const rows = await h.gateway.ledger.listAttempts({ limit: 10_000 });
    if (rows.every((r) => r.status !== 'started')) return rows;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('ledger rows still started');
}

describe('one ledger row per upstream attempt', () => {
  it('matches the emulators\' attempt logs one for one, through failovers and faults', async () => {
    h.estate.engine.clearAttempts();
    const before = (await settledRows()).length;
    fault('az-ptu', [{ fault: 'server_error', count: 4 }]);
    fault('br-a', [{ fault: 'cut_after', tokens: 2, count: 3 }]);
    for (let i = 0; i < 30; i++) await chat(KEYS.client, { model: 'frontier', stream: i % 2 === 0 });
    fault('az-ptu', []);
    fault('br-a', []);
    const rows = (await settledRows()).slice(before);
    const emulated = h.estate.engine.attempts();
    expect(rows).toHaveLength(emulated.length);
    const byReq = (xs: { requestId?: string }[]) => xs.map((x) => x.requestId).sort();
    expect(byReq(rows)).toEqual(byReq(emulated));
    // Unique (request, attempt).
    expect(new Set(rows.map((r) => `${r.requestId}#${r.attemptNo}`)).size).toBe(rows.length);
    expect(rows.filter((r) => r.status === 'failed').length).toBeGreaterThanOrEqual(4);
    expect(rows.filter((r) => r.status !== 'ok').length).toBeGreaterThanOrEqual(5);
  });

  it('records reported usage for a stream whose client did not ask for it', async () => {
    const r = await chat(KEYS.client, { model: 'only-bedrock', stream: true }, { 'x-request-id': 'usage-hidden-1' });
    expect(r.text).not.toContain('"usage"');
    const [row] = await h.gateway.ledger.listAttempts({ clientRequestId: 'usage-hidden-1' });
    await settledRows();
    const [done] = await h.gateway.ledger.listAttempts({ clientRequestId: 'usage-hidden-1' });
    expect(row).toBeDefined();
    expect(done).toMatchObject({ status: 'ok', usageSource: 'reported' });
    expect(done!.completionTokens).toBeGreaterThan(0);
  });

  it('estimates and flags the usage of a stream cut before its usage arrived — never zero', async () => {
    fault('vllm', [{ fault: 'cut_after', tokens: 3 }]);
    await chat(KEYS.client, { model: 'only-vllm', stream: true }, { 'x-request-id': 'cut-usage-1' });
    fault('vllm', []);
    await settledRows();
    const [row] = await h.gateway.ledger.listAttempts({ clientRequestId: 'cut-usage-1' });
    expect(row).toMatchObject({ status: 'interrupted', usageSource: 'estimated' });
    expect(row!.promptTokens).toBeGreaterThan(0);
    expect(row!.completionTokens).toBeGreaterThanOrEqual(3);
  });

  it('leaves usage unknown (null) for an attempt the upstream refused', async () => {
    fault('vllm', [{ fault: 'server_error', count: 1 }]);
    await chat(KEYS.client, { model: 'only-vllm' }, { 'x-request-id': 'refused-1' });
    await settledRows();
    const rows = await h.gateway.ledger.listAttempts({ clientRequestId: 'refused-1' });
    expect(rows[0]).toMatchObject({ status: 'failed', httpStatus: 500, promptTokens: null, usageSource: null, effectiveCostUsd: null });
    expect(rows[1]).toMatchObject({ status: 'ok', usageSource: 'reported' });
  });
});

describe('tenants and virtual keys', () => {
  it('creates a key shown once, stores only its hash, and revokes it at once', async () => {
    const t = await admin('POST', '/admin/tenants', { name: 'Acme', allowedModels: ['only-vllm', 'frontier'] });
    expect(t.status).toBe(201);
    const k = await admin('POST', `/admin/tenants/${t.body.id}/keys`, { name: 'ci' });
    expect(k.status).toBe(201);
    const secret = k.body.key as string;
    expect(secret).toMatch(/^tr-/);
    const list = await admin('GET', `/admin/tenants/${t.body.id}/keys`);
    expect(JSON.stringify(list.body)).not.toContain(secret);
    expect(list.body.keys[0].prefix).toBe(secret.slice(0, 8));

    const client = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: secret, maxRetries: 0 });
    const ok = await client.chat.completions.create({ model: 'only-vllm', messages: [{ role: 'user', content: 'hi' }] });
    expect(ok.choices[0]!.message.content).toBeTruthy();
    const denied = await client.chat.completions.create({ model: 'only-bedrock', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect((await client.models.list()).data.map((m) => m.id).sort()).toEqual(['frontier', 'only-vllm']);

    expect((await admin('POST', `/admin/tenants/${t.body.id}/keys/${k.body.id}/revoke`)).status).toBe(200);
    const after = await client.chat.completions.create({ model: 'only-vllm', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(after).toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it('scopes keys by tenant: another tenant\'s key id is a 404; a tenant key gets 403 on admin routes', async () => {
    const a = await admin('POST', '/admin/tenants', { name: 'A' });
    const b = await admin('POST', '/admin/tenants', { name: 'B' });
    const ka = await admin('POST', `/admin/tenants/${a.body.id}/keys`, { name: 'a-key' });
    expect((await admin('GET', `/admin/tenants/${b.body.id}/keys/${ka.body.id}`)).status).toBe(404);
    expect((await admin('POST', `/admin/tenants/${b.body.id}/keys/${ka.body.id}/revoke`)).status).toBe(404);
    expect((await admin('GET', `/admin/tenants/${a.body.id}/keys/${ka.body.id}`)).status).toBe(200);
    expect((await admin('GET', '/admin/tenants', undefined, ka.body.key)).status).toBe(403);
  });

  it('rejects bad admin input with a 400 that names the field', async () => {
    const r = await admin('POST', '/admin/tenants', { name: 'X', budgetUsd: -1 });
    expect(r.status).toBe(400);
    expect(r.body.error.param).toBe('budgetUsd');
    expect((await admin('POST', '/admin/tenants', { name: 'X', apiBase: 'http://evil' })).status).toBe(400);
    // A fractional page size once reached the store and came back as a 500.
    for (const q of ['limit=1.5', 'offset=0.5', 'limit=-1', 'from=soon']) {
      const l = await admin('GET', `/admin/requests?${q}`);
      expect(l.status, q).toBe(400);
      expect(l.body.error.param).toBe(q.split('=')[0]);
    }
  });
});

describe('limits and budgets under concurrency', () => {
  it('a 10 RPM key admits exactly 10 of 50 concurrent requests; the rest get 429 with Retry-After', async () => {
    const t = await admin('POST', '/admin/tenants', { name: 'rpm' });
    const k = await admin('POST', `/admin/tenants/${t.body.id}/keys`, { name: 'k', rpm: 10 });
    const rs = await Promise.all(Array.from({ length: 50 }, () => chat(k.body.key, { model: 'only-vllm' })));
    expect(rs.filter((r) => r.status === 200)).toHaveLength(10);
    const limited = rs.filter((r) => r.status === 429);
    expect(limited).toHaveLength(40);
    expect(Number(limited[0]!.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('a $0.05 budget is never overshot by 200 concurrent requests (G17)', async () => {
    const t = await admin('POST', '/admin/tenants', { name: 'budget', budgetUsd: 0.05, budgetPeriod: 'day' });
    const k = await admin('POST', `/admin/tenants/${t.body.id}/keys`, { name: 'k' });
    // frontier's priciest deployment costs ~$0.0005 worst case at 50 max tokens → ~100 fit.
    const rs = await Promise.all(Array.from({ length: 200 }, () => chat(k.body.key, { model: 'only-vllm', max_tokens: 50 })));
    const ok = rs.filter((r) => r.status === 200).length;
    const refused = rs.filter((r) => r.status === 429);
    expect(ok).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0);
    expect(JSON.parse(refused[0]!.text).error.code).toBe('insufficient_quota');
    await settledRows();
    const tenant = await admin('GET', `/admin/tenants/${t.body.id}`);
    expect(tenant.body.usage.reservedUsd).toBeCloseTo(0, 10);
    expect(tenant.body.usage.spentUsd).toBeLessThanOrEqual(0.05);
    const rows = await h.gateway.ledger.listAttempts({ tenantId: t.body.id, limit: 1000 });
    const spent = rows.reduce((s, r) => s + (r.effectiveCostUsd ?? 0), 0);
    expect(spent).toBeLessThanOrEqual(0.05);
  });
});

describe('Idempotency-Key (G19)', () => {
  it('replays a completed request without a second upstream call, 422 on a different body, 409 while in flight', async () => {
    const d = DEPLOYMENTS.vllm!;
    h.estate.engine.clearAttempts();
    const first = await chat(KEYS.client, { model: 'only-vllm' }, { 'idempotency-key': 'idem-1' });
    const again = await chat(KEYS.client, { model: 'only-vllm' }, { 'idempotency-key': 'idem-1' });
    expect(again.status).toBe(200);
    expect(again.text).toBe(first.text);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(h.estate.engine.attempts({ provider: d.provider, deployment: d.name })).toHaveLength(1);
    const other = await chat(KEYS.client, { model: 'only-vllm', temperature: 0.1 }, { 'idempotency-key': 'idem-1' });
    expect(other.status).toBe(422);

    h.estate.engine.patchDeployment(d.provider, d.name, { ttftMs: 300 });
    const slow = chat(KEYS.client, { model: 'only-vllm' }, { 'idempotency-key': 'idem-2' });
    await new Promise((r) => setTimeout(r, 100));
    const dup = await chat(KEYS.client, { model: 'only-vllm' }, { 'idempotency-key': 'idem-2' });
    expect(dup.status).toBe(409);
    expect((await slow).status).toBe(200);
    h.estate.engine.patchDeployment(d.provider, d.name, { ttftMs: 0 });
  });
});

describe('reports', () => {
  it('spend by account as JSON and CSV agree with the ledger rows', async () => {
    await settledRows();
    const json = await admin('GET', '/admin/reports/spend?by=account');
    const rows = await h.gateway.ledger.listAttempts({ limit: 10_000 });
    const total = rows.reduce((s, r) => s + (r.effectiveCostUsd ?? 0), 0);
    const reported = (json.body.rows as { effectiveCostUsd: number }[]).reduce((s, r) => s + r.effectiveCostUsd, 0);
    expect(reported).toBeCloseTo(total, 9);
    const csv = await admin('GET', '/admin/reports/spend?by=account&format=csv');
    expect(String(csv.body).split('\n')[0]).toBe('day,key,attempts,promptTokens,completionTokens,listCostUsd,effectiveCostUsd,estimatedAttempts,unpricedAttempts');
  });

  it('a request page shows each attempt', async () => {
    const found = await admin('GET', '/admin/requests?clientRequestId=refused-1');
    const r = await admin('GET', `/admin/requests/${found.body.rows[0].requestId}`);
    expect(r.body.attempts).toHaveLength(2);
    expect((await admin('GET', '/admin/requests/nope')).status).toBe(404);
  });
});
