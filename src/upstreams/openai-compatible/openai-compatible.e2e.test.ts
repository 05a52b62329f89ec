// End to end: the adapter's requests sent with undici to the OpenAI emulator, and its answers
// decoded back. Proves the adapter and the emulator agree on real bytes, faults included.

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ChatRequest } from '../../domain/chat.js';
import { UpstreamFailureError } from '../../domain/upstream-failure.js';
import { EmulatorEngine } from '../../emulators/core/engine.js';
import type { RunningServer } from '../../emulators/core/http.js';
import { startOpenAIEmulator } from '../../emulators/openai/index.js';
import { SAMPLE_REQUEST } from '../test-support/adapter-suite.js';
import { openAICompatibleAdapter } from './adapter.js';
import { openAIDeployment } from './fixtures/load.js';
import { chatOnce, chatStream, send, textOf } from './fixtures/transport.js';

const KEY = 'sk-e2e-0123456789abcdef';
let engine: EmulatorEngine;
let server: RunningServer;
const bind = (upstreamModel: string) => openAICompatibleAdapter.bind(openAIDeployment({ baseUrl: `${server.url}/v1`, upstreamModel, options: { apiKey: KEY } }));
const fault = (f: string) => ({ 'x-emulator-fault': f });
const req: ChatRequest = { ...SAMPLE_REQUEST, maxTokensField: 'max_tokens' };

beforeAll(async () => {
  engine = new EmulatorEngine();
  engine.addDeployment('openai', { name: 'gpt-4o-mini' });
  engine.addDeployment('openai', { name: 'vllm-old', legacyErrorShape: true, contextWindow: 8 });
  engine.addDeployment('openai', { name: 'embedder', embeddings: true });
  server = await startOpenAIEmulator(engine, { apiKey: KEY });
});
afterAll(() => server.close());
beforeEach(() => engine.clearAttempts());

describe('openai-compatible adapter ⇄ OpenAI emulator', () => {
  it('decodes a whole answer whose usage matches what the emulator sent', async () => {
    const out = await chatOnce(bind('gpt-4o-mini'), server.url, req);
    if (!out.ok) throw new Error(out.failure.message);
    const rec = engine.attempts()[0]!;
    expect(out.value.choices[0]?.message.content).toMatch(/\w/);
    expect(out.value.usage).toMatchObject({ promptTokens: rec.promptTokens, completionTokens: rec.completionTokensSent });
  });

  it('decodes a stream to the same text, with usage requested for the ledger', async () => {
    const whole = await chatOnce(bind('gpt-4o-mini'), server.url, req);
    const { events, error } = await chatStream(bind('gpt-4o-mini'), server.url, req);
    expect(error).toBeUndefined();
    expect(whole.ok && textOf(events)).toBe(whole.ok && whole.value.choices[0]?.message.content);
    expect(events.find((e) => e.kind === 'finish')).toMatchObject({ finishReason: 'stop' });
    expect(events.at(-1)).toMatchObject({ kind: 'usage', usage: whole.ok ? whole.value.usage : {} });
  });

  it('decodes a streamed tool call into one call with JSON arguments', async () => {
    const tools = [{ type: 'function' as const, function: { name: 'get_weather' } }];
    const { events } = await chatStream(bind('gpt-4o-mini'), server.url, { ...req, tools });
    const deltas = events.flatMap((e) => (e.kind === 'delta' ? (e.toolCalls ?? []) : []));
    expect(deltas[0]?.function?.name).toBe('get_weather');
    expect(JSON.parse(deltas.map((d) => d.function?.arguments ?? '').join(''))).toEqual(expect.any(Object));
  });

  it('turns a connection cut mid-stream into stream_interrupted, mid-answer', async () => {
    const { events, error } = await chatStream(bind('gpt-4o-mini'), server.url, req, fault('cut_after;tokens=2'));
    expect(error).toBeInstanceOf(UpstreamFailureError);
    expect((error as UpstreamFailureError).failure).toMatchObject({ kind: 'stream_interrupted', midStream: true });
    expect(textOf(events).length).toBeGreaterThan(0);
    expect(engine.attempts()[0]).toMatchObject({ outcome: 'cut', completionTokensSent: 2 });
  });

  it('turns an in-stream error frame into a server_error failure', async () => {
    const { error } = await chatStream(bind('gpt-4o-mini'), server.url, req, fault('stream_error;tokens=1'));
    expect((error as UpstreamFailureError).failure).toMatchObject({ kind: 'server_error', midStream: true });
  });

  it('turns a malformed frame into a malformed failure', async () => {
    const { error } = await chatStream(bind('gpt-4o-mini'), server.url, req, fault('malformed_chunk;tokens=1'));
    expect((error as UpstreamFailureError).failure.kind).toBe('malformed');
  });

  it('accepts a complete stream that never sends [DONE]', async () => {
    const { events, error } = await chatStream(bind('gpt-4o-mini'), server.url, req, fault('no_done'));
    expect(error).toBeUndefined();
    expect(events.some((e) => e.kind === 'finish')).toBe(true);
  });

  it('classifies a 429 with the wait the emulator asked for', async () => {
    const out = await chatOnce(bind('gpt-4o-mini'), server.url, req, fault('rate_limit;ms=1500'));
    expect(out.ok ? undefined : out.failure).toMatchObject({ kind: 'rate_limited', status: 429, retryAfterMs: 2000 });
  });

  it('classifies a vLLM legacy context-length error', async () => {
    const out = await chatOnce(bind('vllm-old'), server.url, req);
    expect(out.ok ? undefined : out.failure).toMatchObject({ kind: 'context_length', status: 400 });
  });

  it('classifies a wrong key as auth without echoing it', async () => {
    const bound = openAICompatibleAdapter.bind(openAIDeployment({ baseUrl: `${server.url}/v1`, options: { apiKey: 'sk-not-the-right-key-999' } }));
    const out = await chatOnce(bound, server.url, req);
    expect(out.ok ? undefined : out.failure).toMatchObject({ kind: 'auth', status: 401 });
    expect(out.ok ? '' : out.failure.message).not.toContain('not-the-right');
  });

  it('round-trips embeddings as floats', async () => {
    const bound = bind('embedder');
    const { head, body } = await send(server.url, await bound.encodeEmbeddings!({ model: 'e', input: ['a', 'b'], dimensions: 6, encodingFormat: 'base64' }));
    const res = bound.decodeEmbeddings!(head, new Uint8Array(await body.arrayBuffer()));
    expect(res.data.map((d) => d.embedding.length)).toEqual([6, 6]);
    expect(res.usage?.promptTokens).toBeGreaterThan(0);
  });
});
