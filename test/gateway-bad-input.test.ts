// Bad input gets a clear OpenAI-shaped 4xx that says what to fix — never a 5xx or a hang.

import { connect } from 'node:net';
import { request } from 'undici';
import { mulberry32 } from '../src/simulator/prng.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYS, startHarness, type Harness } from './support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ serverYaml: '  maxBodyBytes: 4096\n  maxMessages: 8' });
});
afterAll(async () => h?.close());

async function post(path: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<{ status: number; json: { error: { message: string; type: string; param: string | null; code: string | null } } }> {
  const res = await request(`${h.url}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json', authorization: `Bearer ${KEYS.client}`, ...headers } });
  return { status: res.statusCode, json: (await res.body.json()) as never };
}

const chat = (body: unknown): ReturnType<typeof post> => post('/v1/chat/completions', JSON.stringify(body));
const msgs = [{ role: 'user', content: 'hi' }];

describe('malformed and mistyped requests', () => {
  const cases: [string, unknown, number, string | null, RegExp][] = [
    ['missing model', { messages: msgs }, 400, 'model', /model parameter/],
    ['model not a string', { model: 7, messages: msgs }, 400, 'model', /model/],
    ['messages missing', { model: 'frontier' }, 400, 'messages', /array/],
    ['empty messages', { model: 'frontier', messages: [] }, 400, 'messages', /at least one/],
    ['bad role', { model: 'frontier', messages: [{ role: 'robot', content: 'x' }] }, 400, 'messages[0].role', /one of system/],
    ['content wrong type', { model: 'frontier', messages: [{ role: 'user', content: 5 }] }, 400, 'messages[0].content', /string or a list/],
    ['tool message without id', { model: 'frontier', messages: [{ role: 'tool', content: 'x' }] }, 400, 'messages[0].tool_call_id', /tool_call_id/],
    ['temperature out of range', { model: 'frontier', messages: msgs, temperature: 3 }, 400, 'temperature', /between 0 and 2/],
    ['max_tokens not integer', { model: 'frontier', messages: msgs, max_tokens: 1.5 }, 400, 'max_tokens', /whole number/],
    ['stream not boolean', { model: 'frontier', messages: msgs, stream: 'yes' }, 400, 'stream', /true or false/],
    ['stream_options without stream', { model: 'frontier', messages: msgs, stream_options: { include_usage: true } }, 400, 'stream_options', /only allowed when 'stream'/],
    ['too many stop sequences', { model: 'frontier', messages: msgs, stop: ['a', 'b', 'c', 'd', 'e'] }, 400, 'stop', /up to 4/],
    ['unknown parameter', { model: 'frontier', messages: msgs, api_base: 'http://169.254.169.254' }, 400, 'api_base', /Unrecognized request argument/],
    ['tool_choice names a missing tool', { model: 'frontier', messages: msgs, tool_choice: { type: 'function', function: { name: 'f' } } }, 400, 'tool_choice', /not in 'tools'/],
    ['bad response_format', { model: 'frontier', messages: msgs, response_format: { type: 'xml' } }, 400, 'response_format.type', /json_object/],
    ['too many messages', { model: 'frontier', messages: Array(9).fill(msgs[0]) }, 400, 'messages', /most this gateway accepts is 8/],
    ['body not an object', [1, 2], 400, null, /JSON object/],
  ];
  it.each(cases)('%s → %i naming %s', async (_name, body, status, param, message) => {
    const r = await chat(body);
    expect(r.status).toBe(status);
    expect(r.json.error.type).toBe('invalid_request_error');
    expect(r.json.error.param).toBe(param);
    expect(r.json.error.message).toMatch(message);
  });

  it('malformed JSON → 400 invalid_json with a hint', async () => {
    const r = await post('/v1/chat/completions', '{"model": "frontier", "messages": [}');
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe('invalid_json');
    expect(r.json.error.message).toMatch(/could not parse the JSON/);
  });

  it('empty body → 400', async () => {
    const r = await post('/v1/chat/completions', '');
    expect(r.status).toBe(400);
    expect(r.json.error.message).toMatch(/empty/);
  });

  it('oversized body → 413 naming the limit', async () => {
    const r = await chat({ model: 'frontier', messages: [{ role: 'user', content: 'x'.repeat(10_000) }] });
    expect(r.status).toBe(413);
    expect(r.json.error.message).toMatch(/4096 bytes/);
  });

  it('wrong content type → 415', async () => {
    const r = await post('/v1/chat/completions', 'model=frontier', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(r.status).toBe(415);
  });

  it('unknown model → 404 model_not_found and no upstream call', async () => {
    h.estate.engine.clearAttempts();
    const r = await chat({ model: 'gpt-9', messages: msgs });
    expect(r.status).toBe(404);
    expect(r.json.error.code).toBe('model_not_found');
    expect(h.estate.engine.attempts()).toHaveLength(0);
  });

  it('unknown route → 404, wrong method → 405, both OpenAI-shaped', async () => {
    const a = await post('/v1/completions', '{}');
    expect(a.status).toBe(404);
    expect(a.json.error.message).toMatch(/Unknown route/);
    const b = await request(`${h.url}/v1/chat/completions`, { method: 'GET', headers: { authorization: `Bearer ${KEYS.client}` } });
    expect(b.statusCode).toBe(405);
    expect(((await b.body.json()) as { error: { message: string } }).error.message).toMatch(/use POST/);
  });

  it('missing or wrong key → 401 without echoing the key', async () => {
    const a = await request(`${h.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'frontier', messages: msgs }) });
    expect(a.statusCode).toBe(401);
    await a.body.dump();
    const b = await post('/v1/chat/completions', JSON.stringify({ model: 'frontier', messages: msgs }), { authorization: 'Bearer sk-not-a-real-key-424242' });
    expect(b.status).toBe(401);
    expect(JSON.stringify(b.json)).not.toContain('424242');
  });

  it('a bad x-treaty-timeout-ms header → 400', async () => {
    const r = await post('/v1/chat/completions', JSON.stringify({ model: 'frontier', messages: msgs }), { 'x-treaty-timeout-ms': 'soon' });
    expect(r.status).toBe(400);
  });

  it('a JSON fuzz corpus never produces a 5xx', async () => {
    const corpus: unknown[] = [null, 0, 'x', true, {}, { model: null }, { model: 'frontier', messages: null }, { model: 'frontier', messages: [null] }, { model: 'frontier', messages: [{}] },
      { model: 'frontier', messages: [{ role: 'user', content: [{ type: 'image_url' }] }] }, { model: 'frontier', messages: [{ role: 'user', content: [{ type: 'audio' }] }] },
      { model: 'frontier', messages: msgs, tools: [{}] }, { model: 'frontier', messages: msgs, tools: 'x' }, { model: 'frontier', messages: msgs, logit_bias: { a: 1 } }, { model: 'frontier', messages: msgs, n: 0 },
      { model: 'frontier', messages: [{ role: 'assistant', tool_calls: [{ id: 1 }] }] }, { model: 'frontier', messages: msgs, stream: true, stream_options: 5 }];
    for (const body of corpus) {
      const r = await chat(body);
      expect(r.status, JSON.stringify(body)).toBeGreaterThanOrEqual(400);
      expect(r.status, JSON.stringify(body)).toBeLessThan(500);
      expect(r.json.error.message.length).toBeGreaterThan(10);
    }
    // Still serving.
    const ok = await chat({ model: 'only-vllm', messages: msgs });
    expect(ok.status).toBe(200);
  });
});

