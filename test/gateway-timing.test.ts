// The in-gateway time header: every served answer says how long Treaty itself held it
// (Server-Timing `gateway`) apart from the wait on upstreams (`upstream`).

import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOYMENTS, KEYS, startHarness, type Harness } from './support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.close());

function timing(v: string | string[] | undefined): { gateway: number; upstream: number } {
  const text = String(v);
  const dur = (name: string): number => Number(new RegExp(`${name};dur=([\\d.]+)`).exec(text)?.[1]);
  return { gateway: dur('gateway'), upstream: dur('upstream') };
}

async function post(body: unknown) {
  const r = await request(`${h.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', authorization: `Bearer ${KEYS.client}` } });
  const text = await r.body.text();
  return { status: r.statusCode, headers: r.headers, text };
}

describe('Server-Timing: time in the gateway apart from the upstream', () => {
  const slow = DEPLOYMENTS.vllm!;
  beforeAll(() => h.estate.engine.patchDeployment(slow.provider, slow.name, { ttftMs: 120 }));
  afterAll(() => h.estate.engine.patchDeployment(slow.provider, slow.name, { ttftMs: 0 }));

  it('puts a slow upstream under upstream, not under gateway (non-streamed)', async () => {
    const r = await post({ model: 'only-vllm', messages: [{ role: 'user', content: 'hi' }] });
    expect(r.status).toBe(200);
    const t = timing(r.headers['server-timing']);
    expect(String(r.headers['server-timing'])).toMatch(/^gateway;dur=/);
    expect(t.upstream).toBeGreaterThanOrEqual(100);
    expect(t.gateway).toBeGreaterThanOrEqual(0);
    expect(t.gateway).toBeLessThan(100);
  });

  it('sends it with the head of a stream, counting the upstream up to the first token', async () => {
    const r = await post({ model: 'only-vllm', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    expect(r.text).toContain('[DONE]');
    const t = timing(r.headers['server-timing']);
    expect(t.upstream).toBeGreaterThanOrEqual(100);
    expect(t.gateway).toBeLessThan(100);
  });
});
