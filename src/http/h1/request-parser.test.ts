import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../simulator/prng.js';
import { RequestParseError, RequestParser, type RequestHead } from './request-parser.js';

interface Parsed {
  head: RequestHead;
  body: string;
  ended: boolean;
}

/** Feeds `pieces` one after another, resetting after each request as the connection does. */
function parseAll(pieces: Buffer[]): Parsed[] {
  const out: Parsed[] = [];
  let cur: Parsed | undefined;
  const parser = new RequestParser({
    onHead: (head) => out.push((cur = { head, body: '', ended: false })),
    onBody: (b) => (cur!.body += b.toString('latin1')),
    onEnd: () => (cur!.ended = true),
  });
  for (const p of pieces) {
    let at = 0;
    while (at < p.length) {
      if (parser.done) parser.reset();
      at = parser.execute(p, at);
    }
  }
  return out;
}

const one = (text: string): Parsed => {
  const all = parseAll([Buffer.from(text, 'latin1')]);
  expect(all).toHaveLength(1);
  return all[0]!;
};

function refusal(text: string): RequestParseError {
  try {
    parseAll([Buffer.from(text, 'latin1')]);
  } catch (err) {
    expect(err).toBeInstanceOf(RequestParseError);
    return err as RequestParseError;
  }
  throw new Error(`accepted: ${JSON.stringify(text)}`);
}

const POST = 'POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\n';

