import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  type ConverseCommandInput,
  type ConverseStreamOutput,
} from '@aws-sdk/client-bedrock-runtime';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EmulatorEngine } from '../core/engine.js';
import { countTokens, generateTokens } from '../core/generator.js';
import type { RunningServer } from '../core/http.js';
import { startBedrockEmulator } from './index.js';

const MODEL = 'anthropic.claude-3-5-sonnet-20240620-v1:0';
const CREDS = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
const engine = new EmulatorEngine();
let server: RunningServer;

beforeAll(async () => {
  engine.addDeployment('bedrock', { name: MODEL });
  server = await startBedrockEmulator(engine, { region: 'us-east-1', credentials: CREDS });
});
afterAll(() => server.close());
afterEach(() => engine.clearAttempts());

function client(over: { secretAccessKey?: string; accessKeyId?: string; systemClockOffset?: number; fault?: string } = {}): BedrockRuntimeClient {
  const c = new BedrockRuntimeClient({
    endpoint: server.url,
    region: 'us-east-1',
    credentials: { ...CREDS, ...over },
    maxAttempts: 1,
    ...(over.systemClockOffset ? { systemClockOffset: over.systemClockOffset } : {}),
  });
  if (over.fault) {
    const fault = over.fault;
    // The fault header is added after signing: it is a test control, not part of the request.
    c.middlewareStack.add((next) => async (args) => {
      (args.request as { headers: Record<string, string> }).headers['x-emulator-fault'] = fault;
      return next(args);
    }, { step: 'finalizeRequest', priority: 'low', name: 'emulatorFault' });
  }
  return c;
}

const SYSTEM = 'Be brief.';
const PROMPT = 'Say hello';
const ask = (over: Partial<ConverseCommandInput> = {}): ConverseCommandInput => ({
  modelId: MODEL,
  system: [{ text: SYSTEM }],
  messages: [{ role: 'user', content: [{ text: PROMPT }] }],
  inferenceConfig: { maxTokens: 64, temperature: 0.5 },
  ...over,
});
// The emulator's deterministic answer for this prompt.
const promptText = `${SYSTEM}\n${PROMPT}`;
const expectedText = generateTokens(promptText, 8 + (promptText.length % 9)).join('');

async function drain(stream: AsyncIterable<ConverseStreamOutput> | undefined): Promise<ConverseStreamOutput[]> {
  const out: ConverseStreamOutput[] = [];
  for await (const e of stream ?? []) out.push(e);
  return out;
}
async function sdkError(p: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
  return err as Error;
}

