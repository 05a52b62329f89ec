import { describe, expect, it } from 'vitest';
import type { ChatMessage, ChatRequest } from '../../domain/chat.js';
import { GatewayError } from '../../domain/errors.js';
import { testDeployment } from './fixtures/deployment.js';
import { bedrockAdapter } from './index.js';
import type { ConverseRequestBody } from './wire-types.js';

const base: ChatRequest = { model: 'frontier', messages: [{ role: 'user', content: 'Hi' }], stream: false, includeUsage: false, passthrough: {} };
const WEATHER = { type: 'function' as const, function: { name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } } };
const TOOL_HISTORY: ChatMessage[] = [
  { role: 'user', content: 'Weather in Paris and Rome?' },
  {
    role: 'assistant',
    content: null,
    tool_calls: [
      { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
      { id: 'call_2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
    ],
  },
  { role: 'tool', tool_call_id: 'call_1', content: '{"temp":21}' },
  { role: 'tool', tool_call_id: 'call_2', content: 'sunny, 25C' },
];

async function encode(over: Partial<ChatRequest>, options: Record<string, unknown> = {}, baseUrl?: string) {
  const bound = bedrockAdapter.bind(testDeployment(baseUrl ? { baseUrl } : {}, options));
  const req = await bound.encodeChat({ ...base, ...over }, { wantUsage: true });
  return { req, body: JSON.parse(req.body as string) as ConverseRequestBody };
}
async function rejection(over: Partial<ChatRequest>, options: Record<string, unknown> = {}): Promise<GatewayError> {
  const err = await encode(over, options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GatewayError);
  return err as GatewayError;
}

describe('bedrock encodeChat: conversation', () => {
  it('moves system and developer messages into system, in order', async () => {
    const { body } = await encode({ messages: [{ role: 'system', content: 'Be brief.' }, { role: 'developer', content: 'Use French.' }, { role: 'user', content: 'Hi' }] });
    expect(body.system).toEqual([{ text: 'Be brief.' }, { text: 'Use French.' }]);
    expect(body.messages).toEqual([{ role: 'user', content: [{ text: 'Hi' }] }]);
  });

  it('merges consecutive same-role turns so roles alternate', async () => {
    const { body } = await encode({ messages: [{ role: 'user', content: 'One' }, { role: 'user', content: 'Two' }, { role: 'assistant', content: 'A' }, { role: 'assistant', content: 'B' }] });
    expect(body.messages).toEqual([
      { role: 'user', content: [{ text: 'One' }, { text: 'Two' }] },
      { role: 'assistant', content: [{ text: 'A' }, { text: 'B' }] },
    ]);
  });

  it('never sends blank text, and merges the turns around a message that became empty', async () => {
    const { body } = await encode({ messages: [{ role: 'user', content: 'One' }, { role: 'assistant', content: '  ' }, { role: 'user', content: [{ type: 'text', text: '' }, { type: 'text', text: 'Two' }] }] });
    expect(body.messages).toEqual([{ role: 'user', content: [{ text: 'One' }, { text: 'Two' }] }]);
  });

  it('sends tool calls as toolUse and several tool results as one user turn of toolResult blocks', async () => {
    const { body } = await encode({ messages: [...TOOL_HISTORY, { role: 'user', content: 'Thanks' }], tools: [WEATHER] });
    expect(body.messages).toEqual([
      { role: 'user', content: [{ text: 'Weather in Paris and Rome?' }] },
      {
        role: 'assistant',
        content: [
          { toolUse: { toolUseId: 'call_1', name: 'get_weather', input: { city: 'Paris' } } },
          { toolUse: { toolUseId: 'call_2', name: 'get_weather', input: { city: 'Rome' } } },
        ],
      },
      {
        role: 'user',
        content: [
          { toolResult: { toolUseId: 'call_1', content: [{ json: { temp: 21 } }] } },
          { toolResult: { toolUseId: 'call_2', content: [{ text: 'sunny, 25C' }] } },
          { text: 'Thanks' },
        ],
      },
    ]);
    expect(body.toolConfig).toEqual({ tools: [{ toolSpec: { name: 'get_weather', description: 'Weather for a city', inputSchema: { json: WEATHER.function.parameters } } }] });
  });

  it('flattens tool history to text and sends no toolConfig when tool_choice is none', async () => {
    const { body } = await encode({ messages: TOOL_HISTORY, tools: [WEATHER], toolChoice: 'none' });
    expect(body.toolConfig).toBeUndefined();
    const blocks = body.messages.flatMap((m) => m.content);
    expect(blocks.every((b) => 'text' in b && b.text.trim() !== '')).toBe(true);
    expect(JSON.stringify(body.messages)).toContain('get_weather({\\"city\\":\\"Paris\\"})');
    expect(JSON.stringify(body.messages)).toContain('sunny, 25C');
  });

  it('also flattens tool history when the request offers no tools', async () => {
    const { body } = await encode({ messages: TOOL_HISTORY });
    expect(body.toolConfig).toBeUndefined();
    expect(JSON.stringify(body)).not.toMatch(/toolUse|toolResult/);
  });

  it.each([
    ['auto', { auto: {} }],
    ['required', { any: {} }],
    [{ type: 'function', function: { name: 'get_weather' } }, { tool: { name: 'get_weather' } }],
  ] as const)('maps tool_choice %j to Converse toolChoice', async (toolChoice, expected) => {
    const { body } = await encode({ tools: [WEATHER], toolChoice });
    expect(body.toolConfig?.toolChoice).toEqual(expected);
  });

  it('rejects a conversation that starts with an assistant turn instead of inventing a user turn', async () => {
    expect((await rejection({ messages: [{ role: 'assistant', content: 'Hello!' }, { role: 'user', content: 'Hi' }] })).code).toBe('TREATY_INVALID_REQUEST');
  });

  it('sends inline images as bytes and refuses to fetch image URLs', async () => {
    const png = 'iVBORw0KGgo=';
    const { body } = await encode({ messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${png}` } }] }] });
    expect(body.messages[0]?.content[1]).toEqual({ image: { format: 'png', source: { bytes: png } } });
    const err = await rejection({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'http://169.254.169.254/latest/meta-data' } }] }] });
    expect(err.code).toBe('TREATY_UNSUPPORTED_PARAMETER');
    expect(err.options.param).toBe('messages[0].content[0].image_url');
  });
});

describe('bedrock encodeChat: parameters', () => {
  it('maps length, sampling and stop settings to inferenceConfig', async () => {
    const { body } = await encode({ maxTokens: 64, temperature: 0.5, topP: 0.9, stop: ['END'] });
    expect(body.inferenceConfig).toEqual({ maxTokens: 64, temperature: 0.5, topP: 0.9, stopSequences: ['END'] });
  });

  it.each([
    ['temperature', { temperature: 1.5 }],
    ['top_p', { topP: 1.2 }],
  ])('rejects %s above 1 instead of clamping it, even with unsupportedParams drop', async (param, over) => {
    const err = await rejection(over, { unsupportedParams: 'drop' });
    expect(err).toMatchObject({ code: 'TREATY_INVALID_REQUEST', options: { param } });
    expect(err.message).toContain('Bedrock accepts 0–1');
  });

  it.each([
    ['n', { n: 2 }],
    ['logprobs', { logprobs: true }],
    ['top_logprobs', { topLogprobs: 3 }],
    ['logit_bias', { logitBias: { '50256': -100 } }],
    ['seed', { seed: 7 }],
    ['response_format', { responseFormat: { type: 'json_object' as const } }],
    ['response_format', { responseFormat: { type: 'json_schema' as const, json_schema: { name: 's' } } }],
    ['presence_penalty', { presencePenalty: 0.5 }],
    ['frequency_penalty', { frequencyPenalty: 0.5 }],
  ])('rejects %s by default, naming it and the option that would drop it', async (param, over) => {
    const err = await rejection(over);
    expect(err).toMatchObject({ code: 'TREATY_UNSUPPORTED_PARAMETER', options: { param } });
    expect(err.message).toContain(`'${param}'`);
    expect(err.message).toContain('unsupportedParams: drop');
  });

  it('drops the same parameters when the deployment says unsupportedParams: drop', async () => {
    const { body } = await encode({ n: 2, logprobs: true, seed: 7, presencePenalty: 1, responseFormat: { type: 'json_object' } }, { unsupportedParams: 'drop' });
    expect(Object.keys(body).sort()).toEqual(['messages']);
  });

  it('accepts the harmless spellings of those parameters (n=1, logprobs=false, response_format text)', async () => {
    await expect(encode({ n: 1, logprobs: false, responseFormat: { type: 'text' }, presencePenalty: 0 })).resolves.toBeDefined();
  });
});

describe('bedrock encodeChat: request line', () => {
  it('posts to converse or converse-stream under the base path, with the model id as one encoded segment', async () => {
    expect((await encode({})).req.path).toBe('/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse');
    const { req } = await encode({ stream: true }, {}, 'http://127.0.0.1:4102/bedrock/');
    expect(req.path).toBe('/bedrock/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse-stream');
  });
});
