// Resilience goals G1–G13, driven by the emulators' fault injection on short timings, and
// asserted both at the client and in the emulators' attempt logs.

import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FaultSpec } from '../src/emulators/core/types.js';
import { DEPLOYMENTS, KEYS, startHarness, type Harness } from './support/harness.js';

const FAST = `  backoffBaseMs: 5
  backoffMaxMs: 20
  rateLimitCooldownMs: 20
  firstTokenTimeoutMs: 400
  idleTimeoutMs: 300
  attemptTimeoutMs: 1500
  consecutiveFailures: 1000
  throttleK: 0`;

const MODELS = `  - { name: a-only, deployments: [az-std] }
  - { name: b-only, deployments: [br-a] }
  - { name: v-only, deployments: [vllm] }
  - { name: ab, deployments: [az-std, br-a] }
  - { name: small, deployments: [vllm], fallbacks: [big] }
  - { name: big, deployments: [br-b], fallbacks: [tiny] }
  - { name: tiny, deployments: [az-ptu] }
  - { name: cont, deployments: [vllm], fallbacks: [cont-b], continueStreams: true }
  - { name: cont-b, deployments: [br-a] }
  - { name: cont-none, deployments: [vllm], fallbacks: [a-only], continueStreams: true }`;

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ resilienceYaml: FAST, modelsYaml: MODELS, contextWindow: { vllm: 1000, 'az-ptu': 1000 } });
});
afterAll(async () => h?.close());
afterEach(() => reset(h));

function reset(x: Harness): void {
  for (const d of Object.values(DEPLOYMENTS)) {
    x.estate.engine.setFaults(d.provider, d.name, []);
    x.estate.engine.patchDeployment(d.provider, d.name, { tokensPerSec: 0, ttftMs: 0 });
  }
  x.estate.engine.clearAttempts();
  x.gateway.health.reset();
  x.gateway.throttle.reset();
}

const fault = (x: Harness, id: string, f: FaultSpec[]): void => {
  const d = DEPLOYMENTS[id]!;
  x.estate.engine.setFaults(d.provider, d.name, f);
};
const patch = (x: Harness, id: string, p: Record<string, number>): void => {
  const d = DEPLOYMENTS[id]!;
  x.estate.engine.patchDeployment(d.provider, d.name, p);
};

