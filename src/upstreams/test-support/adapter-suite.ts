// The one suite every adapter passes: the same cases and the same expected canonical results,
// fed with each provider's own recorded wire bytes. A provider that cannot express a case
// declares it in `unsupported` with the reason; it is never silently skipped.

import { describe, expect, it } from 'vitest';
import type { ChatRequest, StreamEvent } from '../../domain/chat.js';
import type { Deployment } from '../../domain/deployment.js';
import { UpstreamFailureError, type FailureKind } from '../../domain/upstream-failure.js';
import type { BoundAdapter, ProviderAdapter, UpstreamResponseHead } from '../adapter.js';

/** A response as recorded from the wire. Binary bodies (event streams) are base64. */
export interface RecordedResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  bodyEncoding?: 'utf8' | 'base64';
}

export type SuiteCase =
  | 'chatText'
  | 'chatToolCall'
  | 'streamText'
  | 'streamToolCall'
  | 'streamErrorAfter200'
  | 'streamTruncated'
  | 'rateLimited'
  | 'contextLength'
  | 'contentFilterPrompt'
  | 'serverError'
  | 'authError';

export interface AdapterFixtures {
  adapter: ProviderAdapter;
  deployment: Deployment;
  responses: Partial<Record<SuiteCase, RecordedResponse>>;
  /** Cases this provider cannot produce, with the reason. */
  unsupported?: Partial<Record<SuiteCase, string>>;
}

/**
 * Every fixture encodes the same conversation: the answer text is "Hello there", usage is
 * 12 prompt + 3 completion = 15 tokens, and the tool call is get_weather({"city":"Paris"}).
 */
export const EXPECTED = {
  text: 'Hello there',
  usage: { promptTokens: 12, completionTokens: 3, totalTokens: 15 },
  tool: { name: 'get_weather', arguments: { city: 'Paris' } },
};

export const SAMPLE_REQUEST: ChatRequest = {
  model: 'frontier',
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'Say hello' },
  ],
  stream: false,
  includeUsage: false,
  maxTokens: 64,
  maxTokensField: 'max_completion_tokens',
  temperature: 0.5,
  passthrough: {},
};

export function headOf(r: RecordedResponse): UpstreamResponseHead {
  return { status: r.status, headers: Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k.toLowerCase(), v])) };
}

export function bodyOf(r: RecordedResponse): Uint8Array {
  return Buffer.from(r.body, r.bodyEncoding === 'base64' ? 'base64' : 'utf8');
}

/** Feeds the body in small pieces, so decoders are tested on frames split across reads. */
export async function* chunked(bytes: Uint8Array, size = 7): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, Math.min(bytes.length, i + size));
}

export async function collect(events: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const out: StreamEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}

function textOf(events: StreamEvent[]): string {
  return events.map((e) => (e.kind === 'delta' ? (e.content ?? '') : '')).join('');
}

async function expectStreamFailure(bound: BoundAdapter, r: RecordedResponse): Promise<{ events: StreamEvent[]; kind: FailureKind }> {
  const events: StreamEvent[] = [];
  try {
    for await (const e of bound.decodeChatStream(headOf(r), chunked(bodyOf(r)))) events.push(e);
  } catch (err) {
    expect(err).toBeInstanceOf(UpstreamFailureError);
    return { events, kind: (err as UpstreamFailureError).failure.kind };
  }
  throw new Error('stream decoded without failure');
}

