import OpenAI, { APIConnectionError, APIError, AuthenticationError, BadRequestError, NotFoundError, RateLimitError } from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EmulatorEngine } from '../core/engine.js';
import type { RunningServer } from '../core/http.js';
import { startOpenAIEmulator } from './index.js';
import { lastAttempt, nextAttemptEnd } from './test-helpers.js';

const KEY = 'sk-emulator-test-0123456789';
const MODEL = 'gpt-4o-mini';
const WEATHER_TOOL = { type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } };
const messages = [{ role: 'user' as const, content: 'Say hello to the emulator' }];

let engine: EmulatorEngine;
let server: RunningServer;
let client: OpenAI;
const fault = (value: string) => ({ headers: { 'x-emulator-fault': value } });

beforeAll(async () => {
  engine = new EmulatorEngine();
  engine.addDeployment('openai', { name: MODEL, model: 'gpt-4o-mini-2024-07-18' });
  engine.addDeployment('openai', { name: 'text-embedding-3-small', embeddings: true });
  engine.addDeployment('openai', { name: 'small-context', contextWindow: 20 });
  engine.addDeployment('openai', { name: 'vllm-legacy', legacyErrorShape: true, contextWindow: 10 });
  engine.addDeployment('openai', { name: 'slow', tokensPerSec: 50 });
  server = await startOpenAIEmulator(engine, { apiKey: KEY });
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: KEY, maxRetries: 0 });
});
afterAll(() => server.close());
beforeEach(() => engine.clearAttempts());

describe('OpenAI emulator: chat with the official SDK', () => {
  it('answers deterministically with usage, and logs the tokens it sent', async () => {
    const { data: res, response } = await client.chat.completions.create({ model: MODEL, messages, max_completion_tokens: 50 }).withResponse();
    const again = await client.chat.completions.create({ model: MODEL, messages });
    expect(res.choices[0]?.message.content).toMatch(/\w+/);
    expect(again.choices[0]?.message.content).toBe(res.choices[0]?.message.content);
    expect(res.choices[0]?.finish_reason).toBe('stop');
    expect(res.model).toBe('gpt-4o-mini-2024-07-18');
    expect(res.usage!.total_tokens).toBe(res.usage!.prompt_tokens + res.usage!.completion_tokens);
    expect(response.headers.get('x-request-id')).toMatch(/^req_/);
    expect(response.headers.get('openai-processing-ms')).toMatch(/^\d+$/);
    expect(engine.attempts()[0]).toMatchObject({ outcome: 'ok', status: 200, stream: false, completionTokensSent: res.usage!.completion_tokens });
  });

  it('streams the same answer token by token, with the usage chunk when asked', async () => {
    const whole = await client.chat.completions.create({ model: MODEL, messages });
    const stream = await client.chat.completions.create({ model: MODEL, messages, stream: true, stream_options: { include_usage: true } });
    const chunks = [];
    for await (const c of stream) chunks.push(c);
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(text).toBe(whole.choices[0]?.message.content);
    expect(chunks.filter((c) => c.choices[0]?.delta.content).length).toBe(whole.usage!.completion_tokens);
    expect(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0]?.finish_reason).toBe('stop');
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({ completion_tokens: whole.usage!.completion_tokens, prompt_tokens: whole.usage!.prompt_tokens });
    expect(lastAttempt(engine)).toMatchObject({ outcome: 'ok', stream: true, completionTokensSent: whole.usage!.completion_tokens });
  });

  it('sends no usage chunk when the client did not ask for one', async () => {
    const stream = await client.chat.completions.create({ model: MODEL, messages, stream: true });
    for await (const c of stream) expect(c.usage ?? null).toBeNull();
  });

  it('answers with a tool call when tools are offered, content null', async () => {
    const res = await client.chat.completions.create({ model: MODEL, messages, tools: [WEATHER_TOOL] });
    const call = res.choices[0]!.message.tool_calls![0]!;
    expect(res.choices[0]?.message.content).toBeNull();
    expect(res.choices[0]?.finish_reason).toBe('tool_calls');
    expect(call.type === 'function' && call.function.name).toBe('get_weather');
    expect(call.type === 'function' && JSON.parse(call.function.arguments)).toEqual(expect.any(Object));
  });

  it('streams a tool call: id and name first, then the arguments in pieces', async () => {
    const stream = await client.chat.completions.create({ model: MODEL, messages, tools: [WEATHER_TOOL], stream: true });
    const deltas = [];
    for await (const c of stream) deltas.push(...(c.choices[0]?.delta.tool_calls ?? []));
    expect(deltas[0]).toMatchObject({ index: 0, id: expect.stringMatching(/^call_/), function: { name: 'get_weather', arguments: '' } });
    const pieces = deltas.slice(1).map((d) => d.function?.arguments ?? '');
    expect(pieces.length).toBeGreaterThanOrEqual(2);
    expect(JSON.parse(pieces.join(''))).toEqual(expect.any(Object));
    expect(lastAttempt(engine).completionTokensSent).toBeGreaterThan(0);
  });

  it('answers in text when tool_choice is none', async () => {
    const res = await client.chat.completions.create({ model: MODEL, messages, tools: [WEATHER_TOOL], tool_choice: 'none' });
    expect(res.choices[0]?.message.tool_calls).toBeUndefined();
    expect(res.choices[0]?.message.content).toMatch(/\w/);
  });
});