describe('RequestParser', () => {
  it('reads a Content-Length body and a chunked one, split at every byte', () => {
    const text = `${POST}Content-Length: 11\r\n\r\n{"a":"bcd"}` + `${POST}Transfer-Encoding: chunked\r\n\r\n3;ext=1\r\n{"a\r\n5\r\n":"b"\r\n1\r\n}\r\n0\r\nTrailer: x\r\n\r\n`;
    const whole = Buffer.from(text, 'latin1');
    for (let cut = 1; cut < whole.length; cut++) {
      const got = parseAll([whole.subarray(0, cut), whole.subarray(cut)]);
      expect(got.map((g) => [g.head.method, g.head.url, g.body, g.ended])).toEqual([
        ['POST', '/v1/chat/completions', '{"a":"bcd"}', true],
        ['POST', '/v1/chat/completions', '{"a":"b"}', true],
      ]);
    }
  });

  it('stops at the end of a request, so a pipelined next one is left for later', () => {
    const parser = new RequestParser({ onHead: () => undefined, onBody: () => undefined, onEnd: () => undefined });
    const first = `GET /v1/models HTTP/1.1\r\nHost: gw\r\n\r\n`;
    const buf = Buffer.from(first + first);
    expect(parser.execute(buf, 0)).toBe(first.length);
    expect(parser.done).toBe(true);
  });

  it('presents headers as node:http does: lower-case names, repeats joined, first kept where a repeat means nothing', () => {
    const p = one('GET / HTTP/1.1\r\nHost: gw\r\nX-Tag: a\r\nx-tag: b\r\nAuthorization: Bearer one\r\nAuthorization: Bearer two\r\nCookie: a=1\r\nCookie: b=2\r\nSet-Cookie: s=1\r\nSet-Cookie: s=2\r\n__proto__: x\r\nX-Pad:   spaced \t\r\n\r\n');
    const h = p.head.headers;
    expect(h['x-tag']).toBe('a, b');
    expect(h.authorization).toBe('Bearer one');
    expect(h.cookie).toBe('a=1; b=2');
    expect(h['set-cookie']).toEqual(['s=1', 's=2']);
    expect(h['x-pad']).toBe('spaced');
    // A header named __proto__ is a header, not the object's prototype.
    expect(Object.getPrototypeOf(h)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(h, '__proto__')?.value).toBe('x');
  });

  it('works out whether the connection stays open, and whether the client waits for 100 Continue', () => {
    expect(one('GET / HTTP/1.1\r\nHost: a\r\n\r\n').head.keepAlive).toBe(true);
    expect(one('GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n').head.keepAlive).toBe(false);
    expect(one('GET / HTTP/1.0\r\n\r\n').head.keepAlive).toBe(false);
    expect(one('GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n').head.keepAlive).toBe(true);
    expect(one(`${POST}Expect: 100-continue\r\nContent-Length: 2\r\n\r\n{}`).head.expectContinue).toBe(true);
    // Nothing to wait for without a body, nor from an HTTP/1.0 client.
    expect(one('GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n').head.expectContinue).toBe(false);
    expect(one('POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n{}').head.expectContinue).toBe(false);
  });

  it('tolerates blank lines between requests', () => {
    const got = parseAll([Buffer.from('GET /a HTTP/1.1\r\nHost: a\r\n\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n')]);
    expect(got.map((g) => g.head.url)).toEqual(['/a', '/b']);
  });

  it.each([
    ['a bare LF line end', 'GET / HTTP/1.1\nHost: a\n\n', 400],
    ['obsolete line folding', 'GET / HTTP/1.1\r\nHost: a\r\nX-A: one\r\n two\r\n\r\n', 400],
    ['whitespace before the colon', 'GET / HTTP/1.1\r\nHost : a\r\n\r\n', 400],
    ['Content-Length with Transfer-Encoding', `${POST}Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n`, 400],
    ['two different Content-Lengths', `${POST}Content-Length: 3\r\nContent-Length: 4\r\n\r\n`, 400],
    ['a Content-Length that is not a number', `${POST}Content-Length: 3x\r\n\r\n`, 400],
    ['a transfer coding other than chunked', `${POST}Transfer-Encoding: gzip, chunked\r\n\r\n`, 400],
    ['two Transfer-Encoding headers', `${POST}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n`, 400],
    ['HTTP/2.0 on an HTTP/1.1 connection', 'GET / HTTP/2.0\r\n\r\n', 400],
    ['a method that is not a token', 'G(T / HTTP/1.1\r\n\r\n', 400],
    ['a target with a control character', 'GET /a\x01b HTTP/1.1\r\n\r\n', 400],
    ['a control character in a value', 'GET / HTTP/1.1\r\nX-A: a\x00b\r\n\r\n', 400],
    ['two Host headers', 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', 400],
    ['an expectation other than 100-continue', 'GET / HTTP/1.1\r\nExpect: magic\r\n\r\n', 417],
    ['an invalid chunk size', `${POST}Transfer-Encoding: chunked\r\n\r\nzz\r\n`, 400],
    ['chunk data not ended by CRLF', `${POST}Transfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n`, 400],
    ['a head over 16 KB', `GET / HTTP/1.1\r\nX-Big: ${'a'.repeat(17 * 1024)}\r\n\r\n`, 431],
  ])('refuses %s (%s)', (_what, text, status) => {
    const err = refusal(text);
    expect(err.status).toBe(status);
    // The message says what to fix, in words a client developer can act on.
    expect(err.message.length).toBeGreaterThan(20);
  });

  it('refuses an over-long head before it has all arrived', () => {
    const parser = new RequestParser({ onHead: () => undefined, onBody: () => undefined, onEnd: () => undefined });
    const piece = Buffer.from(`GET / HTTP/1.1\r\nX-Big: ${'a'.repeat(8 * 1024)}`);
    parser.execute(piece, 0);
    expect(() => parser.execute(Buffer.from('a'.repeat(9 * 1024)), 0)).toThrow(/larger than 16384 bytes/);
  });

  it('tells a request cut mid-head or mid-body from a clean end', () => {
    const cut = (text: string): string => {
      const parser = new RequestParser({ onHead: () => undefined, onBody: () => undefined, onEnd: () => undefined });
      parser.execute(Buffer.from(text), 0);
      return parser.finish();
    };
    expect(cut('')).toBe('idle');
    expect(cut('GET / HTT')).toBe('truncated');
    expect(cut(`${POST}Content-Length: 10\r\n\r\n{"a"`)).toBe('truncated');
    expect(cut(`${POST}Content-Length: 2\r\n\r\n{}`)).toBe('idle');
  });

  it('reads 300 generated requests, pipelined and cut into random pieces, exactly as they were written', () => {
    const rand = mulberry32(20261201);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const expected: [string, string, Record<string, string>, string][] = [];
    let stream = '';
    for (let i = 0; i < 300; i++) {
      const method = pick(['GET', 'POST', 'PUT', 'DELETE']);
      const url = `/v1/${pick(['chat/completions', 'models', 'embeddings'])}?i=${i}`;
      const headers: Record<string, string> = { host: 'gw', 'x-i': String(i) };
      const bodyLen = method === 'GET' ? 0 : Math.floor(rand() * 3000);
      const body = Array.from({ length: bodyLen }, () => String.fromCharCode(32 + Math.floor(rand() * 95))).join('');
      let head = `${method} ${url} HTTP/1.1\r\nHost: gw\r\nX-I: ${i}\r\n`;
      let framed = '';
      if (bodyLen > 0 && rand() < 0.5) {
        head += 'Transfer-Encoding: chunked\r\n';
        headers['transfer-encoding'] = 'chunked';
        for (let at = 0; at < body.length; ) {
          const n = Math.min(body.length - at, 1 + Math.floor(rand() * 700));
          framed += `${n.toString(16)}\r\n${body.slice(at, at + n)}\r\n`;
          at += n;
        }
        framed += '0\r\n\r\n';
      } else if (bodyLen > 0 || rand() < 0.3) {
        head += `Content-Length: ${bodyLen}\r\n`;
        headers['content-length'] = String(bodyLen);
        framed = body;
      }
      stream += `${head}\r\n${framed}`;
      expected.push([method, url, headers, body]);
    }
    const all = Buffer.from(stream, 'latin1');
    const pieces: Buffer[] = [];
    for (let at = 0; at < all.length; ) {
      const n = 1 + Math.floor(rand() * 4000);
      pieces.push(all.subarray(at, at + n));
      at += n;
    }
    const got = parseAll(pieces);
    expect(got.map((g) => [g.head.method, g.head.url, { ...g.head.headers }, g.body])).toEqual(expected);
    expect(got.every((g) => g.ended)).toBe(true);
  });
});