describe('bedrock emulator with the official AWS SDK', () => {
  it('answers ConverseCommand with the deterministic text and usage', async () => {
    const out = await client().send(new ConverseCommand(ask()));
    expect(out.output?.message?.content?.[0]?.text).toBe(expectedText);
    expect(out.stopReason).toBe('end_turn');
    expect(out.usage).toMatchObject({ inputTokens: countTokens(promptText), outputTokens: 8 + (promptText.length % 9) });
    expect(out.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(engine.attempts()).toMatchObject([{ deployment: MODEL, outcome: 'ok', status: 200 }]);
  });

  it('streams ConverseStreamCommand events the SDK parses into the same text and usage', async () => {
    const out = await client().send(new ConverseStreamCommand(ask()));
    const events = await drain(out.stream);
    expect(Object.keys(events[0]!)).toEqual(['messageStart']);
    const text = events.map((e) => e.contentBlockDelta?.delta?.text ?? '').join('');
    expect(text).toBe(expectedText);
    expect(events.filter((e) => e.contentBlockDelta).length).toBeGreaterThanOrEqual(2);
    const stopAt = events.findIndex((e) => e.messageStop);
    expect(events[stopAt]?.messageStop?.stopReason).toBe('end_turn');
    expect(events.at(-1)?.metadata?.usage).toMatchObject({ inputTokens: countTokens(promptText), outputTokens: 8 + (promptText.length % 9) });
    expect(events.length - 1).toBeGreaterThan(stopAt);
    expect(engine.attempts()[0]).toMatchObject({ stream: true, outcome: 'ok', completionTokensSent: 8 + (promptText.length % 9) });
  });

  it('calls a tool when tools are offered, and answers in text once the tool result is in', async () => {
    const toolConfig = { tools: [{ toolSpec: { name: 'get_weather', inputSchema: { json: { type: 'object' } } } }], toolChoice: { any: {} } };
    const first = await client().send(new ConverseCommand(ask({ toolConfig })));
    const use = first.output?.message?.content?.[0]?.toolUse;
    expect(first.stopReason).toBe('tool_use');
    expect(use?.name).toBe('get_weather');
    expect(use?.input).toEqual(expect.objectContaining({ query: expect.any(String) }));

    const streamed = await drain((await client().send(new ConverseStreamCommand(ask({ toolConfig })))).stream);
    expect(streamed.find((e) => e.contentBlockStart)?.contentBlockStart?.start?.toolUse?.name).toBe('get_weather');
    const pieces = streamed.flatMap((e) => (e.contentBlockDelta?.delta?.toolUse ? [e.contentBlockDelta.delta.toolUse.input ?? ''] : []));
    expect(pieces.length).toBeGreaterThanOrEqual(2);
    expect(JSON.parse(pieces.join(''))).toEqual(use?.input);

    const second = await client().send(
      new ConverseCommand(
        ask({
          toolConfig,
          messages: [
            { role: 'user', content: [{ text: PROMPT }] },
            { role: 'assistant', content: [{ toolUse: { toolUseId: use!.toolUseId!, name: 'get_weather', input: use!.input } }] },
            { role: 'user', content: [{ toolResult: { toolUseId: use!.toolUseId!, content: [{ json: { temp: 21 } }] } }] },
          ],
        }),
      ),
    );
    expect(second.stopReason).toBe('end_turn');
    expect(second.output?.message?.content?.[0]?.text).toBeTruthy();
  });
});

describe('bedrock emulator authentication', () => {
  it('rejects a wrong secret with InvalidSignatureException and logs the attempt as rejected', async () => {
    const err = await sdkError(client({ secretAccessKey: 'wrong-secret' }).send(new ConverseCommand(ask())));
    expect(err.name).toBe('InvalidSignatureException');
    expect(err.message).toContain('does not match the signature you provided');
    expect(err.$metadata?.httpStatusCode).toBe(403);
    expect(engine.attempts()).toMatchObject([{ outcome: 'rejected', status: 403 }]);
  });

  it('rejects an unknown access key with UnrecognizedClientException', async () => {
    const err = await sdkError(client({ accessKeyId: 'AKIAI44QH8DHBEXAMPLE' }).send(new ConverseCommand(ask())));
    expect(err.name).toBe('UnrecognizedClientException');
  });

  it('rejects a signature more than five minutes old as expired', async () => {
    const err = await sdkError(client({ systemClockOffset: -10 * 60_000 }).send(new ConverseCommand(ask())));
    expect(err.name).toBe('InvalidSignatureException');
    expect(err.message).toMatch(/^Signature expired: \d{8}T\d{6}Z is now earlier than/);
  });

  it('answers an unknown model with ResourceNotFoundException', async () => {
    const err = await sdkError(client().send(new ConverseCommand(ask({ modelId: 'meta.llama-nope-v1:0' }))));
    expect(err.name).toBe('ResourceNotFoundException');
    expect(err.$metadata?.httpStatusCode).toBe(404);
  });
});

describe('bedrock emulator faults', () => {
  it('throttles with a 429 ThrottlingException and no Retry-After', async () => {
    const err = await sdkError(client({ fault: 'rate_limit' }).send(new ConverseCommand(ask())));
    expect(err.name).toBe('ThrottlingException');
    expect(err.$metadata?.httpStatusCode).toBe(429);
    expect(engine.attempts()[0]).toMatchObject({ outcome: 'error', status: 429, fault: 'rate_limit' });
  });

  it('surfaces an in-stream throttlingException through the SDK after the 200', async () => {
    const out = await client({ fault: 'stream_error;tokens=2' }).send(new ConverseStreamCommand(ask()));
    expect(out.$metadata.httpStatusCode).toBe(200);
    const seen: ConverseStreamOutput[] = [];
    const err = await sdkError(
      (async () => {
        for await (const e of out.stream ?? []) seen.push(e);
      })(),
    );
    expect(err.name).toBe('ThrottlingException');
    expect(seen.filter((e) => e.contentBlockDelta)).toHaveLength(2);
    expect(engine.attempts()[0]).toMatchObject({ outcome: 'error', status: 200, completionTokensSent: 2 });
  });

  it('sends a frame with a broken CRC that the SDK refuses', async () => {
    const out = await client({ fault: 'malformed_chunk;tokens=1' }).send(new ConverseStreamCommand(ask()));
    const err = await sdkError(drain(out.stream));
    expect(err.message).toMatch(/checksum/i);
  });

  it('maps context and content-filter faults to ValidationException with the service wording', async () => {
    const ctx = await sdkError(client({ fault: 'context_length' }).send(new ConverseCommand(ask())));
    expect([ctx.name, ctx.message]).toEqual(['ValidationException', 'Input is too long for requested model.']);
    const filtered = await sdkError(client({ fault: 'content_filter' }).send(new ConverseCommand(ask())));
    expect(filtered.name).toBe('ValidationException');
    expect(filtered.message).toContain('blocked by our content filters');
  });
});

describe('bedrock emulator validation', () => {
  const invalid = async (over: Partial<ConverseCommandInput>) => {
    const err = await sdkError(client().send(new ConverseCommand(ask(over))));
    expect(err.name).toBe('ValidationException');
    return err.message;
  };

  it('requires the conversation to start with user and to alternate', async () => {
    expect(await invalid({ messages: [{ role: 'assistant', content: [{ text: 'Hi' }] }] })).toMatch(/must start with a user message/);
    expect(
      await invalid({
        messages: [
          { role: 'user', content: [{ text: 'a' }] },
          { role: 'user', content: [{ text: 'b' }] },
        ],
      }),
    ).toMatch(/must alternate between user and assistant/);
  });

  it('rejects blank text blocks', async () => {
    expect(await invalid({ messages: [{ role: 'user', content: [{ text: '  ' }] }] })).toBe(
      'The text field in the ContentBlock object at messages.0.content.0 is blank. Add text to the text field, and try again.',
    );
  });

  it('rejects tool blocks without a toolConfig', async () => {
    const messages: ConverseCommandInput['messages'] = [
      { role: 'user', content: [{ text: 'x' }] },
      { role: 'assistant', content: [{ toolUse: { toolUseId: 't1', name: 'f', input: {} } }] },
      { role: 'user', content: [{ toolResult: { toolUseId: 't1', content: [{ text: 'ok' }] } }] },
    ];
    expect(await invalid({ messages })).toBe('The toolConfig field must be defined when using toolUse and toolResult content blocks.');
  });

  it('requires every toolUse to be answered by a toolResult in the next turn', async () => {
    const toolConfig = { tools: [{ toolSpec: { name: 'f', inputSchema: { json: { type: 'object' } } } }] };
    const messages: ConverseCommandInput['messages'] = [
      { role: 'user', content: [{ text: 'x' }] },
      { role: 'assistant', content: [{ toolUse: { toolUseId: 't1', name: 'f', input: {} } }] },
      { role: 'user', content: [{ text: 'never mind' }] },
    ];
    expect(await invalid({ messages, toolConfig })).toBe('Expected toolResult blocks at messages.2.content for the following Ids: t1');
  });

  it('rejects temperature and topP above 1', async () => {
    expect(await invalid({ inferenceConfig: { temperature: 1.5 } })).toBe(
      "1 validation error detected: Value '1.5' at 'inferenceConfig.temperature' failed to satisfy constraint: Member must have value less than or equal to 1",
    );
    expect(await invalid({ inferenceConfig: { topP: 2 } })).toContain("at 'inferenceConfig.topP'");
  });
});
