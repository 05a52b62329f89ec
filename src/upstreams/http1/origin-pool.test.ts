// The HTTP/1.1 client against real servers on 127.0.0.1: node:http for the ordinary cases, raw
// sockets for upstreams that misbehave, and TLS with a test certificate. What a gateway user
// would notice: calls that fail for nothing on a stale connection, a connection cap that does
// not hold, an abort that still sends, a broken upstream reported as a success.

import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExchangeHandler } from './connection.js';
import { OriginPool, type OriginPoolOptions } from './origin-pool.js';
import type { Http1Request } from './request-head.js';

const fixture = (name: string): Buffer => readFileSync(new URL(`./test-fixtures/${name}`, import.meta.url));

const servers: (Server | NetServer | TlsServer)[] = [];
const pools: OriginPool[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const p of pools.splice(0)) await p.close();
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of servers.splice(0)) {
    (s as Server).closeAllConnections?.();
    await new Promise((r) => s.close(r));
  }
});

async function listen<T extends Server | NetServer | TlsServer>(s: T): Promise<number> {
  servers.push(s);
  s.on('connection', (sock: Socket) => sockets.push(sock));
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return (s.address() as AddressInfo).port;
}

async function httpServer(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<{ origin: string; connections: () => number }> {
  let connections = 0;
  const s = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => handler(req, res, Buffer.concat(parts).toString()));
  });
  s.on('connection', () => connections++);
  const port = await listen(s);
  return { origin: `http://127.0.0.1:${port}`, connections: () => connections };
}

/** A server on raw sockets: `onRequest` gets each request's head text and the socket. */
async function rawServer(onRequest: (head: string, sock: Socket) => void): Promise<{ origin: string; connections: () => number }> {
  let connections = 0;
  const s = createNetServer((sock) => {
    connections++;
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.slice(0, end);
        const len = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
        if (buf.length < end + 4 + len) return;
        buf = buf.slice(end + 4 + len);
        onRequest(head, sock);
      }
    });
    sock.on('error', () => undefined);
  });
  const port = await listen(s);
  return { origin: `http://127.0.0.1:${port}`, connections: () => connections };
}

function pool(origin: string, opts: Partial<OriginPoolOptions> = {}): OriginPool {
  const p = new OriginPool(origin, { connections: 16, connectTimeoutMs: 2000, idleTimeoutMs: 30_000, ...opts });
  pools.push(p);
  return p;
}

interface Result {
  status: number;
  headers: string[];
  body: string;
}

/** One exchange through the pool; `abort` receives the exchange's abort function. */
function call(p: OriginPool, req: Partial<Http1Request> = {}, abort?: (fn: (err: Error) => void) => void): Promise<Result> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let status = 0;
    let headers: string[] = [];
    const handler: ExchangeHandler = {
      onConnect: (fn) => abort?.(fn),
      onHeaders: (s, raw) => {
        status = s;
        headers = raw;
        return true;
      },
      onData: (c) => {
        parts.push(Buffer.from(c));
        return true;
      },
      onComplete: () => resolve({ status, headers, body: Buffer.concat(parts).toString() }),
      onError: reject,
    };
    p.dispatch({ method: 'POST', path: '/v1/x', headers: { 'content-type': 'application/json' }, body: '{}', ...req }, handler);
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits for a socket event to have happened (polled; fails after 2 s rather than hanging). */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !cond(); i++) await sleep(5);
  expect(cond()).toBe(true);
}

