// A gateway's worst lie is a cut-short answer reported as a success. Here a raw upstream picks,
// per request, how to answer (Content-Length or chunked, sent whole or in pieces across event-
// loop turns, complete or cut off mid-body, with or without Connection: close) and the pool runs
// hundreds of calls over a few shared connections. Every complete answer must arrive whole,
// every cut one must fail with a connection code, and no connection may leak.

import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../simulator/prng.js';
import type { ExchangeHandler } from './connection.js';
import { OriginPool } from './origin-pool.js';

let server: Server | undefined;
let pool: OriginPool | undefined;
afterEach(async () => {
  await pool?.close();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server = pool = undefined;
});

interface Plan {
  chunked: boolean;
  /** Bytes of the framed body sent before the cut; -1 sends it all. */
  cutAt: number;
  close: boolean;
  /** How many pieces the response is written in (one per event-loop turn). */
  pieces: number;
}

function frame(body: string, chunked: boolean, close: boolean): { head: string; framed: string } {
  const conn = close ? 'Connection: close\r\n' : '';
  if (!chunked) return { head: `HTTP/1.1 200 OK\r\n${conn}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n`, framed: body };
  let framed = '';
  for (let at = 0; at < body.length; at += 37) {
    const part = body.slice(at, at + 37);
    framed += `${Buffer.byteLength(part).toString(16)}\r\n${part}\r\n`;
  }
  return { head: `HTTP/1.1 200 OK\r\n${conn}Transfer-Encoding: chunked\r\n\r\n`, framed: framed + '0\r\n\r\n' };
}

/** Writes `text` in `pieces` parts, one per turn, then calls `done`. */
function writeInPieces(sock: Socket, text: string, pieces: number, done: () => void): void {
  const size = Math.max(1, Math.ceil(text.length / pieces));
  let at = 0;
  const next = (): void => {
    if (sock.destroyed) return;
    if (at >= text.length) return done();
    sock.write(text.slice(at, at + size), 'latin1');
    at += size;
    setImmediate(next);
  };
  next();
}

describe('HTTP/1.1 client: cut-short answers are never a success', () => {
  it('over 400 calls on 4 shared connections, whole answers arrive whole and cut ones fail with a connection code', async () => {
    const plans = new Map<string, Plan>();
    server = createServer((sock) => {
      let buf = '';
      sock.on('error', () => undefined);
      sock.on('data', (d) => {
        buf += d.toString('latin1');
        for (;;) {
          const end = buf.indexOf('\r\n\r\n');
          if (end < 0) return;
          const len = Number(/content-length: (\d+)/i.exec(buf.slice(0, end))?.[1] ?? 0);
          if (buf.length < end + 4 + len) return;
          const id = /x-case: (\d+)/i.exec(buf.slice(0, end))![1]!;
          buf = buf.slice(end + 4 + len);
          const plan = plans.get(id)!;
          const body = `answer ${id} ` + 'é∑x'.repeat(Number(id) % 90);
          const { head, framed } = frame(body, plan.chunked, plan.close);
          const bytes = Buffer.from(framed, 'utf8').toString('latin1');
          const sent = plan.cutAt < 0 ? bytes : bytes.slice(0, Math.min(plan.cutAt, bytes.length - 1));
          writeInPieces(sock, head + sent, plan.pieces, () => {
            if (plan.cutAt >= 0) sock.destroy();
            else if (plan.close) sock.end();
          });
        }
      });
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    pool = new OriginPool(origin, { connections: 4, connectTimeoutMs: 2000, idleTimeoutMs: 30_000 });

    const random = mulberry32(11);
    const rand = (n: number): number => Math.floor(random() * n);
    const call = (id: number): Promise<{ ok: true; body: string } | { ok: false; code: string | undefined }> =>
      new Promise((resolve) => {
        const parts: Buffer[] = [];
        const handler: ExchangeHandler = {
          onConnect: () => undefined,
          onHeaders: () => true,
          onData: (c) => {
            parts.push(Buffer.from(c));
            return true;
          },
          onComplete: () => resolve({ ok: true, body: Buffer.concat(parts).toString('utf8') }),
          onError: (e) => resolve({ ok: false, code: (e as { code?: string }).code }),
        };
        pool!.dispatch({ method: 'POST', path: '/', headers: { 'x-case': String(id) }, body: '{}' }, handler);
      });

    const results: Promise<void>[] = [];
    let cut = 0;
    let whole = 0;
    for (let id = 0; id < 400; id++) {
      const plan: Plan = { chunked: rand(2) === 0, cutAt: rand(4) === 0 ? rand(300) : -1, close: rand(5) === 0, pieces: 1 + rand(6) };
      plans.set(String(id), plan);
      const expected = `answer ${id} ` + 'é∑x'.repeat(id % 90);
      results.push(
        call(id).then((r) => {
          if (plan.cutAt < 0) {
            whole++;
            expect(r).toEqual({ ok: true, body: expected });
          } else {
            cut++;
            expect(r.ok).toBe(false);
            if (!r.ok) expect(r.code).toMatch(/^(UPSTREAM_SOCKET_CLOSED|ECONNRESET|EPIPE)$/);
          }
        }),
      );
      // Keep ~8 calls in flight: twice the connections, so calls queue and connections turn over.
      if (results.length % 8 === 0) await Promise.all(results.slice(-8));
    }
    await Promise.all(results);
    expect(cut).toBeGreaterThan(60);
    expect(whole).toBeGreaterThan(250);
    expect(pool.openConnections).toBeLessThanOrEqual(4);
  });
});
