// An incremental HTTP/1.1 response parser: bytes in, one response's head, body pieces and end
// out. No I/O and no clock; the connection feeds it whatever each socket read brought, split
// anywhere. Body pieces are views into the reads (no copy).
//
// It understands what an upstream answering a POST can send: informational heads (skipped),
// a body framed by Content-Length, by chunked transfer coding (extensions and trailers read and
// dropped) or by the connection's end, and bodiless statuses (204, 304). It refuses what it
// cannot frame safely: conflicting lengths, a transfer coding other than chunked, a head over
// the size limit, a malformed status line, header or chunk size. After a refusal the
// connection must be closed: the bytes that follow cannot be trusted to line up.

import { BodyFramer, HeadReader, TOKEN, trimOws } from '../../wire/http1-body.js';

export class ResponseParseError extends Error {
  readonly code = 'UPSTREAM_BAD_RESPONSE';
}

export interface ResponseSink {
  /** The final (non-1xx) head. `raw` alternates names (as sent) and values (trimmed). */
  onHead(status: number, raw: string[], keepAlive: boolean, keepAliveHintMs: number | undefined): void;
  /** A piece of the body; false asks the connection to stop reading from the socket. */
  onBody(piece: Buffer): boolean;
  /** The response is complete. */
  onEnd(): void;
}

/** Largest head accepted (status line and headers), as node:http's default. */
export const MAX_HEAD_BYTES = 16 * 1024;

const fail = (message: string): Error => new ResponseParseError(message);
const headTooLong = (): Error => fail(`upstream response head exceeds ${MAX_HEAD_BYTES} bytes`);

export class ResponseParser {
  /** Waiting for (the rest of) a head; otherwise the body framer has the bytes. */
  #inHead = true;
  readonly #heads = new HeadReader(MAX_HEAD_BYTES, headTooLong, false);
  /** Whether the response's framing lets the connection carry another exchange. */
  #reusable = false;
  readonly #body: BodyFramer;

  constructor(private readonly sink: ResponseSink) {
    this.#body = new BodyFramer(sink, fail, 'upstream');
  }

  /** True once the response has ended (onEnd was called). */
  get done(): boolean {
    return !this.#inHead && this.#body.done;
  }

  /** True when the connection may carry another request after this response ended. */
  get reusable(): boolean {
    return this.#reusable;
  }

  /** True while the body runs until the connection closes. */
  get untilClose(): boolean {
    return this.#body.isUntilClose;
  }

  /**
   * Consumes one read. Returns how many bytes of it belong to this response (the rest, if
   * any, arrived after its end). Throws ResponseParseError on bytes that cannot be a response.
   */
  execute(data: Buffer): number {
    let at = 0;
    while (this.#inHead) {
      if (at >= data.length) return data.length;
      const head = this.#heads.read(data, at);
      if (head === undefined) return data.length; // the head continues in the next read
      at = this.#heads.end;
      this.#head(head);
    }
    return this.#body.execute(data, at);
  }

  /**
   * The connection ended. A body framed by the connection's end is complete; any other
   * response is cut short (the caller reports that as a failure).
   */
  finish(): 'complete' | 'truncated' | 'idle' {
    if (this.#inHead) return this.#heads.carrying ? 'truncated' : 'idle';
    return this.#body.finish();
  }

  #head(text: string): void {
    // Status line: HTTP/1.x SP 3DIGIT [SP reason]
    const eol = text.indexOf('\r\n');
    const statusLine = eol < 0 ? text : text.slice(0, eol);
    const minor = statusLine.charCodeAt(7);
    const code = statusLine.slice(9, 12);
    const status = Number(code);
    const framed = statusLine.startsWith('HTTP/1.') && (minor === 48 || minor === 49) && statusLine.charCodeAt(8) === 32 && (statusLine.length === 12 || statusLine.charCodeAt(12) === 32);
    if (!framed || !/^\d{3}$/.test(code) || status < 100) {
      throw new ResponseParseError(`upstream sent a malformed status line: ${JSON.stringify(statusLine.slice(0, 64))}`);
    }
    const raw: string[] = [];
    let contentLength = -1;
    let chunked = false;
    let connClose = false;
    let connKeepAlive = false;
    let keepAliveHintMs: number | undefined;
    let pos = eol < 0 ? text.length : eol + 2;
    while (pos < text.length) {
      let next = text.indexOf('\r\n', pos);
      if (next < 0) next = text.length;
      const colon = text.indexOf(':', pos);
      if (colon <= pos || colon > next) throw new ResponseParseError(`upstream sent a malformed header line: ${JSON.stringify(text.slice(pos, Math.min(next, pos + 64)))}`);
      const name = text.slice(pos, colon);
      if (!TOKEN.test(name)) throw new ResponseParseError(`upstream sent a malformed header name: ${JSON.stringify(name.slice(0, 64))}`);
      const value = trimOws(text, colon + 1, next);
      raw.push(name, value);
      pos = next + 2;
      switch (name.length) {
        case 14:
          if (name.toLowerCase() === 'content-length') {
            if (!/^\d{1,15}$/.test(value)) throw new ResponseParseError(`upstream sent an invalid Content-Length: ${JSON.stringify(value.slice(0, 32))}`);
            const n = Number(value);
            if (contentLength >= 0 && contentLength !== n) throw new ResponseParseError('upstream sent conflicting Content-Length headers');
            contentLength = n;
          }
          break;
        case 17:
          if (name.toLowerCase() === 'transfer-encoding') {
            // Only "chunked" (last) frames a response we can read; gzip or other codings are not asked for.
            const codings = value.toLowerCase().split(',').map((s) => s.trim()).filter(Boolean);
            if (codings.length !== 1 || codings[0] !== 'chunked') throw new ResponseParseError(`upstream sent a transfer coding Treaty does not read: ${JSON.stringify(value.slice(0, 64))}`);
            chunked = true;
          }
          break;
        case 10:
          if (name.toLowerCase() === 'connection') {
            const v = value.toLowerCase();
            if (v.includes('close')) connClose = true;
            if (v.includes('keep-alive')) connKeepAlive = true;
          } else if (name.toLowerCase() === 'keep-alive') {
            const m = /(?:^|[\s,])timeout\s*=\s*(\d+)/i.exec(value);
            if (m) keepAliveHintMs = Number(m[1]) * 1000;
          }
          break;
      }
    }
    if (status < 200) {
      if (status === 101) throw new ResponseParseError('upstream switched protocols on a request that did not ask to');
      return; // informational: the real head follows
    }
    const http11 = minor === 49;
    const persistent = http11 ? !connClose : connKeepAlive && !connClose;
    if (chunked && contentLength >= 0) throw new ResponseParseError('upstream sent both Transfer-Encoding and Content-Length');
    this.#inHead = false;
    if (status === 204 || status === 304 || (!chunked && contentLength === 0)) {
      this.#reusable = persistent;
      this.sink.onHead(status, raw, persistent, keepAliveHintMs);
      this.#body.empty();
      return;
    }
    if (chunked) this.#body.chunked();
    else if (contentLength > 0) this.#body.length(contentLength);
    else this.#body.untilClose();
    this.#reusable = persistent && !this.#body.isUntilClose;
    this.sink.onHead(status, raw, this.#reusable, keepAliveHintMs);
  }
}