export function runAdapterSuite(name: string, fx: AdapterFixtures): void {
  const bound = fx.adapter.bind(fx.deployment);
  const when = (c: SuiteCase, title: string, fn: (r: RecordedResponse) => Promise<void> | void): void => {
    const reason = fx.unsupported?.[c];
    const r = fx.responses[c];
    if (reason) {
      it(`${title} — declared unsupported: ${reason}`, () => expect(r).toBeUndefined());
      return;
    }
    it(title, async () => {
      expect(r, `fixture ${c} is missing for ${name}`).toBeDefined();
      await fn(r!);
    });
  };

  describe(`adapter suite: ${name}`, () => {
    it('encodes a chat request to a POST with a body', async () => {
      const req = await bound.encodeChat(SAMPLE_REQUEST, { wantUsage: true });
      expect(req.method).toBe('POST');
      expect(req.path.startsWith('/')).toBe(true);
      expect(req.body.length).toBeGreaterThan(0);
    });

    when('chatText', 'decodes a plain answer with text, finish reason and usage', (r) => {
      const res = bound.decodeChat(headOf(r), bodyOf(r));
      expect(res.choices[0]?.message.content).toBe(EXPECTED.text);
      expect(res.choices[0]?.finishReason).toBe('stop');
      expect(res.usage).toMatchObject(EXPECTED.usage);
    });

    when('chatToolCall', 'decodes a tool call with JSON-string arguments', (r) => {
      const res = bound.decodeChat(headOf(r), bodyOf(r));
      const call = res.choices[0]?.message.tool_calls?.[0];
      expect(call?.function.name).toBe(EXPECTED.tool.name);
      expect(JSON.parse(call!.function.arguments)).toEqual(EXPECTED.tool.arguments);
      expect(res.choices[0]?.finishReason).toBe('tool_calls');
    });

    when('streamText', 'decodes a streamed answer split across reads, with usage', async (r) => {
      const events = await collect(bound.decodeChatStream(headOf(r), chunked(bodyOf(r))));
      expect(textOf(events)).toBe(EXPECTED.text);
      expect(events.filter((e) => e.kind === 'delta' && e.content).length).toBeGreaterThanOrEqual(2);
      expect(events.find((e) => e.kind === 'finish')).toMatchObject({ finishReason: 'stop' });
      expect(events.find((e) => e.kind === 'usage')).toMatchObject({ usage: EXPECTED.usage });
    });

    when('streamToolCall', 'decodes streamed tool-call deltas into one call', async (r) => {
      const events = await collect(bound.decodeChatStream(headOf(r), chunked(bodyOf(r))));
      const deltas = events.flatMap((e) => (e.kind === 'delta' ? (e.toolCalls ?? []) : []));
      expect(deltas.find((d) => d.function?.name)?.function?.name).toBe(EXPECTED.tool.name);
      const args = deltas.map((d) => d.function?.arguments ?? '').join('');
      expect(JSON.parse(args)).toEqual(EXPECTED.tool.arguments);
      expect(events.find((e) => e.kind === 'finish')).toMatchObject({ finishReason: 'tool_calls' });
    });

    when('streamErrorAfter200', 'turns an error inside a 200 stream into a failure, not an answer', async (r) => {
      const { events, kind } = await expectStreamFailure(bound, r);
      expect(events.some((e) => e.kind === 'finish')).toBe(false);
      expect(['rate_limited', 'overloaded', 'server_error', 'stream_interrupted', 'model_error']).toContain(kind);
    });

    when('streamTruncated', 'reports a stream that ends before the answer completed', async (r) => {
      const { events, kind } = await expectStreamFailure(bound, r);
      expect(events.some((e) => e.kind === 'finish')).toBe(false);
      expect(kind).toBe('stream_interrupted');
    });

    when('rateLimited', 'classifies a 429 as rate limited and reads the wait it asks for', (r) => {
      const f = bound.decodeError(headOf(r), bodyOf(r));
      expect(['rate_limited', 'overloaded']).toContain(f.kind);
      expect(f.status).toBe(429);
    });

    when('contextLength', 'classifies an over-long prompt as context_length', (r) => {
      expect(bound.decodeError(headOf(r), bodyOf(r)).kind).toBe('context_length');
    });

    when('contentFilterPrompt', 'classifies a filtered prompt as content_filter', (r) => {
      expect(bound.decodeError(headOf(r), bodyOf(r)).kind).toBe('content_filter');
    });

    when('serverError', 'classifies a 5xx as server_error', (r) => {
      expect(bound.decodeError(headOf(r), bodyOf(r)).kind).toBe('server_error');
    });

    when('authError', 'classifies bad credentials as auth, without echoing them', (r) => {
      const f = bound.decodeError(headOf(r), bodyOf(r));
      expect(f.kind).toBe('auth');
      expect(f.message).not.toMatch(/sk-[A-Za-z0-9]{6,}|AKIA[0-9A-Z]{12,}/);
    });
  });
}
