// End to end: the Azure adapter's requests sent with undici to the Azure emulator, in both URL
// styles, and the answers (filter results included) decoded back.

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Deployment } from '../../domain/deployment.js';
import { UpstreamFailureError } from '../../domain/upstream-failure.js';
import { startAzureEmulator } from '../../emulators/azure/index.js';
import { EmulatorEngine } from '../../emulators/core/engine.js';
import type { RunningServer } from '../../emulators/core/http.js';
import { chatOnce, chatStream, send, textOf } from '../openai-compatible/fixtures/transport.js';
import { SAMPLE_REQUEST } from '../test-support/adapter-suite.js';
import { azureOpenAIAdapter } from './adapter.js';
import { azureDeployment } from './fixtures/load.js';

const KEY = 'fedcba9876543210fedcba9876543210';
let engine: EmulatorEngine;
let server: RunningServer;
const bind = (over: Partial<Deployment> = {}, options: Record<string, unknown> = {}) =>
  azureOpenAIAdapter.bind(azureDeployment({ baseUrl: server.url, upstreamModel: 'gpt4o-prod', ...over, options: { apiKey: KEY, ...options } }));
const fault = (f: string) => ({ 'x-emulator-fault': f });

beforeAll(async () => {
  engine = new EmulatorEngine();
  engine.addDeployment('azure', { name: 'gpt4o-prod', model: 'gpt-4o-2024-11-20' });
  engine.addDeployment('azure', { name: 'embed', model: 'text-embedding-3-small', embeddings: true });
  server = await startAzureEmulator(engine, { apiKey: KEY });
});
afterAll(() => server.close());
beforeEach(() => engine.clearAttempts());

describe('azure-openai adapter ⇄ Azure emulator', () => {
  it('decodes a whole answer with prompt and choice filter results as extras', async () => {
    const out = await chatOnce(bind(), server.url, SAMPLE_REQUEST);
    if (!out.ok) throw new Error(out.failure.message);
    expect(out.value.model).toBe('gpt-4o-2024-11-20');
    expect(out.value.extra?.prompt_filter_results).toEqual([expect.objectContaining({ prompt_index: 0 })]);
    expect(out.value.choices[0]?.extra?.content_filter_results).toMatchObject({ violence: { filtered: false } });
    expect(out.value.usage?.completionTokens).toBe(engine.attempts()[0]?.completionTokensSent);
  });

  it('decodes a stream: filter meta first, then the text, finish and usage', async () => {
    const { events, error } = await chatStream(bind(), server.url, SAMPLE_REQUEST);
    expect(error).toBeUndefined();
    expect(events[0]).toMatchObject({ kind: 'meta', extra: { prompt_filter_results: expect.any(Array) } });
    expect(events[1]).toMatchObject({ kind: 'identity', model: 'gpt-4o-2024-11-20' });
    expect(textOf(events)).toMatch(/\w/);
    expect(events.find((e) => e.kind === 'finish')).toMatchObject({ finishReason: 'stop' });
    expect(events.at(-1)?.kind).toBe('usage');
  });

  it('speaks the v1 URL style with the deployment as model', async () => {
    const { events, error } = await chatStream(bind({}, { pathStyle: 'v1' }), server.url, SAMPLE_REQUEST);
    expect(error).toBeUndefined();
    expect(textOf(events)).toMatch(/\w/);
    expect(engine.attempts()[0]).toMatchObject({ deployment: 'gpt4o-prod', outcome: 'ok' });
  });

  it('passes a filtered completion through as a content_filter finish', async () => {
    const { events } = await chatStream(bind(), server.url, SAMPLE_REQUEST, fault('content_filter_completion'));
    expect(events.find((e) => e.kind === 'finish')).toMatchObject({ finishReason: 'content_filter', extra: { content_filter_results: { violence: { filtered: true } } } });
  });

  it('turns a cut stream into stream_interrupted', async () => {
    const { error } = await chatStream(bind(), server.url, SAMPLE_REQUEST, fault('cut_after;tokens=1'));
    expect(error).toBeInstanceOf(UpstreamFailureError);
    expect((error as UpstreamFailureError).failure).toMatchObject({ kind: 'stream_interrupted', midStream: true });
  });

  it.each([
    ['rate_limit;ms=1500', { kind: 'rate_limited', status: 429, retryAfterMs: 1500 }],
    ['content_filter', { kind: 'content_filter', status: 400 }],
    ['context_length', { kind: 'context_length', status: 400 }],
    ['server_error', { kind: 'server_error', status: 500 }],
    ['unavailable', { kind: 'overloaded', status: 503 }],
  ])('classifies the fault %s', async (f, expected) => {
    const out = await chatOnce(bind(), server.url, SAMPLE_REQUEST, fault(f));
    expect(out.ok ? undefined : out.failure).toMatchObject(expected);
  });

  it('classifies a wrong key as auth and an unknown deployment as not_found', async () => {
    const wrongKey = azureOpenAIAdapter.bind(azureDeployment({ baseUrl: server.url, upstreamModel: 'gpt4o-prod', options: { apiKey: 'nope' } }));
    expect(await chatOnce(wrongKey, server.url, SAMPLE_REQUEST)).toMatchObject({ ok: false, failure: { kind: 'auth', status: 401 } });
    expect(await chatOnce(bind({ upstreamModel: 'ghost' }), server.url, SAMPLE_REQUEST)).toMatchObject({ ok: false, failure: { kind: 'not_found', providerCode: 'DeploymentNotFound' } });
  });

  it('round-trips embeddings through the deployment URL', async () => {
    const bound = bind({ upstreamModel: 'embed' });
    const { head, body } = await send(server.url, await bound.encodeEmbeddings!({ model: 'e', input: 'hello', dimensions: 5 }));
    const res = bound.decodeEmbeddings!(head, new Uint8Array(await body.arrayBuffer()));
    expect(res.data[0]?.embedding).toHaveLength(5);
    expect(res.model).toBe('text-embedding-3-small');
  });
});
