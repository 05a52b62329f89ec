import { describe, expect, it } from 'vitest';
import type { ChatRequest, StreamEvent } from '../../domain/chat.js';
import { UpstreamFailureError } from '../../domain/upstream-failure.js';
import { bodyOf, chunked, collect, headOf, runAdapterSuite, SAMPLE_REQUEST, type SuiteCase } from '../test-support/adapter-suite.js';
import { createOpenAICompatibleAdapter, openAICompatibleAdapter } from './adapter.js';
import { loadFixture, openAIDeployment } from './fixtures/load.js';

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

runAdapterSuite('openai-compatible', {
  adapter: openAICompatibleAdapter,
  deployment: openAIDeployment(),
  responses: Object.fromEntries(SUITE_CASES.map((c) => [c, loadFixture(c)])),
});

const bound = openAICompatibleAdapter.bind(openAIDeployment());
const decodeError = (name: string) => {
  const r = loadFixture(name);
  return bound.decodeError(headOf(r), bodyOf(r));
};
const stream = (name: string): Promise<StreamEvent[]> => {
  const r = loadFixture(name);
  return collect(bound.decodeChatStream(headOf(r), chunked(bodyOf(r))));
};
async function streamFailure(name: string): Promise<UpstreamFailureError> {
  try {
    await stream(name);
  } catch (err) {
    if (err instanceof UpstreamFailureError) return err;
    throw err;
  }
  throw new Error('expected the stream to fail');
}
function thrownBy(fn: () => unknown): UpstreamFailureError {
  try {
    fn();
  } catch (err) {
    if (err instanceof UpstreamFailureError) return err;
    throw err;
  }
  throw new Error('expected an UpstreamFailureError');
}
const bodyJson = async (req: ChatRequest, wantUsage = true) =>
  JSON.parse((await bound.encodeChat(req, { wantUsage })).body as string) as Record<string, unknown>;

describe('openai-compatible: encoding a chat request', () => {
  it('posts to the base path of the deployment with the upstream model and a bearer key', async () => {
    const req = await bound.encodeChat(SAMPLE_REQUEST, { wantUsage: true });
    expect(req.path).toBe('/v1/chat/completions');
    expect(req.headers.authorization).toBe('Bearer sk-test-0123456789abcdef');
    expect(JSON.parse(req.body as string)).toMatchObject({ model: 'gpt-4o-mini', messages: SAMPLE_REQUEST.messages, temperature: 0.5 });
  });

  it('sends no authorization header when the deployment has no key (a local vLLM)', async () => {
    const local = openAICompatibleAdapter.bind(openAIDeployment({ baseUrl: 'http://10.0.0.5:8000/v1/', options: {} }));
    const req = await local.encodeChat(SAMPLE_REQUEST, { wantUsage: true });
    expect(req.headers.authorization).toBeUndefined();
    expect(req.path).toBe('/v1/chat/completions');
  });

  it('keeps the max tokens field name the client used', async () => {
    expect(await bodyJson({ ...SAMPLE_REQUEST, maxTokensField: 'max_completion_tokens' })).toMatchObject({ max_completion_tokens: 64 });
    const legacy = await bodyJson({ ...SAMPLE_REQUEST, maxTokensField: 'max_tokens' });
    expect(legacy.max_tokens).toBe(64);
    expect(legacy).not.toHaveProperty('max_completion_tokens');
  });

  it('asks for the usage chunk only on streams, and never sends stream_options otherwise', async () => {
    expect(await bodyJson({ ...SAMPLE_REQUEST, stream: true })).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    const plain = await bodyJson({ ...SAMPLE_REQUEST, stream: false, passthrough: { stream_options: { include_usage: true } } });
    expect(plain).not.toHaveProperty('stream_options');
    expect(plain.stream).toBe(false);
  });

  it('does not send stream_options to an upstream configured without streamUsage', async () => {
    const noUsage = openAICompatibleAdapter.bind(openAIDeployment({ options: { streamUsage: false } }));
    const body = JSON.parse((await noUsage.encodeChat({ ...SAMPLE_REQUEST, stream: true, includeUsage: true }, { wantUsage: true })).body as string);
    expect(body).not.toHaveProperty('stream_options');
  });

  it('maps optional fields back to snake_case and forwards passthrough fields', async () => {
    const body = await bodyJson({
      ...SAMPLE_REQUEST,
      topP: 0.9,
      presencePenalty: 0.1,
      toolChoice: 'auto',
      parallelToolCalls: false,
      responseFormat: { type: 'json_object' },
      passthrough: { reasoning_effort: 'low', model: 'ignored' },
    });
    expect(body).toMatchObject({ top_p: 0.9, presence_penalty: 0.1, tool_choice: 'auto', parallel_tool_calls: false, response_format: { type: 'json_object' }, reasoning_effort: 'low', model: 'gpt-4o-mini' });
  });
});

