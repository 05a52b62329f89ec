// The response parser on its own: every framing an upstream may use, split at every point a
// socket read may split it, and the inputs it must refuse rather than misread.

import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../simulator/prng.js';
import { ResponseParseError, ResponseParser, type ResponseSink } from './response-parser.js';

interface Parsed {
  status: number;
  raw: string[];
  keepAlive: boolean;
  hint: number | undefined;
  body: string;
  ended: boolean;
  /** Bytes of the input that belonged to the response (the rest came after its end). */
  used: number;
  reusable: boolean;
}

/** Feeds `bytes` to a parser in the given pieces; `close` then tells it the connection ended. */
function parse(pieces: Buffer[], close = false): Parsed & { finish?: string } {
  const out: Parsed & { finish?: string } = { status: 0, raw: [], keepAlive: false, hint: undefined, body: '', ended: false, used: 0, reusable: false };
  const bodies: Buffer[] = [];
  const sink: ResponseSink = {
    onHead(status, raw, keepAlive, hint) {
      Object.assign(out, { status, raw, keepAlive, hint });
    },
    onBody(piece) {
      bodies.push(Buffer.from(piece));
      return true;
    },
    onEnd() {
      out.ended = true;
    },
  };
  const p = new ResponseParser(sink);
  for (const piece of pieces) {
    if (p.done) break;
    out.used += p.execute(piece);
  }
  if (close) out.finish = p.finish();
  out.body = Buffer.concat(bodies).toString('latin1');
  out.reusable = p.reusable;
  return out;
}

const whole = (s: string): Buffer[] => [Buffer.from(s, 'latin1')];

/** Every split of `s` into two reads, and into single bytes. */
function splits(s: string): Buffer[][] {
  const b = Buffer.from(s, 'latin1');
  const all: Buffer[][] = [];
  for (let i = 1; i < b.length; i++) all.push([b.subarray(0, i), b.subarray(i)]);
  all.push([...b].map((x) => Buffer.from([x])));
  return all;
}

