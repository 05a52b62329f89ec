// The bench's raw-socket client (bench/raw-client.ts): it frames what the load generator reads
// (status, body length, one header) the way node:http writes it, for every framing a target
// may answer with, and keeps working when a target closes a connection.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawPool } from '../bench/raw-client.js';

let server: Server;
let origin = '';
const seen: { method: string; url: string; auth: string | undefined; body: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, auth: req.headers.authorization, body });
      if (req.url === '/length') {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': 11, 'server-timing': 'treaty;dur=0.123' });
        res.end('{"ok":true}');
      } else if (req.url === '/chunked') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('a'.repeat(3000));
        setImmediate(() => res.end('b'.repeat(5)));
      } else if (req.url === '/close') {
        res.writeHead(503, { connection: 'close', 'content-length': 4 });
        res.end('shed');
      } else {
        res.writeHead(404, { 'content-length': 0 });
        res.end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  origin = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const post = (path: string): Buffer => RawPool.request('POST', path, new URL(origin).host, { authorization: 'Bearer t', 'content-type': 'application/json' }, Buffer.from('{"x":1}'));

describe('bench raw client', () => {
  it('sends the request as framed and reads a Content-Length answer with the header asked for', async () => {
    const pool = new RawPool(origin, 2, 'Server-Timing');
    const r = await pool.send(post('/length'));
    expect(r).toEqual({ status: 200, bytes: 11, header: 'treaty;dur=0.123' });
    expect(seen.at(-1)).toEqual({ method: 'POST', url: '/length', auth: 'Bearer t', body: '{"x":1}' });
    pool.destroy();
  });

  it('reads a chunked answer to its end, counting only the data bytes', async () => {
    const pool = new RawPool(origin, 1);
    const r = await pool.send(post('/chunked'));
    expect(r.status).toBe(200);
    expect(r.bytes).toBe(3005);
    // The connection is reusable afterwards (the terminating chunk was consumed, nothing left over).
    expect((await pool.send(post('/length'))).status).toBe(200);
    pool.destroy();
  });

  it('queues requests beyond its connections and keeps going after a target closes one', async () => {
    const pool = new RawPool(origin, 2);
    await pool.connect('/healthz');
    const replies = await Promise.all(Array.from({ length: 12 }, (_, i) => pool.send(post(i % 3 === 0 ? '/close' : '/length'))));
    expect(replies.map((r) => r.status)).toEqual(Array.from({ length: 12 }, (_, i) => (i % 3 === 0 ? 503 : 200)));
    pool.destroy();
  });

  it('refuses anything but 127.0.0.1', () => {
    expect(() => new RawPool('http://example.com:80', 1)).toThrow(/127\.0\.0\.1 only/);
  });

  it('rejects a request whose connection cannot be made', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const a = closed.address();
    const port = typeof a === 'object' && a ? a.port : 0;
    await new Promise<void>((r) => closed.close(() => r()));
    const pool = new RawPool(`http://127.0.0.1:${port}`, 1);
    await expect(pool.send(post('/length'))).rejects.toThrow();
    pool.destroy();
  });
});
