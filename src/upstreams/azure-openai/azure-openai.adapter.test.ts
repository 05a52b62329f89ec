import { describe, expect, it } from 'vitest';
import type { StreamEvent } from '../../domain/chat.js';
import { UpstreamFailureError } from '../../domain/upstream-failure.js';
import { bodyOf, chunked, collect, headOf, runAdapterSuite, SAMPLE_REQUEST, type SuiteCase } from '../test-support/adapter-suite.js';
import { azureOpenAIAdapter } from './adapter.js';
import { azureDeployment, loadFixture } from './fixtures/load.js';

const SUITE_CASES: SuiteCase[] = [
  'chatText',
  'chatToolCall',
  'streamText',
  'streamToolCall',
  'streamErrorAfter200',
  'streamTruncated',
  'rateLimited',
  'contextLength',
  'contentFilterPrompt',
  'serverError',
  'authError',
];

runAdapterSuite('azure-openai', {
  adapter: azureOpenAIAdapter,
  deployment: azureDeployment(),
  responses: Object.fromEntries(SUITE_CASES.map((c) => [c, loadFixture(c)])),
});

const bound = azureOpenAIAdapter.bind(azureDeployment());
const decodeError = (name: string) => {
  const r = loadFixture(name);
  return bound.decodeError(headOf(r), bodyOf(r));
};
const stream = (name: string): Promise<StreamEvent[]> => {
  const r = loadFixture(name);
  return collect(bound.decodeChatStream(headOf(r), chunked(bodyOf(r))));
};

describe('azure-openai: URLs and auth', () => {
  it('posts classic requests to the deployment URL with the api-version and the api-key header', async () => {
    const req = await bound.encodeChat(SAMPLE_REQUEST, { wantUsage: true });
    expect(req.path).toBe('/openai/deployments/gpt4o-prod/chat/completions?api-version=2024-10-21');
    expect(req.headers['api-key']).toBe('0123456789abcdef0123456789abcdef');
    expect(req.headers.authorization).toBeUndefined();
  });

  it('escapes the deployment name and honours a preview api-version', async () => {
    const d = azureDeployment({ upstreamModel: 'gpt 4o/eu', options: { apiKey: 'k', apiVersion: '2025-04-01-preview' } });
    const req = await azureOpenAIAdapter.bind(d).encodeChat(SAMPLE_REQUEST, { wantUsage: true });
    expect(req.path).toBe('/openai/deployments/gpt%204o%2Feu/chat/completions?api-version=2025-04-01-preview');
  });

  it('posts v1 requests without api-version, naming the deployment as the model', async () => {
    const v1 = azureOpenAIAdapter.bind(azureDeployment({ options: { apiKey: 'k', pathStyle: 'v1' } }));
    const req = await v1.encodeChat(SAMPLE_REQUEST, { wantUsage: true });
    expect(req.path).toBe('/openai/v1/chat/completions');
    expect(JSON.parse(req.body as string).model).toBe('gpt4o-prod');
    expect((await v1.encodeEmbeddings!({ model: 'e', input: 'x' })).path).toBe('/openai/v1/embeddings');
  });

  it('does not double /openai when the base URL already ends with it', async () => {
    const d = azureDeployment({ baseUrl: 'http://127.0.0.1:9/openai/', options: { apiKey: 'k' } });
    expect((await azureOpenAIAdapter.bind(d).encodeEmbeddings!({ model: 'e', input: 'x' })).path).toBe('/openai/deployments/gpt4o-prod/embeddings?api-version=2024-10-21');
  });

  it('refuses to bind without an api key, without printing any option value', () => {
    expect(() => azureOpenAIAdapter.bind(azureDeployment({ options: { apiVersion: 'secret-looking' } }))).toThrow(/apiKey is required/);
  });

  it('sends stream_options only on streams', async () => {
    const plain = JSON.parse((await bound.encodeChat(SAMPLE_REQUEST, { wantUsage: true })).body as string);
    expect(plain).not.toHaveProperty('stream_options');
    const streamed = JSON.parse((await bound.encodeChat({ ...SAMPLE_REQUEST, stream: true }, { wantUsage: true })).body as string);
    expect(streamed.stream_options).toEqual({ include_usage: true });
  });
});