describe('HTTP/1.1 origin pool', () => {
  it('sends method, path, headers, Host and an exact Content-Length, and keeps one connection for calls in turn', async () => {
    const seen: { method?: string; url?: string; host?: string; length?: string; body: string; x?: string }[] = [];
    const up = await httpServer((req, res, body) => {
      seen.push({ method: req.method, url: req.url, host: req.headers.host, length: req.headers['content-length'], body, x: req.headers['x-t'] as string });
      res.end('answer ' + seen.length);
    });
    const p = pool(up.origin);
    for (let i = 1; i <= 5; i++) expect((await call(p, { body: 'héllo ✓', headers: { 'x-t': 'v' } })).body).toBe(`answer ${i}`);
    expect(up.connections()).toBe(1);
    expect(seen[0]).toEqual({ method: 'POST', url: '/v1/x', host: new URL(up.origin).host, length: String(Buffer.byteLength('héllo ✓')), body: 'héllo ✓', x: 'v' });
    const bytes = await call(p, { body: new Uint8Array([104, 105]) });
    expect(bytes.status).toBe(200);
    expect(seen.at(-1)!.body).toBe('hi');
  });

  it('a Host header from the adapter (a signed one) is sent as given, once', async () => {
    let heads: string[] = [];
    const up = await rawServer((head, sock) => {
      heads.push(head);
      sock.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    });
    await call(pool(up.origin), { headers: { host: 'signed.example' } });
    expect(heads[0]!.match(/^host:/gim)).toHaveLength(1);
    expect(heads[0]).toMatch(/^host: signed\.example$/m);
    heads = [];
  });

  it('never opens more than its connections; calls beyond wait and all complete', async () => {
    let open = 0;
    let most = 0;
    const up = await httpServer((_req, res) => {
      open++;
      most = Math.max(most, open);
      setTimeout(() => {
        open--;
        res.end('ok');
      }, 20);
    });
    const p = pool(up.origin, { connections: 2 });
    const results = await Promise.all(Array.from({ length: 7 }, () => call(p)));
    expect(results.map((r) => r.body)).toEqual(Array(7).fill('ok'));
    expect(most).toBe(2);
    expect(up.connections()).toBe(2);
  });

  it('an abort while waiting for a connection fails that call at once and sends nothing', async () => {
    let requests = 0;
    const up = await httpServer((_req, res) => {
      requests++;
      setTimeout(() => res.end('ok'), 30);
    });
    const p = pool(up.origin, { connections: 1 });
    const first = call(p);
    let abort: ((e: Error) => void) | undefined;
    const second = call(p, {}, (fn) => (abort = fn));
    abort!(new Error('client went away'));
    await expect(second).rejects.toThrow('client went away');
    expect((await first).body).toBe('ok');
    await sleep(50); // an absence: time for a wrongly sent request to have arrived
    expect(requests).toBe(1);
  });

  it('an abort mid-answer fails the call and closes that connection; the next call gets a fresh one', async () => {
    let closed = 0;
    let started = false;
    const up = await httpServer((req, res) => {
      started = true;
      req.socket.once('close', () => closed++);
      res.write('part');
    });
    const p = pool(up.origin);
    let abort: ((e: Error) => void) | undefined;
    const pending = call(p, {}, (fn) => (abort = fn));
    await until(() => started);
    abort!(new Error('deadline'));
    await expect(pending).rejects.toThrow('deadline');
    await until(() => closed === 1 && p.openConnections === 0);
  });

  it('an exchange aborted while its body is handed over (a body over its limit) does not give its connection back', async () => {
    const up = await rawServer((_head, sock) => sock.write('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbig!'));
    const p = pool(up.origin);
    const failed = new Promise<Error>((resolve) => {
      let abort: (e: Error) => void = () => undefined;
      p.dispatch({ method: 'POST', path: '/', headers: {}, body: '' }, {
        onConnect: (fn) => (abort = fn),
        onHeaders: () => true,
        onData: () => {
          abort(new Error('body over its limit'));
          return false;
        },
        onComplete: () => resolve(new Error('completed')),
        onError: resolve,
      });
    });
    expect((await failed).message).toBe('body over its limit');
    expect((await call(p)).body).toBe('big!');
    expect(up.connections()).toBe(2);
  });

  it("does not reuse a connection past the server's Keep-Alive timeout less a second", async () => {
    let now = 1_000_000;
    const up = await rawServer((_head, sock) => sock.write('HTTP/1.1 200 OK\r\nKeep-Alive: timeout=5\r\nContent-Length: 2\r\n\r\nok'));
    const p = pool(up.origin, { now: () => now });
    await call(p);
    now += 3_900;
    await call(p);
    expect(up.connections()).toBe(1);
    now += 4_100; // past 5 s less the margin: the server may be closing it right now
    await call(p);
    expect(up.connections()).toBe(2);
  });

  it('a connection the server closed while idle is not used: the next call succeeds on a new one', async () => {
    const up = await rawServer((_head, sock) => {
      sock.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
      setTimeout(() => sock.end(), 10);
    });
    const p = pool(up.origin);
    await call(p);
    await until(() => p.openConnections === 0);
    expect((await call(p)).body).toBe('ok');
    expect(up.connections()).toBe(2);
  });

  it('a body framed by the connection end is complete when the server closes cleanly', async () => {
    const up = await rawServer((_head, sock) => sock.end('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end'));
    const p = pool(up.origin);
    expect(await call(p)).toMatchObject({ status: 200, body: 'until the end' });
    expect(await call(p)).toMatchObject({ body: 'until the end' });
    expect(up.connections()).toBe(2);
  });

  it('an upstream that dies mid-body is a failure with a connection code, never a short success', async () => {
    const up = await rawServer((_head, sock) => {
      sock.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part');
      setTimeout(() => sock.destroy(), 10);
    });
    await expect(call(pool(up.origin))).rejects.toMatchObject({ code: expect.stringMatching(/^(UPSTREAM_SOCKET_CLOSED|ECONNRESET)$/) });
    const chunked = await rawServer((_head, sock) => {
      sock.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\npart\r\n');
      setTimeout(() => sock.end(), 10);
    });
    await expect(call(pool(chunked.origin))).rejects.toMatchObject({ code: 'UPSTREAM_SOCKET_CLOSED' });
  });

  it('an upstream that answers with bytes that are not HTTP fails the call and loses the connection', async () => {
    const up = await rawServer((_head, sock) => sock.write('SSH-2.0-OpenSSH\r\n\r\n'));
    const p = pool(up.origin);
    await expect(call(p)).rejects.toMatchObject({ code: 'UPSTREAM_BAD_RESPONSE' });
    await until(() => p.openConnections === 0);
  });

  it('bytes after a response (an upstream that answered twice) close the connection rather than feed the next call', async () => {
    const up = await rawServer((_head, sock) => sock.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nstale'));
    const p = pool(up.origin);
    expect((await call(p)).body).toBe('ok');
    expect((await call(p)).body).toBe('ok');
    expect(up.connections()).toBe(2);
  });

  it('a refused connection fails with ECONNREFUSED', async () => {
    const s = createNetServer();
    const port = await listen(s);
    await new Promise((r) => s.close(r));
    servers.splice(servers.indexOf(s), 1);
    await expect(call(pool(`http://127.0.0.1:${port}`))).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('a header value with a line break is refused before anything is written, and the connection stays usable', async () => {
    let requests = 0;
    const up = await httpServer((_req, res) => {
      requests++;
      res.end('ok');
    });
    const p = pool(up.origin);
    await call(p);
    await expect(call(p, { headers: { 'x-user': 'a\r\nX-Injected: 1' } })).rejects.toMatchObject({ code: 'UPSTREAM_BAD_REQUEST_HEAD' });
    await expect(call(p, { headers: { 'bad name': 'x' } })).rejects.toMatchObject({ code: 'UPSTREAM_BAD_REQUEST_HEAD' });
    await expect(call(p, { path: '/a b' })).rejects.toMatchObject({ code: 'UPSTREAM_BAD_REQUEST_HEAD' });
    expect((await call(p)).body).toBe('ok');
    expect(requests).toBe(2);
    expect(up.connections()).toBe(1);
  });

  it('a latin1 header value is sent as latin1 bytes', async () => {
    let head = '';
    const up = await rawServer((h, sock) => {
      head = h;
      sock.write('HTTP/1.1 204 No Content\r\n\r\n');
    });
    await call(pool(up.origin), { headers: { 'x-name': 'café' } });
    expect(head).toContain('x-name: café');
  });

  describe('over TLS', () => {
    async function tlsServer(): Promise<{ origin: string; resumed: boolean[] }> {
      const resumed: boolean[] = [];
      const s = createTlsServer({ key: fixture('localhost-key.pem'), cert: fixture('localhost-cert.pem') }, (req, res) => {
        resumed.push((req.socket as TLSSocket).isSessionReused());
        req.resume();
        req.on('end', () => res.writeHead(200, { connection: 'close' }).end('secure'));
      });
      const port = await listen(s);
      return { origin: `https://localhost:${port}`, resumed };
    }

    it('verifies the upstream certificate against the CA it is given, and resumes the TLS session on the next connection', async () => {
      const up = await tlsServer();
      const p = pool(up.origin, { tls: { ca: fixture('localhost-cert.pem') } });
      expect((await call(p)).body).toBe('secure');
      await sleep(20); // the session ticket arrives after the handshake
      expect((await call(p)).body).toBe('secure');
      expect(up.resumed).toEqual([false, true]);
    });

    it('refuses an upstream whose certificate it cannot verify', async () => {
      const up = await tlsServer();
      await expect(call(pool(up.origin))).rejects.toMatchObject({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    });

    it('a TLS handshake the upstream never answers fails with a connect timeout', async () => {
      const silent = createNetServer(() => undefined);
      const port = await listen(silent);
      await expect(call(pool(`https://127.0.0.1:${port}`, { connectTimeoutMs: 100 }))).rejects.toMatchObject({ code: 'UPSTREAM_CONNECT_TIMEOUT' });
    });
  });
});