describe('OpenAI emulator: embeddings and models', () => {
  it('returns float vectors of the asked dimensions, with usage', async () => {
    const res = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['alpha', 'beta'], dimensions: 8, encoding_format: 'float' });
    expect(res.data.map((d) => d.index)).toEqual([0, 1]);
    expect(res.data[0]!.embedding).toHaveLength(8);
    expect(Math.hypot(...res.data[0]!.embedding)).toBeCloseTo(1, 5);
    expect(res.usage.prompt_tokens).toBeGreaterThan(0);
  });

  it('returns base64 float32 that the SDK decodes to the same vector', async () => {
    const floats = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'alpha', dimensions: 8, encoding_format: 'float' });
    const decoded = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'alpha', dimensions: 8 });
    expect(decoded.data[0]!.embedding).toEqual(floats.data[0]!.embedding);
  });

  it('refuses embeddings from a chat-only model with a 400', async () => {
    await expect(client.embeddings.create({ model: MODEL, input: 'x' })).rejects.toBeInstanceOf(BadRequestError);
  });

  it('lists and retrieves models, and 404s an unknown one', async () => {
    const ids = [];
    for await (const m of client.models.list()) ids.push(m.id);
    expect(ids).toContain(MODEL);
    expect((await client.models.retrieve(MODEL)).id).toBe(MODEL);
    await expect(client.models.retrieve('nope')).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('OpenAI emulator: errors as the SDK sees them', () => {
  it('rate limits with retry-after and an x-ratelimit reset in Go duration form', async () => {
    const err = await client.chat.completions.create({ model: MODEL, messages }, fault('rate_limit;ms=1500')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    const e = err as RateLimitError;
    expect(e.code).toBe('rate_limit_exceeded');
    expect(e.headers.get('retry-after')).toBe('2');
    expect(e.headers.get('x-ratelimit-reset-requests')).toBe('1.5s');
    expect(e.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(lastAttempt(engine)).toMatchObject({ outcome: 'error', status: 429, fault: 'rate_limit' });
  });

  it('sends no retry headers for rate_limit_no_retry_after', async () => {
    const e = (await client.chat.completions.create({ model: MODEL, messages }, fault('rate_limit_no_retry_after')).catch((x: unknown) => x)) as RateLimitError;
    expect(e.headers.get('retry-after')).toBeNull();
    expect(e.headers.get('x-ratelimit-reset-requests')).toBeNull();
  });

  it('refuses an over-long prompt with context_length_exceeded', async () => {
    const err = (await client.chat.completions.create({ model: 'small-context', messages, max_tokens: 16 }).catch((e: unknown) => e)) as BadRequestError;
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err.code).toBe('context_length_exceeded');
    expect(err.param).toBe('messages');
  });

  it('sends a vLLM-style top-level error with a numeric code for legacy deployments', async () => {
    const res = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'vllm-legacy', messages }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ object: 'error', type: 'BadRequestError', code: 400, message: expect.stringMatching(/maximum context length/) });
  });

  it('rejects a wrong key with a masked echo, and logs the refusal', async () => {
    const bad = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'sk-wrong-key-abcdefghijkl', maxRetries: 0 });
    const err = (await bad.chat.completions.create({ model: MODEL, messages }).catch((e: unknown) => e)) as AuthenticationError;
    expect(err).toBeInstanceOf(AuthenticationError);
    expect(err.code).toBe('invalid_api_key');
    expect(err.message).toContain('sk-...ijkl');
    expect(err.message).not.toContain('wrong-key');
    expect(lastAttempt(engine)).toMatchObject({ outcome: 'rejected', status: 401, deployment: MODEL });
  });

  it('404s an unknown model with model_not_found', async () => {
    const err = (await client.chat.completions.create({ model: 'gpt-9', messages }).catch((e: unknown) => e)) as NotFoundError;
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err.code).toBe('model_not_found');
  });

  it('refuses stream_options on a request that does not stream', async () => {
    await expect(client.chat.completions.create({ model: MODEL, messages, stream_options: { include_usage: true } })).rejects.toBeInstanceOf(BadRequestError);
  });

  it('fails a stream after the 200 with an error frame the SDK raises', async () => {
    const stream = await client.chat.completions.create({ model: MODEL, messages, stream: true }, fault('stream_error;tokens=2'));
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const c of stream) seen.push(c.choices[0]?.delta.content ?? '');
      })(),
    ).rejects.toBeInstanceOf(APIError);
    expect(seen.join('')).not.toBe('');
    expect(lastAttempt(engine)).toMatchObject({ outcome: 'error', status: 200, completionTokensSent: 2 });
  });

  it('cuts a stream after N tokens, and logs what was sent', async () => {
    const stream = await client.chat.completions.create({ model: MODEL, messages, stream: true }, fault('cut_after;tokens=3'));
    await expect(
      (async () => {
        for await (const _ of stream);
      })(),
    ).rejects.toBeInstanceOf(Error);
    expect(lastAttempt(engine)).toMatchObject({ outcome: 'cut', completionTokensSent: 3 });
  });

  it('ends a stalled stream as stalled when the client gives up', async () => {
    const ended = nextAttemptEnd(engine);
    const stream = await client.chat.completions.create({ model: MODEL, messages, stream: true }, fault('stall_after;tokens=1'));
    // Leaving the loop makes the SDK abort the request: the emulator sees the peer go.
    for await (const c of stream) if (c.choices[0]?.delta.content) break;
    expect(await ended).toMatchObject({ outcome: 'stalled', completionTokensSent: 1 });
  });

  it('logs a client that leaves mid-answer as aborted', async () => {
    const ended = nextAttemptEnd(engine);
    const stream = await client.chat.completions.create({ model: 'slow', messages, stream: true });
    for await (const c of stream) if (c.choices[0]?.delta.content) break;
    const rec = await ended;
    expect(rec.outcome).toBe('aborted');
    expect(rec.completionTokensSent).toBeGreaterThanOrEqual(1);
  });

  it('resets the connection before headers for the reset fault', async () => {
    await expect(client.chat.completions.create({ model: MODEL, messages }, fault('reset'))).rejects.toBeInstanceOf(APIConnectionError);
    expect(lastAttempt(engine).outcome).toBe('reset');
  });
});
