// The stream decoder skips JSON.parse for frames that repeat the last content delta around new
// text (delta-template.ts). Whatever the frames, it must yield exactly what parsing every frame
// yields, and fail exactly where that fails.

import { describe, expect, it, vi } from 'vitest';
import type { StreamEvent } from '../../domain/chat.js';
import { createOpenAIErrorClassifier } from './classify-error.js';
import { decodeOpenAIStream } from './decode-stream.js';
import { DeltaTemplate } from './delta-template.js';

const classify = createOpenAIErrorClassifier(() => 0);

function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x / 2147483648;
  };
}

// Texts a model sends, and ones that must take the parse: quotes, escapes, control characters,
// unicode escapes, a text that looks like the frame around it.
const TEXTS = ['The', ' contract', ' says', ' 42', '.', 'Hello', ' world', 'é🙂', '', 'say "hi"', 'back\\slash', 'line\nbreak', 'tab\t', '\u0001', '\u2028', '"},{"index":1', 'content', '"content":"x'];

/** A stream's own spelling, fixed for the stream (other servers' frames), and rare deviations frame by frame. */
interface Style {
  spaced: boolean;
  escaped: boolean;
  logprobs: boolean;
  rare: number;
}

function frame(r: () => number, i: number, id: string, st: Style): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const odd = (p: number): boolean => r() < p * st.rare;
  const text = pick(TEXTS);
  const delta: Record<string, unknown> = odd(0.05) ? { role: 'assistant', content: text } : odd(0.05) ? { tool_calls: [{ index: 0, function: { arguments: text } }] } : odd(0.03) ? { refusal: text } : { content: text };
  const choice: Record<string, unknown> = { index: odd(0.1) ? 1 : 0, delta, logprobs: st.logprobs || odd(0.1) ? { content: [{ token: 'tok', logprob: -1 }] } : null, finish_reason: odd(0.04) ? 'stop' : null };
  const chunk: Record<string, unknown> = { id: odd(0.03) ? `${id}-other` : id, object: 'chat.completion.chunk', created: 1796146775 + (odd(0.05) ? i : 0), model: 'm', choices: odd(0.03) ? [choice, { index: 2, delta: {} }] : [choice] };
  if (odd(0.05)) chunk.system_fingerprint = 'fp_' + i;
  if (odd(0.03)) chunk.usage = { prompt_tokens: 3, completion_tokens: i, total_tokens: 3 + i };
  if (odd(0.02)) chunk.error = { message: 'overloaded', type: 'server_error' };
  let json = JSON.stringify(chunk);
  if (st.spaced) json = json.replace(/":/g, '": ');
  if (st.escaped) json = json.replace(/é/g, '\\u00e9');
  if (odd(0.01)) json = json.slice(0, -3); // a broken frame
  return `data: ${json}\n\n`;
}

async function decode(body: string, template: boolean, r: () => number): Promise<{ events: StreamEvent[]; error?: unknown }> {
  // Split the bytes at random places, as the network does.
  const bytes = Buffer.from(body);
  const parts: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; ) {
    const n = 1 + Math.floor(r() * 400);
    parts.push(bytes.subarray(at, at + n));
    at += n;
  }
  async function* it(): AsyncGenerator<Uint8Array> {
    yield* parts;
  }
  const events: StreamEvent[] = [];
  try {
    for await (const e of decodeOpenAIStream({ headers: {} }, it(), classify, { template })) events.push(e);
    return { events };
  } catch (error) {
    return { events, error: error instanceof Error ? { name: error.name, message: error.message, failure: (error as { failure?: unknown }).failure } : error };
  }
}

