// The stock `openai` SDK pointed at Treaty, with emulated Azure, Bedrock and vLLM behind it.

import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYS, startHarness, type Harness } from './support/harness.js';

let h: Harness;
let client: OpenAI;

beforeAll(async () => {
  h = await startHarness();
  client = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: KEYS.client, maxRetries: 0 });
});
afterAll(async () => h?.close());

const ask = [{ role: 'user' as const, content: 'Say hello to the platform team' }];

describe.each(['only-azure', 'only-azure-v1', 'only-bedrock', 'only-vllm'])('chat through %s', (model) => {
  it('answers a plain request with text, finish reason and reported usage', async () => {
    const { data, response } = await client.chat.completions.create({ model, messages: ask, max_completion_tokens: 50 }).withResponse();
    expect(data.object).toBe('chat.completion');
    expect(data.choices[0]!.message.content!.length).toBeGreaterThan(0);
    expect(data.choices[0]!.finish_reason).toBe('stop');
    expect(data.usage!.prompt_tokens).toBeGreaterThan(0);
    expect(data.usage!.total_tokens).toBe(data.usage!.prompt_tokens + data.usage!.completion_tokens);
    expect(response.headers.get('x-treaty-attempts')).toBe('1');
    expect(response.headers.get('x-treaty-deployment')).toBeTruthy();
  });

  it('streams the same answer chunk by chunk, with usage only when asked', async () => {
    const full = await client.chat.completions.create({ model, messages: ask, max_completion_tokens: 50 });
    const stream = await client.chat.completions.create({ model, messages: ask, max_completion_tokens: 50, stream: true, stream_options: { include_usage: true } });
    let text = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined;
    let contentChunks = 0;
    const ids = new Set<string>();
    for await (const chunk of stream) {
      ids.add(chunk.id);
      if (chunk.usage) usage = chunk.usage;
      const c = chunk.choices[0];
      if (c?.delta.content) {
        text += c.delta.content;
        contentChunks++;
      }
      if (c?.finish_reason) finish = c.finish_reason;
    }
    expect(text).toBe(full.choices[0]!.message.content);
    expect(contentChunks).toBeGreaterThan(1);
    expect(finish).toBe('stop');
    expect(usage?.completion_tokens).toBe(full.usage!.completion_tokens);
    expect(ids.size).toBe(1);

    const quiet = await client.chat.completions.create({ model, messages: ask, stream: true });
    let sawUsage = false;
    for await (const chunk of quiet) if (chunk.usage) sawUsage = true;
    expect(sawUsage).toBe(false);
  });

  it('returns tool calls, streamed as deltas that assemble into valid JSON arguments', async () => {
    const tools = [{ type: 'function' as const, function: { name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { query: { type: 'string' } } } } }];
    const res = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'Weather in Paris?' }], tools });
    expect(res.choices[0]!.finish_reason).toBe('tool_calls');
    const call = res.choices[0]!.message.tool_calls![0]!;
    expect(call.type === 'function' && call.function.name).toBe('get_weather');

    const stream = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'Weather in Paris?' }], tools, stream: true });
    let args = '';
    let name = '';
    let finish: string | null = null;
    for await (const chunk of stream) {
      for (const tc of chunk.choices[0]?.delta.tool_calls ?? []) {
        if (tc.function?.name) name = tc.function.name;
        args += tc.function?.arguments ?? '';
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(name).toBe('get_weather');
    expect(JSON.parse(args)).toEqual(JSON.parse(call.type === 'function' ? call.function.arguments : '{}'));
    expect(finish).toBe('tool_calls');

    // The tool result goes back and the model answers in text.
    const followUp = await client.chat.completions.create({
      model,
      tools,
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        { role: 'assistant', content: null, tool_calls: [call] },
        { role: 'tool', tool_call_id: call.id, content: '{"temp_c": 21}' },
      ],
    });
    expect(followUp.choices[0]!.finish_reason).toBe('stop');
    expect(followUp.choices[0]!.message.content).toBeTruthy();
  });
});

describe('models', () => {
  it('lists the public models and retrieves one', async () => {
    const list = await client.models.list();
    expect(list.data.map((m) => m.id)).toEqual(expect.arrayContaining(['frontier', 'embed', 'only-bedrock']));
    const one = await client.models.retrieve('frontier');
    expect(one).toMatchObject({ id: 'frontier', object: 'model' });
  });

  it('answers an unknown model with NotFoundError and code model_not_found', async () => {
    const err = await client.models.retrieve('nope').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    const err2 = await client.chat.completions.create({ model: 'nope', messages: ask }).catch((e: unknown) => e);
    expect(err2).toBeInstanceOf(OpenAI.NotFoundError);
    expect((err2 as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('model_not_found');
  });
});

describe('embeddings', () => {
  it('returns float vectors, and base64 that the SDK decodes to the same numbers', async () => {
    const f = await client.embeddings.create({ model: 'embed', input: ['alpha', 'beta'], encoding_format: 'float' });
    expect(f.data).toHaveLength(2);
    expect(f.data[0]!.embedding.length).toBeGreaterThan(8);
    expect(f.usage.prompt_tokens).toBeGreaterThan(0);
    const b = await client.embeddings.create({ model: 'embed', input: ['alpha', 'beta'] });
    expect(b.data[0]!.embedding.length).toBe(f.data[0]!.embedding.length);
    // Both deployments in the pool generate the same deterministic vectors for the same text.
    b.data[0]!.embedding.forEach((x, i) => expect(x).toBeCloseTo(f.data[0]!.embedding[i]!, 5));
  });

  it('refuses a chat model for embeddings with a clear 400', async () => {
    const err = await client.embeddings.create({ model: 'only-vllm', input: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as Error).message).toMatch(/embeddings/);
  });
});

describe('errors the SDK understands', () => {
  it('a wrong key is an AuthenticationError', async () => {
    const bad = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: 'sk-wrong-key-000000000000', maxRetries: 0 });
    const err = await bad.chat.completions.create({ model: 'frontier', messages: ask }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it('a missing field is a BadRequestError naming the parameter', async () => {
    const err = await client.chat.completions.create({ model: 'frontier', messages: [] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('messages');
  });
});