describe('openai-compatible: decoding answers', () => {
  it('maps cached and reasoning token details into usage', () => {
    const r = loadFixture('chatText');
    const res = bound.decodeChat(headOf(r), bodyOf(r));
    expect(res.usage).toEqual({ promptTokens: 12, completionTokens: 3, totalTokens: 15, cachedPromptTokens: 0, reasoningTokens: 0 });
    expect(res.extra).toEqual({ service_tier: 'default' });
    expect(res.id).toBe('chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT');
  });

  it('reports absent usage as unknown, never as zero', () => {
    const r = loadFixture('vllmChatNoUsage');
    expect(bound.decodeChat(headOf(r), bodyOf(r)).usage).toBeUndefined();
  });

  it('throws the classified failure for an error object hidden in a 200', () => {
    const body = Buffer.from(JSON.stringify({ object: 'error', message: 'Internal error', type: 'InternalServerError', param: null, code: 500 }));
    expect(thrownBy(() => bound.decodeChat({ status: 200, headers: {} }, body)).failure).toMatchObject({ kind: 'server_error', status: 500 });
    const wrapped = Buffer.from('{"error":{"message":"slow down","type":"rate_limit_exceeded","code":null}}');
    expect(thrownBy(() => bound.decodeChat({ status: 200, headers: {} }, wrapped)).failure.kind).toBe('rate_limited');
  });

  it('throws malformed for a 200 body that is not JSON', () => {
    expect(() => bound.decodeChat({ status: 200, headers: {} }, Buffer.from('<html>oops</html>'))).toThrow(/not a JSON object/);
  });

  it('decodes embeddings as floats in index order, with usage', () => {
    const body = Buffer.from(
      JSON.stringify({ object: 'list', model: 'text-embedding-3-small', data: [{ object: 'embedding', index: 1, embedding: [0.5] }, { object: 'embedding', index: 0, embedding: [0.25, -1] }], usage: { prompt_tokens: 8, total_tokens: 8 } }),
    );
    expect(bound.decodeEmbeddings!({ status: 200, headers: {} }, body)).toEqual({
      model: 'text-embedding-3-small',
      data: [{ index: 0, embedding: [0.25, -1] }, { index: 1, embedding: [0.5] }],
      usage: { promptTokens: 8, totalTokens: 8 },
    });
  });

  it('always asks the upstream for float embeddings at the embeddings path', async () => {
    const req = await bound.encodeEmbeddings!({ model: 'embed', input: ['a', 'b'], encodingFormat: 'base64', dimensions: 256 });
    expect(req.path).toBe('/v1/embeddings');
    expect(JSON.parse(req.body as string)).toEqual({ model: 'gpt-4o-mini', input: ['a', 'b'], encoding_format: 'float', dimensions: 256 });
  });
});

describe('openai-compatible: streams from vLLM and friends', () => {
  it('accepts a usage chunk with choices: null', async () => {
    const events = await stream('vllmStreamChoicesNull');
    expect(events.find((e) => e.kind === 'usage')).toEqual({ kind: 'usage', usage: { promptTokens: 12, completionTokens: 3, totalTokens: 15 } });
    expect(events[0]).toEqual({ kind: 'identity', id: 'chatcmpl-vllm1', model: 'meta-llama/Llama-3.1-8B-Instruct', created: 1741569952 });
  });

  it('treats a stream whose choices all finished as complete even without [DONE]', async () => {
    const events = await stream('vllmStreamCompleteNoDone');
    expect(events.filter((e) => e.kind === 'finish')).toHaveLength(1);
    expect(events.at(-1)?.kind).toBe('usage');
  });

  it('reports a stream cut before the finish as interrupted mid-answer', async () => {
    const err = await streamFailure('streamTruncated');
    expect(err.failure).toMatchObject({ kind: 'stream_interrupted', midStream: true });
  });

  it('marks an in-stream error as mid-stream once content was yielded', async () => {
    expect((await streamFailure('streamErrorAfter200')).failure).toMatchObject({ kind: 'server_error', midStream: true });
  });

  it('turns an unparseable frame into a malformed failure', async () => {
    const body = Buffer.from('data: {"id":"x","choices":[{"index":0,"delta":{"content":"Hi"}}]}\n\ndata: {not json\n\n');
    await expect(collect(bound.decodeChatStream({ status: 200, headers: {} }, chunked(body)))).rejects.toMatchObject({ failure: { kind: 'malformed', midStream: true } });
  });

  it('turns a transport error while reading into stream_interrupted', async () => {
    async function* broken(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('data: {"id":"x","choices":[{"index":0,"delta":{"content":"Hi"}}]}\n\n');
      throw new Error('other side closed');
    }
    await expect(collect(bound.decodeChatStream({ status: 200, headers: {} }, broken()))).rejects.toMatchObject({ failure: { kind: 'stream_interrupted', midStream: true } });
  });

  it('ignores keep-alive comments and stops reading at [DONE]', async () => {
    const body = Buffer.from(': keep-alive\n\ndata: {"id":"x","model":"m","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\ndata: {not json\n\n');
    const events = await collect(bound.decodeChatStream({ status: 200, headers: {} }, chunked(body)));
    expect(events.map((e) => e.kind)).toEqual(['identity', 'delta', 'finish']);
  });
});

