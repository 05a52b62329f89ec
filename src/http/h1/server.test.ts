import { connect } from 'node:net';
import { Pool, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { H1Response, prebuilt } from './response.js';
import { untilStill } from '../test-support/until-still.js';
import { count, current, echo, listen, raw, stopServer } from './test-support.js';

// The protocol: keep-alive, pipelining, 100 Continue, streams, HEAD, refusals, backpressure.
// Limits and the connection's life (caps, timeouts, close) are in server-limits.test.ts.

afterEach(stopServer);

describe('Treaty downstream HTTP/1.1 server', () => {
  it('serves clients such as undici over keep-alive, with Date and keep-alive headers', async () => {
    const port = await listen(echo);
    for (let i = 0; i < 3; i++) {
      const r = await request(`http://127.0.0.1:${port}/x?i=${i}`, { method: 'POST', body: `{"i":${i}}` });
      expect(r.statusCode).toBe(200);
      expect(r.headers.connection).toBe('keep-alive');
      expect(r.headers['keep-alive']).toBe('timeout=65');
      expect(typeof r.headers.date).toBe('string');
      expect(await r.body.json()).toEqual({ url: `/x?i=${i}`, method: 'POST', body: `{"i":${i}}` });
    }
  });

  it('serves a pipelining client (undici, 10 deep on one connection): every answer to its own request', async () => {
    const port = await listen((req, res) => {
      // Some answers take a while, so requests queue up on the connection behind them.
      setTimeout(() => echo(req, res), Number(new URL(req.url, 'http://x').searchParams.get('i')) % 3);
    });
    const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 1, pipelining: 10 });
    try {
      const answers = await Promise.all(
        Array.from({ length: 100 }, async (_, i) => {
          const r = await pool.request({ path: `/p?i=${i}`, method: 'POST', body: `{"i":${i}}`, headers: { 'content-type': 'application/json' } });
          return (await r.body.json()) as { url: string; body: string };
        }),
      );
      expect(answers.map((a) => a.url)).toEqual(Array.from({ length: 100 }, (_, i) => `/p?i=${i}`));
      expect(answers.map((a) => a.body)).toEqual(Array.from({ length: 100 }, (_, i) => `{"i":${i}}`));
      expect(current().connectionCount).toBe(1);
    } finally {
      await pool.close();
    }
  });

  it('answers pipelined requests in order, the next handled only once the one before is answered', async () => {
    const order: string[] = [];
    const pending: (() => void)[] = [];
    const port = await listen((req, res) => {
      order.push(`start ${req.url}`);
      pending.push(() => {
        order.push(`end ${req.url}`);
        res.writeHead(200, { 'content-length': req.url.length });
        res.end(req.url);
      });
    });
    const c = await raw(port);
    c.socket.write('GET /a HTTP/1.1\r\nHost: x\r\n\r\nPOST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}GET /c HTTP/1.1\r\nHost: x\r\n\r\n');
    while (order.length < 1) await new Promise((r) => setImmediate(r));
    expect(order).toEqual(['start /a']);
    for (let i = 0; i < 3; i++) {
      while (pending.length === 0) await new Promise((r) => setImmediate(r));
      pending.shift()!();
    }
    const text = await c.until(/\/c$/);
    expect(order).toEqual(['start /a', 'end /a', 'start /b', 'end /b', 'start /c', 'end /c']);
    expect(text.split('HTTP/1.1 200 OK')).toHaveLength(4);
    expect(text.endsWith('/c')).toBe(true);
  });

  it('drops the rest of a body the handler did not read and serves the next request on the connection', async () => {
    const port = await listen((req, res) => {
      if (req.url === '/refuse') {
        res.writeHead(401, { 'content-length': 2 });
        res.end('no');
        return;
      }
      echo(req, res);
    });
    const c = await raw(port);
    c.socket.write(`POST /refuse HTTP/1.1\r\nHost: x\r\nContent-Length: 20000\r\n\r\n${'a'.repeat(5000)}`);
    await c.until(/no$/);
    c.socket.write(`${'a'.repeat(15000)}POST /next HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok`);
    const text = await c.until(/"body":"ok"\}$/);
    expect(text).toMatch(/^HTTP\/1\.1 401 Unauthorized\r\n/);
    expect(text).toContain('"url":"/next"');
  });

  it('sends 100 Continue only when the body is read; answered without reading, it closes the connection', async () => {
    const port = await listen((req, res) => {
      if (req.url === '/read') return echo(req, res);
      res.writeHead(403, { 'content-length': 0 });
      res.end();
    });
    const a = await raw(port);
    a.socket.write('POST /read HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n');
    await a.until(/^HTTP\/1\.1 100 Continue\r\n\r\n$/);
    a.socket.write('{}');
    expect(await a.until(/"body":"\{\}"/)).toContain('HTTP/1.1 200 OK');

    const b = await raw(port);
    b.socket.write('POST /refuse HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n');
    await b.closed;
    expect(b.text()).toMatch(/^HTTP\/1\.1 403 Forbidden\r\n/);
    expect(b.text()).toContain('connection: close');
    expect(b.text()).not.toContain('100 Continue');
  });

  it.each([
    ['a malformed head', 'GET / HTTP/1.1\r\nBad Header: x\r\n\r\n', 400],
    ['a smuggling attempt', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400],
    ['an over-long head', `GET / HTTP/1.1\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
    ['an HTTP version it does not speak', 'GET / HTTP/3.0\r\n\r\n', 400],
  ])('answers %s with a JSON error that says what to fix, then closes', async (_what, bytes, status) => {
    let handled = 0;
    const port = await listen(() => handled++);
    const c = await raw(port);
    c.socket.write(bytes);
    await c.closed;
    const [head, body] = c.text().split('\r\n\r\n');
    expect(head).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
    expect(head).toContain('content-type: application/json');
    expect(head).toContain('connection: close');
    const parsed = JSON.parse(body!) as { error: { status: number; message: string } };
    expect(parsed.error.status).toBe(status);
    expect(parsed.error.message.length).toBeGreaterThan(20);
    expect(handled).toBe(0);
  });

  it('tells the answer its client went away mid-stream', async () => {
    const done: boolean[] = [];
    let gone!: () => void;
    const wentAway = new Promise<void>((r) => (gone = r));
    class Watched extends H1Response {
      override onDone(finished: boolean): void {
        done.push(finished);
        gone();
      }
    }
    const port = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: 1\n\n');
    }, { Response: Watched });
    const c = await raw(port);
    c.socket.write('GET /stream HTTP/1.1\r\nHost: x\r\n\r\n');
    await c.until(/data: 1/);
    expect(c.text()).toContain('transfer-encoding: chunked');
    expect(c.text()).toContain('9\r\ndata: 1\n\n\r\n');
    c.socket.destroy();
    await wentAway;
    expect(done).toEqual([false]);
  });

  it('frames a stream to an HTTP/1.0 client by closing the connection, and sends no body for HEAD', async () => {
    const port = await listen((req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('one ');
      res.end('two');
      void req;
    });
    const old = await raw(port);
    old.socket.write('GET / HTTP/1.0\r\n\r\n');
    await old.closed;
    expect(old.text()).toMatch(/connection: close\r\n/);
    expect(old.text()).not.toContain('transfer-encoding');
    expect(old.text().endsWith('\r\n\r\none two')).toBe(true);

    const head = await raw(port);
    head.socket.write('HEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const text = await head.until(/0\r\n\r\n$/);
    expect(text.split('HTTP/1.1 200 OK')).toHaveLength(3);
    expect(text.indexOf('one')).toBeGreaterThan(text.lastIndexOf('HTTP/1.1 200 OK'));
  });

  it('sends a prebuilt refusal as it was built, keeping the connection or closing it as the client asked', async () => {
    const refusal = prebuilt(503, ['content-type', 'application/json', 'retry-after', '1'], '{"error":{}}');
    const port = await listen((_req, res) => res.endPrebuilt(refusal));
    const c = await raw(port);
    c.socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhelloGET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    await c.closed;
    const answers = c.text().split('HTTP/1.1 503 Service Unavailable\r\n').slice(1);
    expect(answers).toHaveLength(2);
    expect(answers[0]).toBe('content-type: application/json\r\nretry-after: 1\r\ncontent-length: 12\r\nconnection: keep-alive\r\nkeep-alive: timeout=65\r\n\r\n{"error":{}}');
    expect(answers[1]).toContain('connection: close\r\n\r\n{"error":{}}');
    expect(() => prebuilt(200, [], '')).toThrow(/5xx/);
  });

  it('makes a writer wait while its client does not read, and wakes it when the client reads again', async () => {
    const chunk = 'x'.repeat(64 * 1024);
    const total = 400 * chunk.length; // ~26 MB: more than loopback's socket buffers can hold
    let written = 0;
    let waits = 0;
    let finished = false;
    const port = await listen((_req, res) => {
      void (async () => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        for (let i = 0; i < 400; i++) {
          written += chunk.length;
          if (!res.write(chunk)) {
            waits++;
            await res.drained();
          }
        }
        res.end();
        finished = true;
      })();
    });
    // A client that sends its request and then does not read.
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((r) => socket.once('connect', r));
    socket.write('GET /big HTTP/1.1\r\nHost: x\r\n\r\n');
    // The writer goes on while the kernel takes the bytes, and stops once its buffers are full:
    // then no 'drain' can come, and the count of waits stands still.
    await untilStill(() => waits);
    expect(finished).toBe(false);
    expect(written).toBeLessThan(total / 2);
    let received = 0;
    const closed = new Promise<void>((r) => socket.on('close', () => r()));
    socket.on('data', (d: Buffer) => {
      received += d.length;
      if (finished && received >= total) socket.destroy();
    });
    while (!finished || received < total) await new Promise((r) => setImmediate(r));
    socket.destroy();
    await closed;
    expect(written).toBe(total);
    expect(received).toBeGreaterThan(total); // the body and its chunk framing
  });

  it('refuses a header value that would split the response', async () => {
    let thrown: unknown;
    const port = await listen((_req, res) => {
      try {
        res.writeHead(200, { 'x-bad': 'a\r\nset-cookie: evil=1' });
      } catch (err) {
        thrown = err;
      }
      res.writeHead(200, { 'content-length': 0 });
      res.end();
    });
    const r = await request(`http://127.0.0.1:${port}/`);
    await r.body.dump();
    expect(thrown).toBeInstanceOf(TypeError);
    expect(r.headers['set-cookie']).toBeUndefined();
    expect(count(JSON.stringify(r.headers), /x-bad/)).toBe(0);
  });
});
