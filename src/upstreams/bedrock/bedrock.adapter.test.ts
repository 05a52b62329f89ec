import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { UpstreamFailureError } from '../../domain/upstream-failure.js';
import { bodyOf, chunked, collect, headOf, runAdapterSuite, type RecordedResponse, type SuiteCase } from '../test-support/adapter-suite.js';
import { testDeployment } from './fixtures/deployment.js';
import { concat, corruptCrc, errorFrame, eventFrame, exceptionFrame, messageStart, messageStop, metadata, textDelta } from './fixtures/frames.js';
import { bedrockAdapter } from './index.js';

const CASES: SuiteCase[] = ['chatText', 'chatToolCall', 'streamText', 'streamToolCall', 'streamErrorAfter200', 'streamTruncated', 'rateLimited', 'contextLength', 'contentFilterPrompt', 'serverError', 'authError'];
const load = (c: SuiteCase): RecordedResponse => JSON.parse(readFileSync(new URL(`./fixtures/${c}.json`, import.meta.url), 'utf8')) as RecordedResponse;

runAdapterSuite('bedrock', {
  adapter: bedrockAdapter,
  deployment: testDeployment(),
  responses: Object.fromEntries(CASES.map((c) => [c, load(c)])),
});

const bound = bedrockAdapter.bind(testDeployment());
const HEAD = { status: 200, headers: { 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': 'req-1' } };
const decodeStream = (bytes: Uint8Array) => collect(bound.decodeChatStream(HEAD, chunked(bytes, 5)));
async function streamFailure(bytes: Uint8Array) {
  const err = await decodeStream(bytes).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UpstreamFailureError);
  return (err as UpstreamFailureError).failure;
}
const converse = (body: unknown, headers: Record<string, string> = {}) =>
  bound.decodeChat({ status: 200, headers: { 'x-amzn-requestid': 'req-1', ...headers } }, Buffer.from(JSON.stringify(body)));

describe('bedrock decodeChat', () => {
  it.each([
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['max_tokens', 'length'],
    ['model_context_window_exceeded', 'length'],
    ['tool_use', 'tool_calls'],
    ['guardrail_intervened', 'content_filter'],
    ['content_filtered', 'content_filter'],
  ])('maps stopReason %s to finish_reason %s', (stopReason, finish) => {
    const res = converse({ output: { message: { role: 'assistant', content: [{ text: 'x' }] } }, stopReason });
    expect(res.choices[0]?.finishReason).toBe(finish);
    expect(res.choices[0]?.extra).toBeUndefined();
  });

  it('finishes an unknown stopReason as stop and keeps the raw value', () => {
    const res = converse({ output: { message: { role: 'assistant', content: [{ text: 'x' }] } }, stopReason: 'brand_new_reason' });
    expect(res.choices[0]?.finishReason).toBe('stop');
    expect(res.choices[0]?.extra).toEqual({ stop_reason: 'brand_new_reason' });
  });

  it('counts cache reads and writes into the prompt and reports them separately', () => {
    const usage = { inputTokens: 4, outputTokens: 155, totalTokens: 3811, cacheReadInputTokens: 0, cacheWriteInputTokens: 3652 };
    const res = converse({ output: { message: { role: 'assistant', content: [{ text: 'x' }] } }, stopReason: 'end_turn', usage });
    expect(res.usage).toEqual({ promptTokens: 3656, completionTokens: 155, totalTokens: 3811, cachedPromptTokens: 0, cacheWriteTokens: 3652 });
  });

  it('leaves usage unknown, not zero, when Bedrock reports none', () => {
    expect(converse({ output: { message: { role: 'assistant', content: [{ text: 'x' }] } }, stopReason: 'end_turn' }).usage).toBeUndefined();
  });

  it('names the response after the Bedrock request id and the deployment model', () => {
    const res = converse({ output: { message: { role: 'assistant', content: [{ text: 'Hi' }, { text: ' you' }] } }, stopReason: 'end_turn' });
    expect(res).toMatchObject({ id: 'chatcmpl-req-1', model: 'anthropic.claude-3-5-sonnet-20240620-v1:0' });
    expect(res.choices[0]?.message.content).toBe('Hi you');
  });

  it('turns a 200 that is not Converse JSON into a malformed failure', () => {
    expect(() => bound.decodeChat({ status: 200, headers: {} }, Buffer.from('<html>'))).toThrow(UpstreamFailureError);
  });
});

describe('bedrock decodeChatStream', () => {
  const USAGE = { inputTokens: 12, outputTokens: 3, totalTokens: 15 };

  it('keeps reading after messageStop and reports the usage that arrives in metadata', async () => {
    const events = await decodeStream(concat(messageStart(), textDelta('Hi'), messageStop('end_turn'), metadata(USAGE)));
    const kinds = events.map((e) => e.kind);
    expect(kinds.indexOf('usage')).toBeGreaterThan(kinds.indexOf('finish'));
    expect(events.at(-1)).toEqual({ kind: 'usage', usage: { promptTokens: 12, completionTokens: 3, totalTokens: 15 } });
  });

  it('completes without usage when the stream ends after messageStop but before metadata', async () => {
    const events = await decodeStream(concat(messageStart(), textDelta('Hi'), messageStop('max_tokens')));
    expect(events.find((e) => e.kind === 'finish')).toMatchObject({ finishReason: 'length' });
    expect(events.some((e) => e.kind === 'usage')).toBe(false);
  });

  it('fails as rate_limited mid-stream on a throttlingException frame after the 200', async () => {
    const f = await streamFailure(concat(messageStart(), textDelta('Hel'), exceptionFrame('throttlingException', 'Too many requests')));
    expect(f).toMatchObject({ kind: 'rate_limited', midStream: true, providerCode: 'throttlingException' });
  });

  it.each([
    ['serviceUnavailableException', 'overloaded'],
    ['internalServerException', 'server_error'],
    ['modelStreamErrorException', 'model_error'],
    ['validationException', 'bad_request'],
  ])('classifies an in-stream %s as %s', async (type, kind) => {
    expect((await streamFailure(concat(messageStart(), exceptionFrame(type, 'boom')))).kind).toBe(kind);
  });

  it('treats a generic :message-type error frame as a server error', async () => {
    expect((await streamFailure(concat(messageStart(), errorFrame('InternalFailure', 'oops')))).kind).toBe('server_error');
  });

  it('reports a frame whose CRC is corrupted as malformed instead of crashing', async () => {
    const f = await streamFailure(concat(messageStart(), corruptCrc(textDelta('Hello')), messageStop('end_turn')));
    expect(f.kind).toBe('malformed');
  });

  it('reports a corrupted length prefix as malformed without waiting for the bogus length', async () => {
    const bad = Uint8Array.from(textDelta('Hello'));
    bad[0] = 0x7f; // total_len now ~2 GB; the prelude CRC no longer matches
    expect((await streamFailure(concat(messageStart(), bad))).kind).toBe('malformed');
  });

  it('numbers tool calls by their order, not by Bedrock content block index', async () => {
    const start = (i: number, id: string) => eventFrame('contentBlockStart', { contentBlockIndex: i, start: { toolUse: { toolUseId: id, name: 'f' } } });
    const input = (i: number, s: string) => eventFrame('contentBlockDelta', { contentBlockIndex: i, delta: { toolUse: { input: s } } });
    const events = await decodeStream(concat(messageStart(), textDelta('Checking.'), start(1, 'a'), input(1, '{}'), start(2, 'b'), input(2, '{"x":1}'), messageStop('tool_use')));
    const calls = events.flatMap((e) => (e.kind === 'delta' ? (e.toolCalls ?? []) : []));
    expect(calls.map((c) => [c.index, c.id ?? null, c.function?.arguments])).toEqual([
      [0, 'a', ''],
      [0, null, '{}'],
      [1, 'b', ''],
      [1, null, '{"x":1}'],
    ]);
  });

  it('carries reasoning deltas as extras and ignores padding and unknown events', async () => {
    const events = await decodeStream(
      concat(messageStart(), eventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { reasoningContent: { text: 'hmm' } } }, 'xyz'), eventFrame('someFutureEvent', { a: 1 }), textDelta('Hi'), messageStop('end_turn')),
    );
    expect(events.filter((e) => e.kind === 'delta' && e.extra)).toEqual([{ kind: 'delta', choiceIndex: 0, extra: { reasoning_content: 'hmm' } }]);
    expect(events.map((e) => (e.kind === 'delta' ? (e.content ?? '') : '')).join('')).toBe('Hi');
  });

  it('turns a transport failure mid-body into stream_interrupted, but leaves our own abort to the proxy', async () => {
    async function* breaks(err: Error) {
      yield concat(messageStart(), textDelta('Hi'));
      throw err;
    }
    const reset = Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
    const failed = await collect(bound.decodeChatStream(HEAD, breaks(reset))).catch((e: unknown) => e);
    expect((failed as UpstreamFailureError).failure).toMatchObject({ kind: 'stream_interrupted', midStream: true });
    const abort = Object.assign(new Error('aborted'), { name: 'AbortError' });
    await expect(collect(bound.decodeChatStream(HEAD, breaks(abort)))).rejects.toBe(abort);
  });

  it('completes when the connection drops inside the metadata frame after messageStop', async () => {
    const meta = metadata(USAGE);
    const events = await decodeStream(concat(messageStart(), textDelta('Hi'), messageStop('end_turn'), meta.subarray(0, 20)));
    expect(events.find((e) => e.kind === 'finish')).toMatchObject({ finishReason: 'stop' });
  });

  it('fails as stream_interrupted when the body ends cleanly between frames before messageStop', async () => {
    expect((await streamFailure(concat(messageStart(), textDelta('Hi')))).kind).toBe('stream_interrupted');
  });
});

