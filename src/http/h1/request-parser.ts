// An incremental HTTP/1.1 request parser for the downstream listener: bytes in, one request's
// head, body pieces and end out, split anywhere. Pure (no I/O, no clock). It stops at the end
// of each request so the connection can hold a pipelined next one until the answer is out.
//
// Strict where leniency lets two parsers disagree on where a request ends (request smuggling):
// CRLF line ends only, no obsolete line folding, no whitespace before a header's colon, one
// Content-Length value, never Content-Length with Transfer-Encoding, chunked as the only
// transfer coding, no control characters in a value, one Host.

import { BodyFramer, HeadReader, TOKEN, trimOws, valueKind, type BodySink } from '../../wire/http1-body.js';

/** A request that cannot be read; the connection answers `status` and closes. */
export class RequestParseError extends Error {
  constructor(
    readonly status: 400 | 417 | 431,
    message: string,
  ) {
    super(message);
  }
}

/** Header fields as node:http presents them: lower-case names. */
export type RequestHeaders = Record<string, string | string[] | undefined>;

export interface RequestHead {
  method: string;
  /** The request target as sent (origin form for everything Treaty serves). */
  url: string;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  minor: number;
  headers: RequestHeaders;
  /** Whether the client lets the connection carry another request after this one. */
  keepAlive: boolean;
  /** The client waits for "100 Continue" before sending the body. */
  expectContinue: boolean;
  /** Whether a body follows the head (Content-Length > 0 or chunked). */
  hasBody: boolean;
}

export interface RequestSink extends BodySink {
  onHead(head: RequestHead): void;
}

/** Largest head accepted (request line and headers), as node:http's default. */
export const MAX_HEAD_BYTES = 16 * 1024;

const bad = (message: string): Error => new RequestParseError(400, message);
const headTooLong = (): Error => new RequestParseError(431, `The request head (request line and headers) is larger than ${MAX_HEAD_BYTES} bytes; send fewer or shorter headers.`);
/** What a request target may hold: visible characters, no spaces or controls. */
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const BAD_TARGET = /[\x00-\x20\x7f]/;
/** Fields node:http keeps only the first of; the rest are joined with ", " (cookie with "; "). */
const FIRST_WINS = new Set(['content-type', 'user-agent', 'referer', 'authorization', 'proxy-authorization', 'if-modified-since', 'if-unmodified-since', 'from', 'location', 'max-forwards', 'retry-after', 'etag', 'last-modified', 'server', 'age', 'expires']);

function refuseBareLf(buf: Buffer, start: number): void {
  for (let lf = buf.indexOf(10, start); lf >= 0; lf = buf.indexOf(10, lf + 1)) {
    if (lf === start || buf[lf - 1] !== 13) throw bad('A line of the request head ends with a bare LF; end every line with CRLF.');
  }
}

export class RequestParser {
  #inHead = true;
  // Blank lines before a request line are tolerated (RFC 9112 2.2): after a body a client may
  // send a stray CRLF. A head ended by bare LFs never completes: refused now, not at the timeout.
  readonly #heads = new HeadReader(MAX_HEAD_BYTES, headTooLong, true, refuseBareLf);
  readonly #body: BodyFramer;

  constructor(private readonly sink: RequestSink) {
    this.#body = new BodyFramer(sink, bad, 'the client');
  }

  /** True once the current request has ended (its onEnd was called); call reset() for the next. */
  get done(): boolean {
    return !this.#inHead && this.#body.done;
  }

  /** Between requests with nothing of the next one read yet. */
  get idle(): boolean {
    return this.#inHead && !this.#heads.carrying;
  }

  /** Ready for the next request on the connection. */
  reset(): void {
    this.#inHead = true;
    this.#heads.reset();
    this.#body.reset();
  }

