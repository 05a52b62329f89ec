// The adapter's requests, sent with undici as the gateway sends them, against the Bedrock
// emulator: proves the SigV4 signature (including the twice-encoded model id path) verifies
// and that what the emulator answers decodes into the answer it generated.

import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ChatRequest } from '../../domain/chat.js';
import type { Deployment } from '../../domain/deployment.js';
import { UpstreamFailureError } from '../../domain/upstream-failure.js';
import { startBedrockEmulator } from '../../emulators/bedrock/index.js';
import { EmulatorEngine } from '../../emulators/core/engine.js';
import { countTokens, generateTokens } from '../../emulators/core/generator.js';
import type { RunningServer } from '../../emulators/core/http.js';
import { collect } from '../test-support/adapter-suite.js';
import { TEST_CREDENTIALS, TEST_MODEL, testDeployment } from './fixtures/deployment.js';
import { bedrockAdapter } from './index.js';

const PROFILE_ARN = 'arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-sonnet-20240620-v1:0';
const engine = new EmulatorEngine();
let server: RunningServer;
let deployment: Deployment;

beforeAll(async () => {
  engine.addDeployment('bedrock', { name: TEST_MODEL });
  engine.addDeployment('bedrock', { name: PROFILE_ARN });
  server = await startBedrockEmulator(engine, { region: 'us-east-1', credentials: TEST_CREDENTIALS, apiKey: 'bedrock-api-key-EXAMPLE' });
  deployment = testDeployment({ baseUrl: server.url });
});
afterAll(() => server.close());
afterEach(() => engine.clearAttempts());

const ask: ChatRequest = {
  model: 'frontier',
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'Say hello' },
  ],
  stream: false,
  includeUsage: true,
  maxTokens: 64,
  passthrough: {},
};
const promptText = 'Be brief.\nSay hello';
const n = 8 + (promptText.length % 9);
const expectedText = generateTokens(promptText, n).join('');

async function send(over: Partial<ChatRequest> = {}, dep = deployment, fault?: string) {
  const bound = bedrockAdapter.bind(dep);
  const req = { ...ask, ...over };
  const httpReq = await bound.encodeChat(req, { wantUsage: true });
  const res = await request(`${server.url}${httpReq.path}`, {
    method: httpReq.method,
    headers: { ...httpReq.headers, ...(fault ? { 'x-emulator-fault': fault } : {}) },
    body: httpReq.body,
  });
  return { bound, head: { status: res.statusCode, headers: res.headers }, body: res.body };
}

