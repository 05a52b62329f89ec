// Treaty's downstream HTTP/1.1 server: its limits and a connection's life — the body cap, the
// head, body and keep-alive timeouts (fake clock), a throwing handler, close(), and the cap on
// open connections.

import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { H1Request } from './request.js';
import { TOO_LARGE } from './request.js';
import { prebuilt } from './response.js';
import { current, echo, listen, raw, stopServer } from './test-support.js';

afterEach(stopServer);

describe('Treaty downstream HTTP/1.1 server: limits and lifecycle', () => {
  it('refuses a body over its cap without holding it, and closes after the answer', async () => {
    let got: unknown;
    const port = await listen((req: H1Request, res) => {
      void req.readBody(1_000).then((b) => {
        got = b;
        res.writeHead(413, { 'content-length': 0 });
        res.end();
      });
    }, { maxBodyBytes: 1_000 });
    const c = await raw(port);
    c.socket.write(`POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${'400\r\n' + 'a'.repeat(1024) + '\r\n'}`);
    await c.closed;
    expect(got).toBe(TOO_LARGE);
    expect(c.text()).toMatch(/^HTTP\/1\.1 413 /);
  });

  it('closes a connection whose head does not arrive in time, and an idle one after the keep-alive timeout (fake clock)', async () => {
    let now = 1_000_000;
    const port = await listen(echo, { now: () => now, headersTimeoutMs: 6_000, keepAliveTimeoutMs: 5_000 });
    const slow = await raw(port);
    slow.socket.write('GET / HTTP/1.1\r\nHo');
    const idle = await raw(port);
    idle.socket.write('GET /done HTTP/1.1\r\nHost: x\r\n\r\n');
    await idle.until(/"url":"\/done"/);
    while (current().connectionCount < 2) await new Promise((r) => setImmediate(r));
    now += 5_500;
    current().sweep();
    await idle.closed;
    expect(slow.socket.destroyed).toBe(false);
    now += 1_000;
    current().sweep();
    await slow.closed;
    expect(slow.text()).toBe('');
  });

  it('cuts a request whose body stops arriving, once it has gone the head timeout without a byte (fake clock)', async () => {
    let now = 1_000_000;
    let outcome: string | undefined;
    const port = await listen((req) => {
      req.readBody(1 << 20).then(() => (outcome = 'read'), (err: Error) => (outcome = err.message));
    }, { now: () => now, headersTimeoutMs: 6_000, keepAliveTimeoutMs: 5_000 });
    // Bytes counted as the server's side of the connection reads them (after Treaty's own reader).
    let received = 0;
    current().on('connection', (s: Socket) => s.on('data', (d: Buffer) => (received += d.length)));
    const arrived = async (n: number): Promise<void> => {
      while (received < n) await new Promise((r) => setImmediate(r));
    };
    const c = await raw(port);
    const head = 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{"a"';
    c.socket.write(head);
    await arrived(head.length);
    now += 5_000;
    c.socket.write(':1'); // still trickling: the clock restarts
    await arrived(head.length + 2);
    now += 5_000;
    current().sweep();
    expect(c.socket.destroyed).toBe(false);
    now += 1_500;
    current().sweep();
    await c.closed;
    while (outcome === undefined) await new Promise((r) => setImmediate(r));
    expect(outcome).toMatch(/aborted before its body ended/);
  });

  it('answers 500 and closes when the handler itself throws, and reports it', async () => {
    const failures: unknown[] = [];
    const port = await listen(() => {
      throw new Error('bug');
    }, { handlerFailed: (err) => failures.push(err) });
    const c = await raw(port);
    c.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await c.closed;
    expect(c.text()).toMatch(/^HTTP\/1\.1 500 /);
    expect(c.text()).toContain('connection: close');
    expect(failures).toHaveLength(1);
  });

  it('close() ends idle connections at once and a busy one after its answer', async () => {
    let finish!: () => void;
    const port = await listen((_req, res) => {
      finish = () => {
        res.writeHead(200, { 'content-length': 2 });
        res.end('ok');
      };
    });
    const idle = await raw(port);
    const busy = await raw(port);
    busy.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    while (finish === undefined) await new Promise((r) => setImmediate(r));
    const closed = new Promise<void>((r) => current().close(() => r()));
    await idle.closed;
    expect(busy.socket.destroyed).toBe(false);
    finish();
    await busy.closed;
    expect(busy.text()).toContain('connection: close');
    expect(busy.text().endsWith('ok')).toBe(true);
    await closed;
  });

  describe('a cap on open connections', () => {
    const turnAway = prebuilt(503, ['content-type', 'application/json', 'retry-after', '1'], '{"error":{"message":"too many connections"}}');
    const connections = async (n: number): Promise<void> => {
      while (current().connectionCount !== n) await new Promise((r) => setImmediate(r));
    };

    it('answers a connection beyond it 503 and closes it, even if the client already sent a request; a freed slot serves again', async () => {
      let turned = 0;
      const port = await listen(echo, { maxConnections: 2, turnAway, onTurnedAway: () => turned++ });
      const a = await raw(port);
      const b = await raw(port);
      await connections(2);
      const c = await raw(port);
      // The request is sent before the answer is read: it is read and dropped, so the client
      // gets the 503 rather than a reset.
      c.socket.write('POST /x HTTP/1.1\r\nhost: x\r\ncontent-length: 5000\r\n\r\n' + 'x'.repeat(5000));
      await c.closed;
      expect(c.text()).toMatch(/^HTTP\/1\.1 503 Service Unavailable\r\n/);
      expect(c.text()).toMatch(/\r\nconnection: close\r\n/i);
      expect(c.text()).toMatch(/\r\nretry-after: 1\r\n/i);
      expect(c.text().endsWith('{"error":{"message":"too many connections"}}')).toBe(true);
      expect(turned).toBe(1);
      expect(current().connectionCount).toBe(2);
      // The two within the cap are served as usual.
      b.socket.write('POST /b HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\nhi');
      expect(await b.until(/"body":"hi"/)).toMatch(/^HTTP\/1\.1 200 /);
      a.socket.destroy();
      await connections(1);
      const d = await raw(port);
      d.socket.write('POST /d HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\nok');
      expect(await d.until(/"body":"ok"/)).toMatch(/^HTTP\/1\.1 200 /);
      expect(turned).toBe(1);
      b.socket.destroy();
      d.socket.destroy();
    });

    it('closes a connection beyond it without an answer when no answer is configured', async () => {
      let turned = 0;
      const port = await listen(echo, { maxConnections: 1, onTurnedAway: () => turned++ });
      const a = await raw(port);
      await connections(1);
      const c = await raw(port);
      await c.closed;
      expect(c.text()).toBe('');
      expect(turned).toBe(1);
      a.socket.destroy();
    });
  });
});