  /**
   * Consumes bytes of `data` from `at` up to the end of the current request. Returns the offset
   * after the last byte used (data.length if all were). Throws RequestParseError.
   */
  execute(data: Buffer, at: number): number {
    if (this.#inHead) {
      const head = this.#heads.read(data, at);
      if (head === undefined) return data.length;
      at = this.#heads.end;
      this.#head(head);
      if (this.#body.done) return at;
    }
    return this.#body.execute(data, at);
  }

  /** The connection ended: was a request cut short? */
  finish(): 'idle' | 'truncated' {
    if (this.#inHead) return this.#heads.carrying ? 'truncated' : 'idle';
    return this.#body.finish() === 'truncated' ? 'truncated' : 'idle';
  }

  #head(text: string): void {
    const eol = text.indexOf('\r\n');
    const line = eol < 0 ? text : text.slice(0, eol);
    const sp1 = line.indexOf(' ');
    const sp2 = line.lastIndexOf(' ');
    if (sp1 <= 0 || sp2 === sp1) throw bad(`The request line is malformed: ${JSON.stringify(line.slice(0, 64))}; expected "METHOD /path HTTP/1.1".`);
    const method = line.slice(0, sp1);
    const url = line.slice(sp1 + 1, sp2);
    const version = line.slice(sp2 + 1);
    if (!TOKEN.test(method)) throw bad(`The request method ${JSON.stringify(method.slice(0, 32))} is not a valid HTTP method.`);
    if (url.length === 0 || BAD_TARGET.test(url)) throw bad('The request target is empty or holds spaces or control characters; percent-encode them.');
    let minor: number;
    if (version === 'HTTP/1.1') minor = 1;
    else if (version === 'HTTP/1.0') minor = 0;
    // 400 rather than 505: bad input gets a 4xx (a 5xx would read as Treaty's fault).
    else if (/^HTTP\/\d\.\d$/.test(version)) throw bad(`HTTP version ${version.slice(5)} is not supported here; use HTTP/1.1.`);
    else throw bad(`The request line is malformed: ${JSON.stringify(line.slice(0, 64))}; expected "METHOD /path HTTP/1.1".`);

    // A plain object, as node:http's: a null-prototype one is a hash table in V8 and made the
    // head cost 2.5× as much. A header named __proto__ is defined, never assigned (below).
    const headers: RequestHeaders = {};
    let contentLength = -1;
    let chunked = false;
    let connClose = false;
    let connKeepAlive = false;
    let expectContinue = false;
    let pos = eol < 0 ? text.length : eol + 2;
    while (pos < text.length) {
      let next = text.indexOf('\r\n', pos);
      if (next < 0) next = text.length;
      const colon = text.indexOf(':', pos);
      if (colon <= pos || colon > next) throw bad(`A header line is malformed: ${JSON.stringify(text.slice(pos, Math.min(next, pos + 64)))}; expected "Name: value".`);
      const raw = text.slice(pos, colon);
      if (!TOKEN.test(raw)) throw bad(`The header name ${JSON.stringify(raw.slice(0, 64))} is not valid (no spaces before the colon, no line folding).`);
      const value = trimOws(text, colon + 1, next);
      if (valueKind(value) === 'invalid') throw bad(`The value of header ${raw} holds a control character.`);
      const name = raw.toLowerCase();
      pos = next + 2;
      switch (name) {
        case 'content-length': {
          if (!/^\d{1,15}$/.test(value)) throw bad(`Content-Length ${JSON.stringify(value.slice(0, 32))} is not a number of bytes.`);
          const n = Number(value);
          if (contentLength >= 0 && contentLength !== n) throw bad('The request has two different Content-Length headers.');
          contentLength = n;
          headers[name] = value;
          continue;
        }
        case 'transfer-encoding': {
          if (headers[name] !== undefined || value.toLowerCase() !== 'chunked') {
            // 400 (as node:http), not RFC 9112's 501: bad input gets a 4xx.
            throw new RequestParseError(400, `Transfer-Encoding ${JSON.stringify(value.slice(0, 64))} is not supported; send the body with Content-Length or Transfer-Encoding: chunked.`);
          }
          chunked = true;
          headers[name] = value;
          continue;
        }
        case 'host':
          if (headers[name] !== undefined) throw bad('The request has more than one Host header.');
          headers[name] = value;
          continue;
        case 'connection': {
          const v = value.toLowerCase();
          if (v.includes('close')) connClose = true;
          if (v.includes('keep-alive')) connKeepAlive = true;
          break;
        }
        case 'expect':
          if (value.toLowerCase() !== '100-continue') throw new RequestParseError(417, `Expect ${JSON.stringify(value.slice(0, 64))} is not supported; only 100-continue is.`);
          expectContinue = minor === 1;
          break;
      }
      const prev = Object.hasOwn(headers, name) ? headers[name] : undefined;
      if (name === '__proto__') Object.defineProperty(headers, name, { value: prev === undefined ? value : `${prev as string}, ${value}`, enumerable: true, writable: true, configurable: true });
      else if (prev === undefined) headers[name] = name === 'set-cookie' ? [value] : value;
      else if (name === 'set-cookie') (prev as string[]).push(value);
      else if (!FIRST_WINS.has(name)) headers[name] = `${prev as string}${name === 'cookie' ? '; ' : ', '}${value}`;
    }
    if (chunked && contentLength >= 0) throw bad('The request has both Transfer-Encoding and Content-Length; send one.');
    const keepAlive = minor === 1 ? !connClose : connKeepAlive && !connClose;
    const hasBody = chunked || contentLength > 0;
    this.#inHead = false;
    this.sink.onHead({ method, url, minor, headers, keepAlive, expectContinue: expectContinue && hasBody, hasBody });
    if (chunked) this.#body.chunked();
    else if (contentLength > 0) this.#body.length(contentLength);
    else this.#body.empty();
  }
}