describe('openai-compatible: classifying errors', () => {
  it('reads vLLM legacy top-level errors with a numeric code', () => {
    expect(decodeError('vllmLegacyContextError')).toMatchObject({ kind: 'context_length', status: 400, providerCode: 'BadRequestError' });
  });

  it('reads vLLM wrapped errors with a numeric code', () => {
    expect(decodeError('vllmWrappedNotFound')).toMatchObject({ kind: 'not_found', status: 404 });
  });

  it('reads the rate-limit reset of the exhausted limit as the wait', () => {
    expect(decodeError('rateLimited')).toMatchObject({ kind: 'rate_limited', retryAfterMs: 120, providerCode: 'rate_limit_exceeded' });
  });

  it('tells an exhausted quota from a momentary rate limit', () => {
    expect(decodeError('quotaExhausted')).toMatchObject({ kind: 'quota_exhausted', status: 429 });
  });

  it('classifies 503 as overloaded with its retry-after', () => {
    expect(decodeError('overloaded')).toMatchObject({ kind: 'overloaded', retryAfterMs: 2000 });
  });

  it('reads retry-after HTTP-dates against the injected clock', () => {
    const at = Date.UTC(2025, 5, 1);
    const fixed = createOpenAICompatibleAdapter({ now: () => at }).bind(openAIDeployment());
    const f = fixed.decodeError({ status: 429, headers: { 'retry-after': new Date(at + 4000).toUTCString() } }, Buffer.from('{}'));
    expect(f).toMatchObject({ kind: 'rate_limited', retryAfterMs: 4000 });
  });

  it.each([
    [400, { error: { message: 'bad', type: 'invalid_request_error', code: null } }, 'bad_request'],
    [422, { object: 'error', message: 'Input validation error: `inputs` tokens + `max_new_tokens` must be <= 4096', type: 'BadRequestError', code: 422 }, 'bad_request'],
    [400, { error: { message: 'The prompt is too long: 9000 tokens, max 8192', type: 'BadRequestError', code: 400 } }, 'context_length'],
    [403, { error: { message: 'Country not supported', type: 'request_forbidden', code: 'unsupported_country_region_territory' } }, 'auth'],
    [408, { error: { message: 'timeout' } }, 'timeout'],
    [502, { error: { message: 'bad gateway' } }, 'server_error'],
    [504, { error: { message: 'gateway timeout' } }, 'server_error'],
    [529, { error: { message: 'overloaded' } }, 'overloaded'],
    [400, { error: { message: 'Invalid prompt: your prompt was flagged as potentially violating our usage policy.', type: 'invalid_request_error', code: 'invalid_prompt' } }, 'content_filter'],
  ])('HTTP %d %j → %s', (status, body, kind) => {
    expect(bound.decodeError({ status, headers: {} }, Buffer.from(JSON.stringify(body))).kind).toBe(kind);
  });

  it('keeps a non-JSON error body readable and the status authoritative', () => {
    const f = bound.decodeError({ status: 502, headers: {} }, Buffer.from('<html>502 Bad Gateway</html>'));
    expect(f).toMatchObject({ kind: 'server_error', status: 502, message: '<html>502 Bad Gateway</html>' });
  });

  it('scrubs keys that a compatible server echoes unmasked', () => {
    const f = bound.decodeError({ status: 401, headers: {} }, Buffer.from('{"error":{"message":"bad key sk-live1234567890abcdef and Bearer abcdefghijklmnop"}}'));
    expect(f.message).toBe('bad key sk-*** and Bearer ***');
  });
});
