// Pools, failover before the first byte, honest streams, real-time streaming, client
// disconnects and request ids — asserted both at the client and in the emulators' logs.

import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AttemptRecord } from '../src/emulators/core/types.js';
import { DEPLOYMENTS, KEYS, startHarness, type Harness } from './support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.close());
afterEach(() => {
  for (const d of Object.values(DEPLOYMENTS)) {
    h.estate.engine.setFaults(d.provider, d.name, []);
    h.estate.engine.patchDeployment(d.provider, d.name, { tokensPerSec: 0, ttftMs: 0 });
  }
  h.estate.engine.clearAttempts();
  h.gateway.health.reset();
  h.gateway.throttle.reset();
});

const fault = (id: string, f: Parameters<Harness['estate']['engine']['setFaults']>[2]): void => {
  const d = DEPLOYMENTS[id]!;
  h.estate.engine.setFaults(d.provider, d.name, f);
};

async function post(body: unknown, headers: Record<string, string> = {}, signal?: AbortSignal) {
  return request(`${h.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', authorization: `Bearer ${KEYS.client}`, ...headers }, ...(signal ? { signal } : {}) });
}
const msgs = [{ role: 'user', content: 'Tell the platform team something' }];

function attemptEnded(pred: (r: AttemptRecord) => boolean): Promise<AttemptRecord> {
  return new Promise((resolve) => {
    const on = (r: AttemptRecord): void => {
      if (!pred(r)) return;
      h.estate.engine.off('attempt-end', on);
      resolve(r);
    };
    h.estate.engine.on('attempt-end', on);
  });
}

describe('pools and failover', () => {
  it('spreads a pool over its deployments', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const r = await post({ model: 'frontier', messages: msgs });
      seen.add(String(r.headers['x-treaty-deployment']));
      await r.body.dump();
    }
    expect(seen).toEqual(new Set(['az-ptu', 'az-std', 'br-a']));
  });

  it('fails over to another deployment on a retryable error, and the headers say so', async () => {
    fault('az-ptu', [{ fault: 'server_error' }]);
    fault('az-std', [{ fault: 'unavailable' }]);
    let headerAttempts = 0;
    for (let i = 0; i < 10; i++) {
      const r = await post({ model: 'frontier', messages: msgs });
      expect(r.statusCode).toBe(200);
      expect(r.headers['x-treaty-deployment']).toBe('br-a');
      headerAttempts += Number(r.headers['x-treaty-attempts']);
      await r.body.dump();
    }
    // Every attempt the headers report reached an emulator, and no deployment was tried twice per request.
    const all = h.estate.engine.attempts();
    expect(all).toHaveLength(headerAttempts);
    expect(h.attempts('br-a')).toHaveLength(10);
  });

  it('fails over a stream whose 200 opens with an error, before the client sees a byte', async () => {
    fault('az-ptu', [{ fault: 'stream_error', tokens: 0 }]);
    fault('az-std', [{ fault: 'malformed_first' }]);
    for (let i = 0; i < 5; i++) {
      const r = await post({ model: 'frontier', messages: msgs, stream: true });
      expect(r.statusCode).toBe(200);
      expect(r.headers['x-treaty-deployment']).toBe('br-a');
      const text = await r.body.text();
      expect(text).toContain('data: [DONE]');
      expect(text).not.toContain('"error"');
    }
  });

  it('does not retry a request the upstream rejects as too long; answers 400 context_length_exceeded', async () => {
    fault('vllm', [{ fault: 'context_length' }]);
    const r = await post({ model: 'only-vllm', messages: msgs });
    expect(r.statusCode).toBe(400);
    const body = (await r.body.json()) as { error: { code: string } };
    expect(body.error.code).toBe('context_length_exceeded');
    expect(h.attempts('vllm')).toHaveLength(1);
  });

  it('answers 429 with Retry-After when every deployment is rate limited', async () => {
    fault('vllm', [{ fault: 'rate_limit', ms: 3000 }]);
    const r = await post({ model: 'only-vllm', messages: msgs });
    expect(r.statusCode).toBe(429);
    expect(Number(r.headers['retry-after'])).toBe(3);
    await r.body.dump();
  });
});

describe('streams tell the truth', () => {
  it('a stream cut after the first bytes ends with an error event, no [DONE], no finish_reason', async () => {
    fault('vllm', [{ fault: 'cut_after', tokens: 3 }]);
    const r = await post({ model: 'only-vllm', messages: msgs, stream: true });
    expect(r.statusCode).toBe(200);
    const text = await r.body.text();
    expect(text).toContain('"content"');
    expect(text).toMatch(/data: \{"error":\{"message":"The upstream stream failed/);
    expect(text).not.toContain('[DONE]');
    expect(text).not.toContain('"finish_reason":"stop"');
  });

  it('a Bedrock exception frame mid-stream ends the same way', async () => {
    fault('br-a', [{ fault: 'stream_error', tokens: 2 }]);
    const r = await post({ model: 'only-bedrock', messages: msgs, stream: true });
    const text = await r.body.text();
    expect(text).toMatch(/"error":\{/);
    expect(text).not.toContain('[DONE]');
  });

  it('a complete stream without [DONE] is still a clean answer', async () => {
    fault('vllm', [{ fault: 'no_done' }]);
    const r = await post({ model: 'only-vllm', messages: msgs, stream: true, stream_options: { include_usage: true } });
    const text = await r.body.text();
    expect(text).toContain('"finish_reason":"stop"');
    expect(text).toContain('"usage":{');
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
  });

  it('delivers the first token while the upstream is still generating', async () => {
    const d = DEPLOYMENTS.vllm!;
    h.estate.engine.patchDeployment(d.provider, d.name, { tokensPerSec: 20 });
    const r = await post({ model: 'only-vllm', messages: msgs, stream: true });
    for await (const chunk of r.body) {
      if (String(chunk).includes('"content"')) break;
    }
    const [rec] = h.attempts('vllm');
    expect(rec!.outcome).toBeUndefined(); // the emulator has not finished generating
    r.body.destroy();
  });

  it('a client that disconnects mid-stream aborts the upstream call within a second', async () => {
    const d = DEPLOYMENTS.vllm!;
    h.estate.engine.patchDeployment(d.provider, d.name, { tokensPerSec: 10 });
    const ended = attemptEnded((r) => r.deployment === d.name);
    const r = await post({ model: 'only-vllm', messages: msgs, stream: true });
    for await (const chunk of r.body) {
      if (String(chunk).includes('"content"')) break;
    }
    const t0 = Date.now();
    r.body.destroy();
    const rec = await ended;
    expect(rec.outcome).toBe('aborted');
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('a client that disconnects while waiting for a non-streamed answer aborts the upstream too', async () => {
    const d = DEPLOYMENTS.vllm!;
    h.estate.engine.patchDeployment(d.provider, d.name, { ttftMs: 5000 });
    const ended = attemptEnded((r) => r.deployment === d.name);
    const ac = new AbortController();
    const pending = post({ model: 'only-vllm', messages: msgs }, {}, ac.signal).catch(() => undefined);
    // Abort as soon as the emulator has the request (it logs it at arrival).
    await new Promise<void>((resolve) => {
      const tick = (): void => (h.attempts('vllm').length ? resolve() : void setImmediate(tick));
      tick();
    });
    const t0 = Date.now();
    ac.abort();
    await pending;
    const rec = await ended;
    expect(rec.outcome).toBe('aborted');
    expect(Date.now() - t0).toBeLessThan(1000);
  });
});

describe('request ids and secrets', () => {
  it('echoes a client x-request-id and records it beside its own id, which goes upstream and keys the ledger', async () => {
    const before = Date.now();
    const r = await post({ model: 'only-vllm', messages: msgs }, { 'x-request-id': 'req-abc-123' });
    await r.body.dump();
    expect(r.headers['x-request-id']).toBe('req-abc-123');
    const own = String(r.headers['x-treaty-request-id']);
    // A version-7 UUID whose time prefix is now: unique per request, time-ordered.
    expect(own).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(own.replace(/-/g, '').slice(0, 12), 16)).toBeGreaterThanOrEqual(before);
    expect(h.attempts('vllm').at(-1)!.requestId).toBe(own);
    await new Promise((res) => setTimeout(res, 50));
    const [row] = await h.gateway.ledger.listAttempts({ requestId: own });
    expect(row!.clientRequestId).toBe('req-abc-123');
  });

  it('a client reusing its x-request-id gets a new request, recorded in full each time', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const r = await post({ model: 'only-vllm', messages: msgs }, { 'x-request-id': 'reused-id-1' });
      await r.body.dump();
      expect(r.statusCode).toBe(200);
      ids.push(String(r.headers['x-treaty-request-id']));
    }
    expect(ids[0]).not.toBe(ids[1]);
    await new Promise((res) => setTimeout(res, 50));
    const rows = await h.gateway.ledger.listAttempts({ clientRequestId: 'reused-id-1' });
    expect(rows.map((x) => [x.requestId, x.status])).toEqual(ids.sort().map((id) => [id, 'ok']));
  });

  it('generates a request id when the client sends none or a bad one', async () => {
    const r = await post({ model: 'only-vllm', messages: msgs }, { 'x-request-id': 'bad id with spaces' });
    expect(r.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.headers['x-request-id']).toBe(r.headers['x-treaty-request-id']);
    await r.body.dump();
  });

  it('never writes a secret into a log line or an error body', async () => {
    // Provoke auth failures upstream (our credentials "wrong") and downstream.
    fault('vllm', [{ fault: 'auth' }]);
    const a = await post({ model: 'only-vllm', messages: msgs });
    const bodyA = await a.body.text();
    const b = await post({ model: 'frontier', messages: msgs }, { authorization: `Bearer ${KEYS.client}x` });
    const bodyB = await b.body.text();
    const everything = [...h.logs, bodyA, bodyB].join('\n');
    for (const secret of Object.values(KEYS)) expect(everything).not.toContain(secret);
    expect(h.logs.length).toBeGreaterThan(5);
    for (const line of h.logs) expect(() => JSON.parse(line)).not.toThrow();
  });
});