describe('HTTP/1.1 response parser', () => {
  it('reads a Content-Length body, its headers as sent and the server keep-alive hint', () => {
    const r = parse(whole('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nKeep-Alive: timeout=5\r\nContent-Length: 7\r\n\r\n{"a":1}'));
    expect(r).toMatchObject({ status: 200, raw: ['Content-Type', 'application/json', 'Keep-Alive', 'timeout=5', 'Content-Length', '7'], keepAlive: true, hint: 5000, body: '{"a":1}', ended: true, reusable: true });
  });

  it('reads a chunked body, with extensions and trailers, the same at every split', () => {
    const text = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n1A\r\n' + 'x'.repeat(26) + '\r\n0\r\nX-Trailer: yes\r\n\r\n';
    for (const pieces of [whole(text), ...splits(text)]) {
      const r = parse(pieces);
      expect(r.body).toBe('hello' + 'x'.repeat(26));
      expect(r.ended).toBe(true);
      expect(r.used).toBe(text.length);
      expect(r.reusable).toBe(true);
    }
  });

  it('skips informational heads and reads the final one', () => {
    const r = parse(whole('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok'));
    expect(r).toMatchObject({ status: 201, body: 'ok', ended: true });
  });

  it('a body without length runs to the connection end, and the connection is not reused', () => {
    const r = parse(whole('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it'), true);
    expect(r).toMatchObject({ body: 'all of it', ended: true, finish: 'complete', keepAlive: false, reusable: false });
  });

  it('204, 304 and Content-Length: 0 end at the head', () => {
    for (const head of ['HTTP/1.1 204 No Content\r\n\r\n', 'HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n', 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n']) {
      const r = parse(whole(head));
      expect(r.ended).toBe(true);
      expect(r.body).toBe('');
      expect(r.used).toBe(head.length);
    }
  });

  it('says how much of a read was the response, so bytes after it are noticed', () => {
    const text = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n';
    const r = parse(whole(text));
    expect(r.body).toBe('ok');
    expect(r.used).toBe(text.indexOf('okHTTP') + 2);
  });

  it('Connection: close and HTTP/1.0 without keep-alive are not reusable', () => {
    expect(parse(whole('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx')).reusable).toBe(false);
    expect(parse(whole('HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx')).reusable).toBe(false);
    expect(parse(whole('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\nx')).reusable).toBe(true);
  });

  it('a connection that ends inside a head, a length-framed body or a chunk reports a truncated response', () => {
    for (const text of ['HTTP/1.1 200 OK\r\nContent-Le', 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel']) {
      const r = parse(whole(text), true);
      expect(r.finish).toBe('truncated');
      expect(r.ended).toBe(false);
    }
  });

  it.each([
    ['a status line that is not HTTP/1.x', 'HTTP/2 200 OK\r\n\r\n'],
    ['a status code that is not three digits', 'HTTP/1.1 20 OK\r\n\r\n'],
    ['a header line without a colon', 'HTTP/1.1 200 OK\r\nbroken\r\n\r\n'],
    ['a header name with a space', 'HTTP/1.1 200 OK\r\nbad name: x\r\n\r\n'],
    ['conflicting Content-Length headers', 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n'],
    ['a Content-Length that is not a number', 'HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n'],
    ['Transfer-Encoding with Content-Length (a smuggling shape)', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n'],
    ['a transfer coding other than chunked', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n'],
    ['a chunk size that is not hex', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'],
    ['chunk data not ended by CRLF', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n'],
    ['a chunk size line ended by a bare LF', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\nab\r\n'],
    ['a switch of protocols nobody asked for', 'HTTP/1.1 101 Switching Protocols\r\n\r\n'],
  ])('refuses %s', (_what, text) => {
    expect(() => parse(whole(text))).toThrow(ResponseParseError);
  });

  it('refuses a head over 16 KiB, whole or arriving in pieces', () => {
    const big = 'HTTP/1.1 200 OK\r\nX-Big: ' + 'a'.repeat(17 * 1024) + '\r\n\r\n';
    expect(() => parse(whole(big))).toThrow(/head exceeds/);
    const pieces: Buffer[] = [];
    for (let i = 0; i < big.length; i += 1000) pieces.push(Buffer.from(big.slice(i, i + 1000), 'latin1'));
    expect(() => parse(pieces)).toThrow(/head exceeds/);
  });

  it('refuses an endless chunk size line and an endless trailer section', () => {
    expect(() => parse(whole('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;' + 'e'.repeat(2000)))).toThrow(/over-long chunk size/);
    const trailers = 'X-T: ' + 'v'.repeat(100) + '\r\n';
    expect(() => parse(whole('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n' + trailers.repeat(200)))).toThrow(/over-long trailer/);
  });

  it('generated responses read the same whatever the reads split them into', () => {
    const random = mulberry32(7);
    const rand = (n: number): number => Math.floor(random() * n);
    for (let i = 0; i < 300; i++) {
      const body = Array.from({ length: rand(3000) }, () => String.fromCharCode(32 + rand(95))).join('');
      const status = [200, 201, 400, 429, 500, 503][rand(6)]!;
      const headers = Array.from({ length: rand(6) }, (_, k) => `X-H${k}:${' '.repeat(rand(3))}v${rand(1000)}${' '.repeat(rand(2))}\r\n`).join('');
      let text: string;
      const framing = rand(3);
      if (framing === 0) text = `HTTP/1.1 ${status} S\r\n${headers}Content-Length: ${body.length}\r\n\r\n${body}`;
      else if (framing === 1) {
        let chunks = '';
        for (let at = 0; at < body.length; ) {
          const n = 1 + rand(700);
          const part = body.slice(at, at + n);
          chunks += `${part.length.toString(16)}${rand(4) === 0 ? ';x=y' : ''}\r\n${part}\r\n`;
          at += n;
        }
        text = `HTTP/1.1 ${status} S\r\n${headers}Transfer-Encoding: chunked\r\n\r\n${chunks}0\r\n${rand(3) === 0 ? 'T: 1\r\n' : ''}\r\n`;
      } else text = `HTTP/1.1 ${status} S\r\n${headers}\r\n${body}`;
      const b = Buffer.from(text, 'latin1');
      const pieces: Buffer[] = [];
      for (let at = 0; at < b.length; ) {
        const n = 1 + rand(rand(2) === 0 ? 8 : 2000);
        pieces.push(b.subarray(at, at + n));
        at += n;
      }
      const r = parse(pieces, framing === 2);
      expect(r.status).toBe(status);
      expect(r.body).toBe(body);
      expect(r.ended).toBe(true);
      expect(r.raw.length).toBe(2 * (headers.split('\r\n').length - 1) + (framing === 2 ? 0 : 2));
      for (let k = 0; k < r.raw.length; k += 2) if (r.raw[k]!.startsWith('X-H')) expect(r.raw[k + 1]).toMatch(/^v\d+$/);
    }
  });
});