describe('bedrock adapter against the bedrock emulator', () => {
  it('signs a model id containing ":" so the emulator accepts it, and decodes the answer', async () => {
    const { bound, head, body } = await send();
    expect(head.status).toBe(200);
    const res = bound.decodeChat(head, new Uint8Array(await body.arrayBuffer()));
    expect(res.choices[0]?.message.content).toBe(expectedText);
    expect(res.choices[0]?.finishReason).toBe('stop');
    expect(res.usage).toEqual({ promptTokens: countTokens(promptText), completionTokens: n, totalTokens: countTokens(promptText) + n });
    expect(res.id).toBe(`chatcmpl-${String(head.headers['x-amzn-requestid'])}`);
  });

  it('streams the same answer, with finish and then usage from metadata', async () => {
    const { bound, head, body } = await send({ stream: true });
    expect(head.status).toBe(200);
    const events = await collect(bound.decodeChatStream(head, body));
    expect(events.map((e) => (e.kind === 'delta' ? (e.content ?? '') : '')).join('')).toBe(expectedText);
    expect(events.find((e) => e.kind === 'finish')).toMatchObject({ finishReason: 'stop' });
    expect(events.at(-1)).toEqual({ kind: 'usage', usage: { promptTokens: countTokens(promptText), completionTokens: n, totalTokens: countTokens(promptText) + n } });
  });

  it('reaches an inference-profile ARN model id (":" and "/" in one path segment)', async () => {
    const { bound, head, body } = await send({}, testDeployment({ baseUrl: server.url, upstreamModel: PROFILE_ARN }));
    expect(head.status).toBe(200);
    expect(bound.decodeChat(head, new Uint8Array(await body.arrayBuffer())).choices[0]?.message.content).toBe(expectedText);
    expect(engine.attempts()[0]?.deployment).toBe(PROFILE_ARN);
  });

  it('streams a tool call that decodes into one complete call', async () => {
    const tools = [{ type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object' } } }];
    const { bound, head, body } = await send({ stream: true, tools, toolChoice: 'required' });
    const events = await collect(bound.decodeChatStream(head, body));
    const calls = events.flatMap((e) => (e.kind === 'delta' ? (e.toolCalls ?? []) : []));
    expect(calls[0]).toMatchObject({ index: 0, type: 'function', function: { name: 'get_weather', arguments: '' } });
    expect(JSON.parse(calls.map((c) => c.function?.arguments ?? '').join(''))).toEqual({ query: expect.any(String) });
    expect(events.find((e) => e.kind === 'finish')).toMatchObject({ finishReason: 'tool_calls' });
  });

  it('sends a tool round trip the emulator accepts as a valid Converse conversation', async () => {
    const tools = [{ type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object' } } }];
    const messages: ChatRequest['messages'] = [
      ...ask.messages,
      { role: 'assistant', content: null, tool_calls: [{ id: 'tooluse_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'tooluse_1', content: '{"temp":21}' },
    ];
    for (const toolChoice of ['auto', 'none'] as const) {
      const { bound, head, body } = await send({ messages, tools, toolChoice });
      expect(head.status, `tool_choice ${toolChoice}`).toBe(200);
      expect(bound.decodeChat(head, new Uint8Array(await body.arrayBuffer())).choices[0]?.finishReason).toBe('stop');
    }
  });

  it('authenticates with a Bedrock API key as a bearer token', async () => {
    const { head } = await send({}, testDeployment({ baseUrl: server.url }, { apiKey: 'bedrock-api-key-EXAMPLE' }));
    expect(head.status).toBe(200);
  });

  it('classifies a wrong secret as auth without echoing any credential', async () => {
    const { bound, head, body } = await send({}, testDeployment({ baseUrl: server.url }, { secretAccessKey: 'not-the-secret' }));
    const f = bound.decodeError(head, new Uint8Array(await body.arrayBuffer()));
    expect(f).toMatchObject({ kind: 'auth', status: 403, providerCode: 'InvalidSignatureException' });
    expect(f.message).not.toContain('not-the-secret');
  });

  it.each([
    ['rate_limit', 'rate_limited', 429],
    ['server_error', 'server_error', 500],
    ['unavailable', 'overloaded', 503],
    ['context_length', 'context_length', 400],
    ['content_filter', 'content_filter', 400],
    ['auth', 'auth', 403],
  ])('classifies the emulator fault %s as %s', async (fault, kind, status) => {
    const { bound, head, body } = await send({}, deployment, fault);
    expect(bound.decodeError(head, new Uint8Array(await body.arrayBuffer()))).toMatchObject({ kind, status });
  });

  // A TCP reset may discard frames the client had not read yet, so only the kind is certain for a cut.
  it.each([
    ['stream_error;tokens=2', { kind: 'rate_limited', midStream: true }],
    ['malformed_chunk;tokens=1', { kind: 'malformed', midStream: true }],
    ['cut_after;tokens=2', { kind: 'stream_interrupted' }],
  ])('turns the mid-stream fault %s into a failure after the 200', async (fault, expected) => {
    const { bound, head, body } = await send({ stream: true }, deployment, fault);
    expect(head.status).toBe(200);
    const err = await collect(bound.decodeChatStream(head, body)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UpstreamFailureError);
    expect((err as UpstreamFailureError).failure).toMatchObject(expected);
  });

  it('completes without usage when the emulator omits the metadata frame', async () => {
    const { bound, head, body } = await send({ stream: true }, deployment, 'no_done');
    const events = await collect(bound.decodeChatStream(head, body));
    expect(events.find((e) => e.kind === 'finish')).toMatchObject({ finishReason: 'stop' });
    expect(events.some((e) => e.kind === 'usage')).toBe(false);
  });
});