/** Writes raw bytes, half-closes, and returns everything the gateway sent before closing. */
function rawExchange(url: string, bytes: Buffer): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => resolve(text));
    socket.on('connect', () => socket.end(bytes));
  });
}

describe('bytes that are not a well-formed HTTP request', () => {
  const valid = (): string => `POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nAuthorization: Bearer ${KEYS.client}\r\nContent-Length: 56\r\n\r\n{"model":"only-vllm","messages":[{"role":"user","content":"hi"}]}`.slice(0, -9) + '"hi"}]}';

  it('a malformed head gets an OpenAI-shaped 400 that says what to fix, and the connection closes', async () => {
    const text = await rawExchange(h.url, Buffer.from('POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'));
    const [head, body] = text.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 400 /);
    const json = JSON.parse(body!) as { error: { message: string; type: string } };
    expect(json.error.type).toBe('invalid_request_error');
    expect(json.error.message).toMatch(/both Transfer-Encoding and Content-Length/);
  });

  it('300 generated byte strings and mutated requests: never a 5xx, never a hang, and the gateway still serves', async () => {
    const rand = mulberry32(1201);
    const interesting = [13, 10, 32, 58, 0, 65, 127, 255, 9, 48];
    const statuses = new Map<string, number>();
    for (let i = 0; i < 300; i++) {
      let bytes: Buffer;
      if (i % 3 === 0) {
        bytes = Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 300) }, () => Math.floor(rand() * 256)));
      } else {
        bytes = Buffer.from(valid(), 'latin1');
        for (let k = 0; k < 1 + Math.floor(rand() * 4); k++) bytes[Math.floor(rand() * bytes.length)] = interesting[Math.floor(rand() * interesting.length)]!;
      }
      const text = await rawExchange(h.url, bytes);
      // Nothing at all is an answer too: a head cut short by the client's end is abandoned.
      for (const m of text.matchAll(/HTTP\/1\.1 (\d{3}) /g)) {
        expect(Number(m[1]), JSON.stringify(bytes.toString('latin1'))).toBeLessThan(500);
        statuses.set(m[1]!, (statuses.get(m[1]!) ?? 0) + 1);
      }
    }
    // Most of them were refused by the listener itself.
    expect(statuses.get('400') ?? 0).toBeGreaterThan(100);
    const ok = await chat({ model: 'only-vllm', messages: msgs });
    expect(ok.status).toBe(200);
  });
});