describe('azure-openai: content filter results ride through untouched', () => {
  it('keeps prompt_filter_results and per-choice content_filter_results on a whole answer', () => {
    const r = loadFixture('chatText');
    const res = bound.decodeChat(headOf(r), bodyOf(r));
    expect(res.extra?.prompt_filter_results).toEqual(JSON.parse(r.body).prompt_filter_results);
    expect(res.choices[0]?.extra?.content_filter_results).toMatchObject({ hate: { filtered: false, severity: 'safe' } });
  });

  it('passes a filtered completion through as finish_reason content_filter, not as a failure', () => {
    const r = loadFixture('completionFiltered');
    const choice = bound.decodeChat(headOf(r), bodyOf(r)).choices[0]!;
    expect(choice.finishReason).toBe('content_filter');
    expect(choice.extra?.content_filter_results).toMatchObject({ violence: { filtered: true, severity: 'medium' } });
  });

  it('turns the first streamed filter frame into a meta event before any identity', async () => {
    const events = await stream('streamText');
    expect(events[0]).toEqual({ kind: 'meta', extra: { prompt_filter_results: expect.any(Array) } });
    expect(events[1]).toMatchObject({ kind: 'identity', id: 'chatcmpl-AzQ7b1Xc9dV2eF3gH4iJ5kL6mN7oP', model: 'gpt-4o-2024-11-20' });
    expect(events.find((e) => e.kind === 'delta' && e.content === 'Hello')).toMatchObject({ extra: { content_filter_results: { hate: { severity: 'safe' } } } });
  });

  it('ends a stream stopped by the filter with a content_filter finish carrying the results', async () => {
    const finish = (await stream('streamFiltered')).find((e) => e.kind === 'finish');
    expect(finish).toMatchObject({ finishReason: 'content_filter', extra: { content_filter_results: { violence: { filtered: true } } } });
  });
});

describe('azure-openai: classifying errors', () => {
  it('prefers retry-after-ms over retry-after on a 429', () => {
    expect(decodeError('rateLimited')).toMatchObject({ kind: 'rate_limited', status: 429, retryAfterMs: 2500, providerCode: '429' });
  });

  it('reads the wait from the message when a proxy dropped the retry headers', () => {
    expect(decodeError('rateLimitedNoHeaders')).toMatchObject({ kind: 'rate_limited', retryAfterMs: 3000 });
  });

  it('classifies a high-demand 429 as overloaded (go elsewhere, more quota will not help)', () => {
    expect(decodeError('highDemand')).toMatchObject({ kind: 'overloaded', retryAfterMs: 800 });
  });

  it('classifies DeploymentNotFound as not_found', () => {
    expect(decodeError('deploymentNotFound')).toMatchObject({ kind: 'not_found', status: 404, providerCode: 'DeploymentNotFound' });
  });

  it('classifies the prompt filter 400 by its code and innererror', () => {
    expect(decodeError('contentFilterPrompt')).toMatchObject({ kind: 'content_filter', status: 400, providerCode: 'content_filter' });
    const innerOnly = Buffer.from(JSON.stringify({ error: { code: 'BadRequest', message: 'filtered', innererror: { code: 'ResponsibleAIPolicyViolation' } } }));
    expect(bound.decodeError({ status: 400, headers: {} }, innerOnly).kind).toBe('content_filter');
  });

  it('classifies 401 as auth and 500 as server_error', () => {
    expect(decodeError('authError')).toMatchObject({ kind: 'auth', status: 401 });
    expect(decodeError('serverError')).toMatchObject({ kind: 'server_error', status: 500, providerCode: 'InternalServerError' });
  });

  it('reads an in-stream Azure error whose code is a status', async () => {
    const body = Buffer.from('data: {"error":{"code":"429","message":"Rate limit is exceeded. Try again in 2 seconds."}}\n\n');
    await expect(collect(bound.decodeChatStream({ status: 200, headers: {} }, chunked(body)))).rejects.toSatisfy(
      (e: unknown) => e instanceof UpstreamFailureError && e.failure.kind === 'rate_limited' && e.failure.retryAfterMs === 2000 && e.failure.midStream === false,
    );
  });
});