describe('openai-compatible stream: frames that repeat the last delta around new text', () => {
  it('yields exactly what parsing every frame yields, and fails where it fails, over 400 generated streams', async () => {
    const match = vi.spyOn(DeltaTemplate.prototype, 'match');
    let templated = 0;
    for (let s = 0; s < 400; s++) {
      const r = rng(s + 1);
      let body = '';
      const n = 5 + Math.floor(r() * 60);
      const style: Style = { spaced: r() < 0.2, escaped: r() < 0.2, logprobs: r() < 0.1, rare: r() < 0.5 ? 0.2 : 1 };
      for (let i = 0; i < n; i++) body += frame(r, i, `chatcmpl-${s}`, style);
      if (r() < 0.9) body += 'data: [DONE]\n\n';
      const split = rng(s + 1000);
      const parsed = await decode(body, false, split);
      const fast = await decode(body, true, rng(s + 1000));
      expect(fast, `stream ${s}`).toEqual(parsed);
      templated += parsed.events.length;
    }
    expect(templated).toBeGreaterThan(4000);
    // Most plain frames were answered from the kept bytes, so the comparison covered that path.
    const hits = match.mock.results.filter((x) => x.value !== undefined).length;
    expect(hits).toBeGreaterThan(1500);
    match.mockRestore();
  });

  it('parses only the frames that differ from the last delta around the text, in a stream as servers send it', async () => {
    const match = vi.spyOn(DeltaTemplate.prototype, 'match');
    const words = Array.from({ length: 50 }, (_, i) => (i % 7 === 3 ? ' line\n' : ` w${i}`));
    let body = `data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}\n\n`;
    for (const w of words) body += `data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":${JSON.stringify(w)}},"finish_reason":null}]}\n\n`;
    body += 'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n';
    const { events } = await decode(body, true, rng(3));
    expect(events.filter((e) => e.kind === 'delta' && e.content !== undefined).map((e) => (e as { content: string }).content)).toEqual(words);
    // The first word is parsed and learnt; of the other 49, the 7 with a newline are parsed.
    expect(match.mock.results.filter((x) => x.value !== undefined)).toHaveLength(42);
    match.mockRestore();
  });

  it('answers from the kept bytes for a plain frame, and not for one whose text needs unescaping or whose surroundings changed', () => {
    const t = new DeltaTemplate();
    const at = (text: string, id = 'a') => `{"id":"${id}","choices":[{"index":0,"delta":{"content":${JSON.stringify(text)}},"finish_reason":null}]}`;
    t.learn(at('Hello'), JSON.parse(at('Hello')), [{ kind: 'delta', choiceIndex: 0, content: 'Hello' }]);
    expect(t.match(at(' world'))).toEqual({ kind: 'delta', choiceIndex: 0, content: ' world' });
    expect(t.match(at('say "hi"'))).toBeUndefined();
    expect(t.match(at('a\\b'))).toBeUndefined();
    expect(t.match(at(''))).toBeUndefined();
    expect(t.match(at('x', 'b'))).toBeUndefined();
  });

  it('does not learn a split that does not parse back to the delta (a server that escapes the text, the same text elsewhere)', () => {
    const t = new DeltaTemplate();
    const frame = (note: string) => `{"id":"a","note":"${note}","choices":[{"index":0,"delta":{"content":"\\u0048i"},"finish_reason":null}]}`;
    expect(JSON.parse(frame('Hi')).choices[0].delta.content).toBe('Hi');
    t.learn(frame('Hi'), JSON.parse(frame('Hi')), [{ kind: 'delta', choiceIndex: 0, content: 'Hi' }]);
    expect(t.match(frame('Yo'))).toBeUndefined();
  });

  it('does not learn a frame whose text appears twice, or one that carries more than a content delta', () => {
    const twice = '{"id":"a","echo":{"content":"Hi"},"choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}';
    const t = new DeltaTemplate();
    t.learn(twice, JSON.parse(twice), [{ kind: 'delta', choiceIndex: 0, content: 'Hi' }]);
    expect(t.match(twice.replace(/Hi/g, 'Yo'))).toBeUndefined();
    const role = '{"id":"a","choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},"finish_reason":null}]}';
    t.learn(role, JSON.parse(role), [{ kind: 'delta', choiceIndex: 0, role: 'assistant', content: 'Hi' }]);
    expect(t.match(role.replace('Hi', 'Yo'))).toBeUndefined();
  });
});