async function call(x: Harness, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const t0 = Date.now();
  const r = await request(`${x.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ messages: [{ role: 'user', content: 'resilience please' }], ...body }), headers: { 'content-type': 'application/json', authorization: `Bearer ${KEYS.client}`, ...headers } });
  const text = await r.body.text();
  return { status: r.statusCode, headers: r.headers, text, ms: Date.now() - t0 };
}

describe('G1: classification — retry only what is retryable, on every provider', () => {
  // [fault, stream?, expected client status, attempts the single deployment sees]. An error
  // event at the start of a stream is a server error on OpenAI-shaped clouds and a
  // throttlingException on Bedrock, hence two acceptable statuses.
  const rows: [string, FaultSpec, boolean, number | number[], number][] = [
    ['500', { fault: 'server_error' }, false, 502, 3],
    ['503', { fault: 'unavailable' }, false, 503, 3],
    ['429 with retry hint', { fault: 'rate_limit', ms: 30 }, false, 429, 3],
    ['429 without retry hint', { fault: 'rate_limit_no_retry_after' }, false, 429, 3],
    ['reset before headers', { fault: 'reset' }, false, 502, 3],
    ['error inside a 200 stream', { fault: 'stream_error', tokens: 0 }, true, [502, 429], 3],
    ['malformed first chunk', { fault: 'malformed_first' }, true, 502, 3],
    ['context length exceeded', { fault: 'context_length' }, false, 400, 1],
    ['content filter on the prompt', { fault: 'content_filter' }, false, 400, 1],
    ['our credentials rejected', { fault: 'auth' }, false, 502, 1],
  ];
  for (const [model, id] of [['a-only', 'az-std'], ['b-only', 'br-a'], ['v-only', 'vllm']] as const) {
    it.each(rows)(`${model}: %s`, async (_name, f, stream, status, attempts) => {
      fault(h, id, [f]);
      const r = await call(h, { model, stream });
      expect([status].flat()).toContain(r.status);
      expect(h.attempts(id)).toHaveLength(attempts);
      if (status === 400) expect(JSON.parse(r.text).error.code).toMatch(/context_length_exceeded|content_filter/);
      reset(h);
    });
  }
});

describe('G2: waiting right', () => {
  it('honours retry-after-ms: the same deployment sees no attempt before 1.5 s', async () => {
    fault(h, 'az-std', [{ fault: 'rate_limit', ms: 1500, count: 1 }]);
    const r = await call(h, { model: 'a-only' });
    expect(r.status).toBe(200);
    const [first, second] = h.attempts('az-std');
    expect(second!.startedAt - first!.endedAt!).toBeGreaterThanOrEqual(1490);
  });

  it('with less time left than the wait, fails over to another deployment instead of sleeping', async () => {
    fault(h, 'az-std', [{ fault: 'rate_limit', ms: 1500 }]);
    fault(h, 'br-a', [{ fault: 'server_error', count: 1 }]); // make az-std likely to be tried first at least once
    let servedByB = 0;
    for (let i = 0; i < 6; i++) {
      const r = await call(h, { model: 'ab' }, { 'x-treaty-timeout-ms': '1000' });
      expect(r.status).toBe(200);
      expect(r.ms).toBeLessThan(900);
      if (r.headers['x-treaty-deployment'] === 'br-a') servedByB++;
    }
    expect(servedByB).toBe(6);
    expect(h.attempts('az-std').length).toBeLessThanOrEqual(1);
  });

  it('with only a rate-limited deployment and too little time, answers 429 at once with Retry-After', async () => {
    fault(h, 'az-std', [{ fault: 'rate_limit', ms: 5000 }]);
    const r = await call(h, { model: 'a-only' });
    expect(r.status).toBe(429);
    expect(r.headers['retry-after']).toBe('5');
    expect(r.ms).toBeLessThan(500);
    expect(h.attempts('az-std')).toHaveLength(1);
  });
});

describe('G5/timers: deadlines and the three stream timers', () => {
  it('G9: a 5 s upstream under an 800 ms deadline answers at 800 ms, and the emulator sees the abort', async () => {
    patch(h, 'az-std', { ttftMs: 5000 });
    const r = await call(h, { model: 'a-only' }, { 'x-treaty-timeout-ms': '800' });
    expect(r.status).toBe(504);
    expect(r.ms).toBeGreaterThanOrEqual(780);
    expect(r.ms).toBeLessThan(900);
    await until(() => h.attempts('az-std')[0]?.outcome === 'aborted');
  });

  it('a silent first token fails over to another deployment, and the silent one is not retried', async () => {
    // Make the healthy cloud the slower one, so the balancer prefers the one that will go silent.
    patch(h, 'br-a', { ttftMs: 100 });
    for (let i = 0; i < 3; i++) await call(h, { model: 'b-only' });
    h.estate.engine.clearAttempts();
    fault(h, 'az-std', [{ fault: 'slow_first_token', ms: 5000 }]);
    let failedOver = 0;
    for (let i = 0; i < 4; i++) {
      const r = await call(h, { model: 'ab', stream: true });
      expect(r.status).toBe(200);
      expect(r.text).toContain('[DONE]');
      expect(r.headers['x-treaty-deployment']).toBe('br-a');
      if (r.headers['x-treaty-attempts'] === '2') {
        failedOver++;
        expect(r.ms).toBeGreaterThanOrEqual(390); // the 400 ms first-token limit, then the other cloud
      }
    }
    // The silent deployment was tried at most once per request, never retried within one.
    expect(h.attempts('az-std').length).toBe(failedOver);
    expect(failedOver).toBeGreaterThan(0);
  });

  it('G10: a stall after 3 chunks ends the stream with an error event within the idle timeout, no [DONE]', async () => {
    fault(h, 'vllm', [{ fault: 'stall_after', tokens: 3 }]);
    const r = await call(h, { model: 'v-only', stream: true });
    expect(r.status).toBe(200);
    expect(r.text).toMatch(/"error":\{"message":"The upstream stream failed after the response started \(timeout\)/);
    expect(r.text).not.toContain('[DONE]');
    expect(r.ms).toBeLessThan(800);
    // The emulator saw Treaty hang up on the stalled stream.
    await until(() => h.attempts('vllm')[0]?.outcome === 'stalled');
  });
});

describe('G6/G7/G12: ejection and all-out', () => {
  let e: Harness;
  beforeAll(async () => {
    e = await startHarness({
      resilienceYaml: FAST.replace('consecutiveFailures: 1000', 'consecutiveFailures: 5') + '\n  ejectionBaseMs: 60000\n  maxEjectionPercent: 100',
      modelsYaml: MODELS,
    });
  });
  afterAll(async () => e?.close());
  afterEach(() => reset(e));

  it('G6: five 500s on A eject it; the next 100 requests all go to B', async () => {
    fault(e, 'az-std', [{ fault: 'server_error', count: 5 }]);
    while (e.attempts('az-std').length < 5) expect((await call(e, { model: 'ab' })).status).toBe(200);
    for (let i = 0; i < 100; i++) {
      const r = await call(e, { model: 'ab' });
      expect(r.headers['x-treaty-deployment']).toBe('br-a');
    }
    expect(e.attempts('az-std')).toHaveLength(5);
    expect(e.gateway.health.availability('az-std', Date.now()).state).toBe('ejected');
  });

  it('G7: with every deployment out, a fast 503 with Retry-After', async () => {
    fault(e, 'az-std', [{ fault: 'server_error' }]);
    fault(e, 'br-a', [{ fault: 'server_error' }]);
    for (let i = 0; i < 6; i++) await call(e, { model: 'ab' });
    const r = await call(e, { model: 'ab' });
    expect(r.status).toBe(503);
    expect(Number(r.headers['retry-after'])).toBeGreaterThan(50);
    expect(r.ms).toBeLessThan(50);
    expect(JSON.parse(r.text).error.code).toBe('no_deployment_available');
  });

  it('G12: cuts mid-stream reach the client as errors and count toward ejection', async () => {
    fault(e, 'vllm', [{ fault: 'cut_after', tokens: 2 }]);
    for (let i = 0; i < 5; i++) {
      const r = await call(e, { model: 'v-only', stream: true });
      expect(r.text).toMatch(/"error":\{/);
      expect(r.text).not.toContain('[DONE]');
    }
    expect(e.gateway.health.availability('vllm', Date.now()).state).toBe('ejected');
  });
});

describe('G8/G13: compatible fallbacks, and errors at the start of a 200', () => {
  it('G8: an over-long prompt skips the small-context pool and is served by its larger fallback', async () => {
    const long = 'word '.repeat(1200);
    const r = await call(h, { model: 'small', messages: [{ role: 'user', content: long }] });
    expect(r.status).toBe(200);
    expect(r.headers['x-treaty-model']).toBe('big');
    expect(h.attempts('vllm')).toHaveLength(0);
  });

  it('G8: context_length_exceeded upstream never goes to a smaller fallback', async () => {
    fault(h, 'br-b', [{ fault: 'context_length' }]);
    const r = await call(h, { model: 'big' });
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text).error.code).toBe('context_length_exceeded');
    expect(h.attempts('az-ptu')).toHaveLength(0);
  });

  it('G13: a Bedrock exception frame before any token falls back to Azure', async () => {
    fault(h, 'br-a', [{ fault: 'stream_error', tokens: 0 }]);
    for (let i = 0; i < 4; i++) {
      const r = await call(h, { model: 'ab', stream: true });
      expect(r.headers['x-treaty-deployment']).toBe('az-std');
      expect(r.text).toContain('[DONE]');
    }
  });
});

describe('mid-stream continuation (opt-in per model)', () => {
  function parse(text: string) {
    const events = text.split('\n\n').filter((l) => l.startsWith('data: ') && !l.includes('[DONE]')).map((l) => JSON.parse(l.slice(6)));
    const content = events.map((e) => e.choices?.[0]?.delta?.content ?? '').join('');
    const finish = events.map((e) => e.choices?.[0]?.finish_reason).filter(Boolean);
    return { events, content, finish };
  }

  it('resumes a cut stream on a prefill-capable deployment and splices one complete answer', async () => {
    fault(h, 'vllm', [{ fault: 'cut_after', tokens: 3 }]);
    const r = await call(h, { model: 'cont', stream: true });
    expect(r.status).toBe(200);
    expect(r.text).not.toMatch(/"error"/);
    expect(r.text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    const { events, content, finish } = parse(r.text);
    expect(finish).toEqual(['stop']);
    expect(new Set(events.map((e) => e.id)).size).toBe(1);
    const [cont] = h.attempts('br-a');
    // The continuation was sent exactly the text the client had already received…
    const prefix = content.slice(0, cont!.prefill!.length);
    expect(cont!.prefill).toBe(prefix.trimEnd());
    expect(prefix.split(' ').length).toBe(3);
    // …and what it generated follows it in the same stream.
    expect(content.length).toBeGreaterThan(prefix.length);
    expect(h.attempts('vllm')[0]!.outcome).toBe('cut');
  });

  it('never sends a prefill to a deployment without prefill support; ends with the real cause', async () => {
    fault(h, 'vllm', [{ fault: 'cut_after', tokens: 3 }]);
    const r = await call(h, { model: 'cont-none', stream: true });
    expect(r.text).toMatch(/"error":\{"message":"The upstream stream failed after the response started \(stream_interrupted\)/);
    expect(r.text).not.toContain('[DONE]');
    expect(h.attempts('az-std')).toHaveLength(0);
  });

  it('models without the opt-in are not continued', async () => {
    fault(h, 'vllm', [{ fault: 'cut_after', tokens: 3 }]);
    const r = await call(h, { model: 'small', stream: true });
    expect(r.text).toMatch(/"error":\{/);
    expect(h.attempts('br-b')).toHaveLength(0);
  });
});

describe('G11: client disconnect at any point aborts the upstream within a second', () => {
  it.each([
    ['waiting for the first token', { ttftMs: 3000 }, 0],
    ['after 1 chunk', { tokensPerSec: 10 }, 1],
    ['after 3 chunks', { tokensPerSec: 10 }, 3],
  ] as const)('%s', async (_n, timing, chunks) => {
    patch(h, 'vllm', timing);
    const ac = new AbortController();
    const r = request(`${h.url}/v1/chat/completions`, { method: 'POST', signal: ac.signal, body: JSON.stringify({ model: 'v-only', stream: true, messages: [{ role: 'user', content: 'x' }] }), headers: { 'content-type': 'application/json', authorization: `Bearer ${KEYS.client}` } });
    if (chunks === 0) {
      await until(() => h.attempts('vllm').length === 1);
    } else {
      const res = await r;
      let seen = 0;
      for await (const c of res.body) {
        seen += (String(c).match(/"content"/g) ?? []).length;
        if (seen >= chunks) break;
      }
    }
    const t0 = Date.now();
    ac.abort();
    await r.catch(() => undefined);
    await until(() => h.attempts('vllm')[0]?.outcome === 'aborted');
    expect(Date.now() - t0).toBeLessThan(1000);
    // The ledger records the attempt as cancelled (with an estimate when tokens had flowed).
    const rid = h.attempts('vllm')[0]!.requestId!;
    let row;
    for (let i = 0; i < 100 && row?.status !== 'cancelled'; i++) {
      [row] = await h.gateway.ledger.listAttempts({ requestId: rid });
      if (row?.status !== 'cancelled') await new Promise((r) => setTimeout(r, 10));
    }
    expect(row?.status).toBe('cancelled');
  });
});

describe('G4: a dead cloud cannot multiply load', () => {
  it('with every deployment returning 503 under concurrent load, attempts ≤ 1.2 × requests + 3', async () => {
    const g = await startHarness({ modelsYaml: MODELS, resilienceYaml: '  backoffBaseMs: 5\n  backoffMaxMs: 20' });
    try {
      fault(g, 'az-std', [{ fault: 'unavailable' }]);
      fault(g, 'br-a', [{ fault: 'unavailable' }]);
      const N = 400;
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < N) {
          next++;
          const r = await call(g, { model: 'ab' });
          expect(r.status).toBeGreaterThanOrEqual(500);
        }
      };
      await Promise.all(Array.from({ length: 50 }, worker));
      const attempts = g.attempts('az-std').length + g.attempts('br-a').length;
      expect(attempts).toBeLessThanOrEqual(1.2 * N + 3);
    } finally {
      await g.close();
    }
  });
});

/** Polls a condition on the event loop (no fixed sleeps), failing after 3 s. */
async function until(cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met within 3 s');
    await new Promise((r) => setTimeout(r, 5));
  }
}
