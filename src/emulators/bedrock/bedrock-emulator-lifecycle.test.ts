// How attempts end as the provider experiences them (disconnects, stalls, hangs, resets),
// plus the transports and auth variants the official SDK can use.

import { BedrockRuntimeClient, ConverseCommand, ConverseStreamCommand } from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EmulatorEngine } from '../core/engine.js';
import type { RunningServer } from '../core/http.js';
import type { AttemptRecord } from '../core/types.js';
import { startBedrockEmulator } from './index.js';

const MODEL = 'amazon.nova-lite-v1:0';
const SLOW = 'amazon.nova-slow-v1:0';
const CREDS = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
const engine = new EmulatorEngine();
let server: RunningServer;

beforeAll(async () => {
  engine.addDeployment('bedrock', { name: MODEL });
  // Slow enough that a client can leave in the middle; nothing waits on this clock.
  engine.addDeployment('bedrock', { name: SLOW, tokensPerSec: 2 });
  server = await startBedrockEmulator(engine, { region: 'eu-west-1', credentials: CREDS, apiKey: 'bedrock-api-key-EXAMPLE' });
});
afterAll(() => server.close());
afterEach(() => engine.clearAttempts());

const input = (modelId = MODEL) => ({ modelId, messages: [{ role: 'user' as const, content: [{ text: 'Say hello' }] }] });
const sdk = (extra: Record<string, unknown> = {}) => new BedrockRuntimeClient({ endpoint: server.url, region: 'eu-west-1', credentials: CREDS, maxAttempts: 1, ...extra });
const nextAttemptEnd = (): Promise<AttemptRecord> => new Promise((resolve) => engine.once('attempt-end', resolve));

/** An unsigned-looking raw request is enough here: these tests are about the connection, so use the API key. */
function raw(path: string, fault: string, signal?: AbortSignal) {
  return request(`${server.url}${path}`, {
    method: 'POST',
    headers: { authorization: 'Bearer bedrock-api-key-EXAMPLE', 'content-type': 'application/json', 'x-emulator-fault': fault },
    body: JSON.stringify(input()),
    ...(signal ? { signal } : {}),
  });
}

describe('bedrock emulator transports and auth variants', () => {
  it('serves the SDK over HTTP/1.1 as well as its default HTTP/2', async () => {
    const out = await sdk({ requestHandler: new NodeHttpHandler() }).send(new ConverseCommand(input()));
    expect(out.stopReason).toBe('end_turn');
  });

  it('accepts the Bedrock API key through the SDK bearer auth scheme', async () => {
    const out = await sdk({ token: { token: 'bedrock-api-key-EXAMPLE' }, authSchemePreference: ['httpBearerAuth'] }).send(new ConverseCommand(input()));
    expect(out.stopReason).toBe('end_turn');
  });

  it('takes standing faults through the admin route, keyed by the model id', async () => {
    const put = await request(`${server.url}/_emulator/deployments/${encodeURIComponent(MODEL)}/faults`, { method: 'PUT', body: JSON.stringify([{ fault: 'unavailable', count: 1 }]) });
    expect(put.statusCode).toBe(200);
    await put.body.dump();
    const err = await sdk().send(new ConverseCommand(input())).catch((e: unknown) => e as Error);
    expect((err as Error).name).toBe('ServiceUnavailableException');
    await expect(sdk().send(new ConverseCommand(input()))).resolves.toMatchObject({ stopReason: 'end_turn' });
  });
});

describe('bedrock emulator attempt endings', () => {
  it("ends a stream as 'aborted' when the client goes away mid-answer", async () => {
    const ended = nextAttemptEnd();
    const ac = new AbortController();
    const res = await request(`${server.url}/model/${encodeURIComponent(SLOW)}/converse-stream`, {
      method: 'POST',
      headers: { authorization: 'Bearer bedrock-api-key-EXAMPLE', 'content-type': 'application/json' },
      body: JSON.stringify(input(SLOW)),
      signal: ac.signal,
    });
    for await (const _ of res.body) {
      ac.abort(); // first bytes in: leave
      break;
    }
    expect(await ended).toMatchObject({ outcome: 'aborted', deployment: SLOW, stream: true });
  });

  it("ends a stalled stream as 'stalled' once the client gives up", async () => {
    const ended = nextAttemptEnd();
    const ac = new AbortController();
    const res = await raw(`/model/${encodeURIComponent(MODEL)}/converse-stream`, 'stall_after;tokens=1', ac.signal);
    for await (const _ of res.body) {
      ac.abort();
      break;
    }
    expect(await ended).toMatchObject({ outcome: 'stalled', completionTokensSent: 1 });
  });

  it("ends a hung request as 'hang' when the client times out", async () => {
    const ended = nextAttemptEnd();
    const ac = new AbortController();
    const pending = raw(`/model/${encodeURIComponent(MODEL)}/converse`, 'hang', ac.signal).catch(() => undefined);
    // The request is accepted (logged) before the client leaves: wait for the log, not a timer.
    while (engine.attempts().length === 0) await new Promise((r) => setImmediate(r));
    ac.abort();
    await pending;
    expect(await ended).toMatchObject({ outcome: 'hang' });
  });

  it("resets the request before any response for the reset fault, and logs it as 'reset'", async () => {
    await expect(raw(`/model/${encodeURIComponent(MODEL)}/converse`, 'reset')).rejects.toThrow();
    expect(engine.attempts()).toMatchObject([{ outcome: 'reset' }]);
  });

  it('resets only the one HTTP/2 stream for the SDK, which reports a failed request', async () => {
    const c = sdk();
    c.middlewareStack.add((next) => async (args) => {
      (args.request as { headers: Record<string, string> }).headers['x-emulator-fault'] = 'cut_after;tokens=1';
      return next(args);
    }, { step: 'finalizeRequest', priority: 'low' });
    const out = await c.send(new ConverseStreamCommand(input()));
    await expect((async () => {
      for await (const _ of out.stream ?? []) void _;
    })()).rejects.toThrow();
    expect(engine.attempts()).toMatchObject([{ outcome: 'cut', completionTokensSent: 1 }]);
  });
});
