// The admin API's estate view, and who may see it.

import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOYMENTS, KEYS, startHarness, type Harness } from './support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ resilienceYaml: '  consecutiveFailures: 2\n  maxEjectionPercent: 100\n  backoffBaseMs: 1\n  backoffMaxMs: 2' });
});
afterAll(async () => h?.close());

async function admin(path: string, key: string = KEYS.admin, method: 'GET' | 'POST' = 'GET') {
  const r = await request(`${h.gateway.adminUrl}${path}`, { method, headers: key ? { authorization: `Bearer ${key}` } : {} });
  return { status: r.statusCode, body: (await r.body.json()) as Record<string, unknown> };
}

describe('admin API: access', () => {
  it('listens on loopback only', () => {
    expect(h.gateway.adminUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });
  it('needs the admin key: none → 401, a tenant key → 403', async () => {
    expect((await admin('/admin/estate', '')).status).toBe(401);
    expect((await admin('/admin/estate', KEYS.client)).status).toBe(403);
  });
  it('unknown routes are 404, OpenAI-shaped', async () => {
    const r = await admin('/admin/nope');
    expect(r.status).toBe(404);
    expect(r.body).toHaveProperty('error.message');
  });
});

describe('admin API: estate', () => {
  it('lists every deployment with cloud, region, pools and live state, and no credentials', async () => {
    const r = await admin('/admin/estate');
    expect(r.status).toBe(200);
    const deps = r.body.deployments as Record<string, unknown>[];
    expect(deps.map((d) => d.id)).toEqual(Object.keys(DEPLOYMENTS));
    const br = deps.find((d) => d.id === 'br-a')!;
    expect(br).toMatchObject({ provider: 'bedrock', region: 'us-east-1', state: 'available', pools: expect.arrayContaining(['frontier', 'only-bedrock']) });
    const text = JSON.stringify(r.body);
    for (const secret of Object.values(KEYS)) expect(text).not.toContain(secret);
    expect(text).not.toContain('options');
  });

  it('shows an ejected deployment with why and until when, and puts it back on reset', async () => {
    const d = DEPLOYMENTS.vllm!;
    h.estate.engine.setFaults(d.provider, d.name, [{ fault: 'server_error' }]);
    for (let i = 0; i < 2; i++) {
      const r = await request(`${h.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'only-vllm', messages: [{ role: 'user', content: 'x' }] }), headers: { authorization: `Bearer ${KEYS.client}`, 'content-type': 'application/json' } });
      await r.body.dump();
    }
    const vllm = ((await admin('/admin/estate')).body.deployments as Record<string, unknown>[]).find((x) => x.id === 'vllm')!;
    expect(vllm.state).toBe('ejected');
    expect(vllm.reason).toMatch(/consecutive failures, last: server_error/);
    expect(vllm.until).toBeGreaterThan(Date.now());
    expect(vllm.errorRate).toBeGreaterThan(0);
    expect((await admin('/admin/deployments/vllm/health/reset', KEYS.admin, 'POST')).status).toBe(200);
    const after = ((await admin('/admin/estate')).body.deployments as Record<string, unknown>[]).find((x) => x.id === 'vllm')!;
    expect(after.state).toBe('available');
    h.estate.engine.setFaults(d.provider, d.name, []);
  });

  it('reports an hour of traffic per account and model', async () => {
    const r = await admin('/admin/traffic');
    const minutes = r.body.minutes as { counts: Record<string, number> }[];
    expect(minutes).toHaveLength(60);
    expect(Object.keys(minutes[59]!.counts).length).toBeGreaterThan(0);
  });
});