describe('health', () => {
  it('healthz and readyz answer without a key', async () => {
    const a = await request(`${h.url}/healthz`);
    expect(a.statusCode).toBe(200);
    await a.body.dump();
    const b = await request(`${h.url}/readyz`);
    expect(b.statusCode).toBe(200);
    await b.body.dump();
  });
});

describe('overload', () => {
  it('sheds requests beyond server.maxInFlight with a fast 503 and Retry-After, and recovers', async () => {
    const { startHarness: start, DEPLOYMENTS: D, KEYS: K } = await import('./support/harness.js');
    const g = await start({ serverYaml: '  maxInFlight: 4' });
    try {
      const d = D.vllm!;
      g.estate.engine.patchDeployment(d.provider, d.name, { ttftMs: 300 });
      const call = () => request(`${g.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'only-vllm', messages: [{ role: 'user', content: 'x' }] }), headers: { authorization: `Bearer ${K.client}`, 'content-type': 'application/json' } });
      const slow = Array.from({ length: 4 }, call);
      await new Promise((r) => setTimeout(r, 50));
      const t0 = Date.now();
      const shed = await call();
      expect(shed.statusCode).toBe(503);
      expect(shed.headers['retry-after']).toBe('1');
      expect(Date.now() - t0).toBeLessThan(100);
      await shed.body.dump();
      for (const r of await Promise.all(slow)) {
        expect(r.statusCode).toBe(200);
        await r.body.dump();
      }
      g.estate.engine.patchDeployment(d.provider, d.name, { ttftMs: 0 });
      const again = await call();
      expect(again.statusCode).toBe(200);
      await again.body.dump();
    } finally {
      await g.close();
    }
  });
});