describe('bedrock decodeError', () => {
  const err = (status: number, type: string | undefined, body: Record<string, unknown>) =>
    bound.decodeError({ status, headers: type ? { 'x-amzn-errortype': type } : {} }, Buffer.from(JSON.stringify(body)));

  it.each([
    [400, 'ValidationException', 'bad_request'],
    [400, 'ServiceQuotaExceededException', 'quota_exhausted'],
    [403, 'AccessDeniedException', 'auth'],
    [403, 'InvalidSignatureException', 'auth'],
    [403, 'ExpiredTokenException', 'auth'],
    [404, 'ResourceNotFoundException', 'not_found'],
    [408, 'ModelTimeoutException', 'model_error'],
    [424, 'ModelErrorException', 'model_error'],
    [429, 'ThrottlingException', 'rate_limited'],
    [429, 'ModelNotReadyException', 'overloaded'],
    [500, 'InternalServerException', 'server_error'],
    [503, 'ServiceUnavailableException', 'overloaded'],
    [502, 'SomethingNew', 'server_error'],
    [418, 'SomethingNew', 'bad_request'],
  ])('classifies %i %s as %s', (status, type, kind) => {
    expect(err(status, `${type}:http://internal.amazon.com/coral/com.amazon.bedrock/`, { message: 'm' })).toMatchObject({ kind, status, providerCode: type });
  });

  it('falls back to the body __type, dropping the namespace prefix', () => {
    expect(err(429, undefined, { __type: 'com.amazon.bedrock#ThrottlingException', message: 'slow down' })).toMatchObject({ kind: 'rate_limited', providerCode: 'ThrottlingException' });
  });

  it('reads an over-long prompt out of a ValidationException message', () => {
    expect(err(400, 'ValidationException', { message: 'prompt is too long: 201234 tokens > 200000 maximum' }).kind).toBe('context_length');
  });

  it('never repeats ARNs or account ids from the provider message', () => {
    const f = err(403, 'AccessDeniedException', {
      message: 'User: arn:aws:iam::123456789012:user/treaty is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-1::foundation-model/x because of account 123456789012',
    });
    expect(f.kind).toBe('auth');
    expect(f.message).not.toMatch(/arn:aws|123456789012/);
    expect(f.message).toContain('is not authorized');
  });
});

describe('bedrock fixtures', () => {
  it('stream fixtures carry the padding field real Bedrock adds', () => {
    expect(Buffer.from(bodyOf(load('streamText'))).toString('latin1')).toContain('"p":"');
    expect(headOf(load('streamText')).headers['content-type']).toBe('application/vnd.amazon.eventstream');
  });
});
