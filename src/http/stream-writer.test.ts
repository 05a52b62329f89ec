import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { request } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StreamEvent } from '../domain/chat.js';
import { ChunkRenderer } from '../wire/chat-response.js';
import type { DownstreamResponse } from './downstream.js';
import { createH1Server } from './h1/server.js';
import { writeStream, type StreamOutcome } from './stream-writer.js';
import { untilStill } from './test-support/until-still.js';

let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

/**
 * Events as the proxy hands them over: the first ones already in hand (read with the first
 * token), then one read from the upstream per event. `onPull` sees the response each time the
 * writer asks the upstream for more.
 */
function events(inHand: StreamEvent[], later: StreamEvent[], onPull: () => void): AsyncIterable<StreamEvent> {
  let i = 0;
  let j = 0;
  return {
    [Symbol.asyncIterator]: () => ({
      next: (): Promise<IteratorResult<StreamEvent>> => {
        if (i < inHand.length) return Promise.resolve({ value: inHand[i++]!, done: false });
        onPull();
        if (j < later.length) return new Promise((r) => setTimeout(() => r({ value: later[j++]!, done: false }), 5));
        return Promise.resolve({ value: undefined, done: true });
      },
    }),
  };
}

type Answer = DownstreamResponse & { socket: Socket };

/** node:http's response with the drained() the writer waits on. */
function nodeAnswer(res: ServerResponse): Answer {
  return Object.assign(res, { drained: () => Promise.race([once(res, 'drain'), once(res, 'close')]).then(() => undefined) }) as unknown as Answer;
}

// The writer runs on both listeners server.downstreamServer can pick.
let kind: 'treaty' | 'node' = 'treaty';

async function serve(write: (res: Answer) => Promise<StreamOutcome>): Promise<{ url: string; outcome: Promise<StreamOutcome> }> {
  let outcome!: Promise<StreamOutcome>;
  server =
    kind === 'node'
      ? createServer((_req, res) => void (outcome = write(nodeAnswer(res))))
      : createH1Server({ maxBodyBytes: 1024, keepAliveTimeoutMs: 5000, headersTimeoutMs: 5000, errorBody: (_s, m) => m, sweepIntervalMs: 0 }, (_req, res) => void (outcome = write(Object.assign(res, { socket: res.owner.socket }))));
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, get outcome() { return outcome; } };
}

const renderer = (): ChunkRenderer => new ChunkRenderer('chatcmpl-x', 'model-a', 1_700_000_000);
const FIRST: StreamEvent[] = [
  { kind: 'identity', id: 'up-1', model: 'model-b' },
  { kind: 'delta', choiceIndex: 0, role: 'assistant', content: '' },
  { kind: 'delta', choiceIndex: 0, content: 'Hel' },
];
const REST: StreamEvent[] = [
  { kind: 'delta', choiceIndex: 0, content: 'lo' },
  { kind: 'finish', choiceIndex: 0, finishReason: 'stop' },
];

describe.each(['treaty', 'node'] as const)('writeStream on the %s listener', (k) => {
  beforeEach(() => {
    kind = k;
  });

  it('puts the first token on the wire before reading on from the upstream', async () => {
    // What the socket still held, each time the writer went back to the upstream.
    const held: number[] = [];
    let res: Answer | undefined;
    const s = await serve((r) => {
      res = r;
      return writeStream(r, events(FIRST, REST, () => held.push(res!.socket!.writableLength)), { headers: { 'x-treaty-deployment': 'dep-1' }, renderer: renderer(), includeUsage: false });
    });
    const r = await request(s.url);
    const body = await r.body.text();
    expect(await s.outcome).toEqual({ complete: true, usage: undefined });
    // Head, role chunk and first token were all handed to the kernel before the first pull.
    expect(held[0]).toBe(0);
    expect(body.split('\n\n').filter(Boolean)).toHaveLength(5);
  });

  it('keeps the caller headers and sets the SSE ones, which win over a caller header of the same name', async () => {
    const s = await serve((r) =>
      writeStream(r, events(FIRST, REST, () => undefined), { headers: { 'x-request-id': 'req-1', 'x-treaty-attempts': 2, 'cache-control': 'max-age=60' }, renderer: renderer(), includeUsage: false }),
    );
    const r = await request(s.url);
    await r.body.text();
    expect(r.statusCode).toBe(200);
    expect(r.headers['x-request-id']).toBe('req-1');
    expect(r.headers['x-treaty-attempts']).toBe('2');
    expect(r.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(r.headers['cache-control']).toBe('no-cache');
    expect(r.headers['x-accel-buffering']).toBe('no');
  });

  it('sends the same bytes as OpenAI would: every chunk with the upstream identity, then [DONE]', async () => {
    const s = await serve((r) => writeStream(r, events(FIRST, REST, () => undefined), { headers: {}, renderer: renderer(), includeUsage: false }));
    const body = await (await request(s.url)).body.text();
    const frames = body.split('\n\n').filter(Boolean);
    expect(frames.at(-1)).toBe('data: [DONE]');
    const chunks = frames.slice(0, -1).map((f) => JSON.parse(f.slice('data: '.length)) as { id: string; model: string; choices: { delta: { content?: string }; finish_reason: string | null }[] });
    expect(chunks.map((c) => [c.id, c.model])).toEqual(Array(4).fill(['up-1', 'model-b']));
    expect(chunks.map((c) => c.choices[0]!.delta.content ?? null).join('|')).toBe('|Hel|lo|');
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe('stop');
  });

  it('stops pulling from the upstream while the client does not read, and goes on when it does', async () => {
    let pulled = 0;
    const big = 'y'.repeat(32 * 1024);
    const endless: AsyncIterable<StreamEvent> = {
      [Symbol.asyncIterator]: () => ({
        next: (): Promise<IteratorResult<StreamEvent>> => {
          pulled++;
          if (pulled === 1) return Promise.resolve({ value: { kind: 'identity', id: 'up-1', model: 'm' }, done: false });
          if (pulled > 400) return Promise.resolve({ value: { kind: 'finish', choiceIndex: 0, finishReason: 'stop' }, done: pulled > 401 });
          return Promise.resolve({ value: { kind: 'delta', choiceIndex: 0, content: big }, done: false });
        },
      }),
    };
    const s = await serve((r) => writeStream(r, endless, { headers: {}, renderer: renderer(), includeUsage: false }));
    const { hostname, port } = new URL(s.url);
    const socket = connect(Number(port), hostname);
    await new Promise<void>((r) => socket.once('connect', r));
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    // The pulls stand still once the socket's buffers are full (~13 MB of events would follow).
    await untilStill(() => pulled - 1); // the first pull is the identity, before any write
    expect(pulled).toBeLessThan(200);
    socket.resume(); // the client reads again
    const outcome = await s.outcome;
    expect(outcome.complete).toBe(true);
    expect(pulled).toBe(402);
    socket.destroy();
  });
});
