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
/** A chunk-size line longer than this (hex digits plus extensions) is not a chunk size. */
const MAX_CHUNK_LINE = 1024;
const MAX_TRAILER_BYTES = 16 * 1024;

const enum State {
  Head,
  Length,
  ChunkSize,
  ChunkData,
  ChunkDataEnd,
  Trailers,
  UntilClose,
  Done,
}

const CR = 13;
const LF = 10;

export class ResponseParser {
  #state = State.Head;
  /** Head or chunk-size/trailer line bytes carried over from an earlier read. */
  #carry: Buffer | undefined;
  #remaining = 0;
  #trailerBytes = 0;
  /** Where the line #readLine last returned ended (after its LF) in the read it came from. */
  #lineEnd = 0;
  /** Whether the response's framing lets the connection carry another exchange. */
  #reusable = false;

  constructor(private readonly sink: ResponseSink) {}

  /** True once the response has ended (onEnd was called). */
  get done(): boolean {
    return this.#state === State.Done;
  }

  /** True when the connection may carry another request after this response ended. */
  get reusable(): boolean {
    return this.#reusable;
  }

  /** True while the body runs until the connection closes. */
  get untilClose(): boolean {
    return this.#state === State.UntilClose;
  }

  /**
   * Consumes one read. Returns how many bytes of it belong to this response (the rest, if
   * any, arrived after its end). Throws ResponseParseError on bytes that cannot be a response.
   */
  execute(data: Buffer): number {
    let at = 0;
    const len = data.length;
    while (at < len) {
      switch (this.#state) {
        case State.Head: {
          const used = this.#readHead(data, at);
          if (used < 0) return len; // the head continues in the next read
          at = used;
          break;
        }
        case State.Length: {
          const piece = this.#take(data, at);
          at += piece.length;
          if (this.#remaining === 0) this.#state = State.Done;
          this.sink.onBody(piece);
          if (this.#state === State.Done) {
            this.sink.onEnd();
            return at;
          }
          break;
        }
        case State.UntilClose: {
          this.sink.onBody(at === 0 ? data : data.subarray(at));
          return len;
        }
        case State.ChunkSize: {
          const line = this.#readLine(data, at, MAX_CHUNK_LINE, 'chunk size line');
          if (line === undefined) return len;
          at = this.#lineEnd;
          const size = parseChunkSize(line);
          if (size === 0) {
            this.#state = State.Trailers;
            this.#trailerBytes = 0;
          } else {
            this.#remaining = size;
            this.#state = State.ChunkData;
          }
          break;
        }
        case State.ChunkData: {
          const piece = this.#take(data, at);
          at += piece.length;
          if (this.#remaining === 0) {
            this.#state = State.ChunkDataEnd;
            this.#remaining = 2;
          }
          this.sink.onBody(piece);
          break;
        }
        case State.ChunkDataEnd: {
          // The CRLF after a chunk's data, possibly split across reads.
          const want = this.#remaining === 2 ? CR : LF;
          if (data[at] !== want) throw new ResponseParseError('upstream sent a chunk whose data does not end with CRLF');
          at++;
          if (--this.#remaining === 0) this.#state = State.ChunkSize;
          break;
        }
        case State.Trailers: {
          const line = this.#readLine(data, at, MAX_TRAILER_BYTES - this.#trailerBytes, 'trailer section');
          if (line === undefined) return len;
          at = this.#lineEnd;
          this.#trailerBytes += line.length + 2;
          if (line.length === 0) {
            this.#state = State.Done;
            this.sink.onEnd();
            return at;
          }
          break;
        }
        case State.Done:
          return at;
      }
    }
    return len;
  }

  /**
   * The connection ended. A body framed by the connection's end is complete; any other
   * response is cut short (the caller reports that as a failure).
   */
  finish(): 'complete' | 'truncated' | 'idle' {
    if (this.#state === State.UntilClose) {
      this.#state = State.Done;
      this.sink.onEnd();
      return 'complete';
    }
    if (this.#state === State.Done) return 'idle';
    if (this.#state === State.Head && this.#carry === undefined) return 'idle';
    return 'truncated';
  }

  /** Up to #remaining body bytes of `data` from `at` (the read itself when it is all body). */
  #take(data: Buffer, at: number): Buffer {
    const n = Math.min(this.#remaining, data.length - at);
    this.#remaining -= n;
    return at === 0 && n === data.length ? data : data.subarray(at, at + n);
  }

  /** Reads a head starting at `at`; returns the offset after it, or -1 if it is not all here. */
  #readHead(data: Buffer, at: number): number {
    let buf = data;
    let start = at;
    const carry = this.#carry;
    if (carry) {
      buf = Buffer.concat([carry, data.subarray(at)]);
      start = 0;
    }
    // With bytes carried from earlier reads the search runs over them joined to this read, so a
    // CRLFCRLF split across reads is found.
    const end = buf.indexOf('\r\n\r\n', start);
    if (end < 0) {
      if (buf.length - start > MAX_HEAD_BYTES) throw new ResponseParseError(`upstream response head exceeds ${MAX_HEAD_BYTES} bytes`);
      this.#carry = start === 0 && buf !== data ? buf : Buffer.from(buf.subarray(start));
      return -1;
    }
    if (end - start > MAX_HEAD_BYTES) throw new ResponseParseError(`upstream response head exceeds ${MAX_HEAD_BYTES} bytes`);
    this.#carry = undefined;
    const after = end + 4;
    const consumed = carry ? at + (after - carry.length) : after;
    this.#head(buf.toString('latin1', start, end));
    return consumed;
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
    if (status === 204 || status === 304 || (!chunked && contentLength === 0)) {
      this.#reusable = persistent;
      this.#state = State.Done;
      this.sink.onHead(status, raw, persistent, keepAliveHintMs);
      this.sink.onEnd();
      return;
    }
    if (chunked) this.#state = State.ChunkSize;
    else if (contentLength > 0) {
      this.#state = State.Length;
      this.#remaining = contentLength;
    } else this.#state = State.UntilClose;
    this.#reusable = persistent && this.#state !== State.UntilClose;
    this.sink.onHead(status, raw, this.#reusable, keepAliveHintMs);
  }

  /**
   * Reads a CRLF-ended line starting at `at`, joined to bytes carried from earlier reads.
   * Returns the line (without CRLF) and sets #lineEnd to the offset after it in `data`, or
   * returns undefined when the line continues in the next read.
   */
  #readLine(data: Buffer, at: number, max: number, what: string): string | undefined {
    const lf = data.indexOf(LF, at);
    const carry = this.#carry;
    const carried = carry?.length ?? 0;
    if (lf < 0) {
      if (data.length - at + carried > max) throw new ResponseParseError(`upstream sent an over-long ${what}`);
      this.#carry = carry ? Buffer.concat([carry, data.subarray(at)]) : Buffer.from(data.subarray(at));
      return undefined;
    }
    if (lf - at + carried > max) throw new ResponseParseError(`upstream sent an over-long ${what}`);
    const cr = lf > at ? data[lf - 1] : carried > 0 ? carry![carried - 1] : undefined;
    if (cr !== CR) throw new ResponseParseError(`upstream sent a ${what} not ended by CRLF`);
    this.#carry = undefined;
    this.#lineEnd = lf + 1;
    if (!carry) return data.toString('latin1', at, lf - 1);
    if (lf === at) return carry.toString('latin1', 0, carried - 1);
    return carry.toString('latin1', 0, carried) + data.toString('latin1', at, lf - 1);
  }
}

/** An HTTP token (RFC 9110 5.6.2): what a header name may be. */
export const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function trimOws(s: string, from: number, to: number): string {
  while (from < to && (s.charCodeAt(from) === 32 || s.charCodeAt(from) === 9)) from++;
  while (to > from && (s.charCodeAt(to - 1) === 32 || s.charCodeAt(to - 1) === 9)) to--;
  return s.slice(from, to);
}

function parseChunkSize(line: string): number {
  const semi = line.indexOf(';');
  const hex = (semi < 0 ? line : line.slice(0, semi)).trim();
  if (!/^[0-9a-fA-F]{1,12}$/.test(hex)) throw new ResponseParseError(`upstream sent an invalid chunk size: ${JSON.stringify(line.slice(0, 32))}`);
  return parseInt(hex, 16);
}
