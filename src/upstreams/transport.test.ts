// The upstream transport against a real HTTP server on port 0: bodies read whole or as they
// arrive, limits, aborts, and connections kept for reuse when a reader stops at the end.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { BodyTooLargeError, createHttp1Transport, createUndiciTransport, type UpstreamTransport } from './transport.js';

let server: Server | undefined;
let transport: UpstreamTransport | undefined;
afterEach(async () => {
  await transport?.close();
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = transport = undefined;
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; connections: () => number }> {
  let connections = 0;
  server = createServer(handler);
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, connections: () => connections };
}

const get = { method: 'GET' as const, path: '/', headers: {}, body: '' };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const clients: [string, () => UpstreamTransport][] = [
  ['Treaty http1', () => createHttp1Transport()],
  ['undici', () => createUndiciTransport()],
];

describe.each(clients)('upstream transport (%s)', (_name, createTransport) => {
  it('reads a whole body, and its headers', async () => {
    const { url } = await serve((_req, res) => res.writeHead(200, { 'x-a': '1' }).end('hello'));
    transport = createTransport();
    const res = await transport.send(url, get, new AbortController().signal);
    expect(res.head.status).toBe(200);
    expect(res.head.headers['x-a']).toBe('1');
    expect(Buffer.from(await res.readAll()).toString()).toBe('hello');
  });

  it('refuses a body over the limit', async () => {
    const { url } = await serve((_req, res) => res.end('x'.repeat(10_000)));
    transport = createTransport();
    const res = await transport.send(url, get, new AbortController().signal);
    await expect(res.readAll(1000)).rejects.toBeInstanceOf(BodyTooLargeError);
  });

  it('hands chunks to the reader as they arrive', async () => {
    const { url } = await serve((_req, res) => {
      res.write('one');
      setTimeout(() => res.end('two'), 30);
    });
    transport = createTransport();
    const res = await transport.send(url, get, new AbortController().signal);
    const got: string[] = [];
    for await (const c of res.body) got.push(Buffer.from(c).toString());
    expect(got).toEqual(['one', 'two']);
  });

  it('an abort fails the pending read and closes the upstream request', async () => {
    let closed = false;
    const { url } = await serve((req, res) => {
      res.write('start');
      req.socket.on('close', () => (closed = true));
    });
    transport = createTransport();
    const ac = new AbortController();
    const res = await transport.send(url, get, ac.signal);
    const it = res.body[Symbol.asyncIterator]();
    await it.next();
    const pending = it.next();
    ac.abort(new Error('deadline'));
    await expect(pending).rejects.toThrow('deadline');
    await sleep(50);
    expect(closed).toBe(true);
  });

  it('a reader that stops before the end leaves the rest to drain, and the connection is reused', async () => {
    const { url, connections } = await serve((_req, res) => {
      res.write('data: [DONE]\n\n');
      setTimeout(() => res.end(), 20); // the terminator in a later packet
    });
    transport = createTransport();
    for (let i = 0; i < 3; i++) {
      const res = await transport.send(url, get, new AbortController().signal);
      for await (const c of res.body) if (Buffer.from(c).toString().includes('[DONE]')) break;
      await sleep(40);
    }
    expect(connections()).toBe(1);
  });

  it('an upstream that keeps sending after the reader stopped is cut off', async () => {
    let closed = false;
    const { url } = await serve((req, res) => {
      const t = setInterval(() => res.write('x'.repeat(16 * 1024)), 2);
      req.socket.on('close', () => {
        closed = true;
        clearInterval(t);
      });
    });
    transport = createTransport();
    const res = await transport.send(url, get, new AbortController().signal);
    for await (const _c of res.body) break;
    await sleep(200);
    expect(closed).toBe(true);
  });
});
