// HTTP/1.1 message framing shared by the upstream client and the downstream server: a head
// read across reads, a body delimited by Content-Length, by chunked transfer coding
// (extensions and trailers read and dropped) or by the connection's end, and what a field
// name and value may hold. Pure: bytes in, heads, body pieces and an end out, split anywhere.
// Pieces are views into the reads (no copy).

/** A chunk-size line longer than this (hex digits plus extensions) is not a chunk size. */
const MAX_CHUNK_LINE = 1024;
const MAX_TRAILER_BYTES = 16 * 1024;

const enum State {
  Idle,
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

export interface BodySink {
  onBody(piece: Buffer): void;
  onEnd(): void;
}

/**
 * Reads one message's body. `fail` makes the error thrown for bytes that cannot be framed
 * (each side has its own error type); `who` names the sender in its message.
 */
export class BodyFramer {
  #state = State.Idle;
  #remaining = 0;
  #trailerBytes = 0;
  /** Chunk-size or trailer line bytes carried over from an earlier read. */
  #carry: Buffer | undefined;
  /** Where #readLine's last line ended (after its LF) in the read it came from. */
  #lineEnd = 0;

  constructor(
    private readonly sink: BodySink,
    private readonly fail: (message: string) => Error,
    private readonly who: string,
  ) {}

  /** A body of exactly n bytes (n > 0). */
  length(n: number): void {
    this.#state = State.Length;
    this.#remaining = n;
  }

  /** No body: ends at once. */
  empty(): void {
    this.#state = State.Done;
    this.sink.onEnd();
  }

  chunked(): void {
    this.#state = State.ChunkSize;
    this.#carry = undefined;
  }

  untilClose(): void {
    this.#state = State.UntilClose;
  }

  get done(): boolean {
    return this.#state === State.Done;
  }

  get isUntilClose(): boolean {
    return this.#state === State.UntilClose;
  }

  /** True once a body has started and not ended (the connection's end would cut it). */
  get inProgress(): boolean {
    return this.#state !== State.Idle && this.#state !== State.Done;
  }

  /** Forgets the last body (the next message's may start). */
  reset(): void {
    this.#state = State.Idle;
    this.#carry = undefined;
  }

  /** Consumes body bytes of `data` from `at`; returns the offset after the body's last byte, or data.length. */
  execute(data: Buffer, at: number): number {
    const len = data.length;
    while (at < len) {
      switch (this.#state) {
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
        case State.UntilClose:
          this.sink.onBody(at === 0 ? data : data.subarray(at));
          return len;
        case State.ChunkSize: {
          const line = this.#readLine(data, at, MAX_CHUNK_LINE, 'chunk size line');
          if (line === undefined) return len;
          at = this.#lineEnd;
          const size = this.#chunkSize(line);
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
          if (data[at] !== want) throw this.fail(`${this.who} sent a chunk whose data does not end with CRLF`);
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
        case State.Idle:
        case State.Done:
          return at;
      }
    }
    return len;
  }

  /** The connection ended: a body framed by its end is complete, any other in progress is cut. */
  finish(): 'complete' | 'truncated' | 'idle' {
    if (this.#state === State.UntilClose) {
      this.#state = State.Done;
      this.sink.onEnd();
      return 'complete';
    }
    return this.inProgress ? 'truncated' : 'idle';
  }

  /** Up to #remaining body bytes of `data` from `at` (the read itself when it is all body). */
  #take(data: Buffer, at: number): Buffer {
    const n = Math.min(this.#remaining, data.length - at);
    this.#remaining -= n;
    return at === 0 && n === data.length ? data : data.subarray(at, at + n);
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
      if (data.length - at + carried > max) throw this.fail(`${this.who} sent an over-long ${what}`);
      this.#carry = carry ? Buffer.concat([carry, data.subarray(at)]) : Buffer.from(data.subarray(at));
      return undefined;
    }
    if (lf - at + carried > max) throw this.fail(`${this.who} sent an over-long ${what}`);
    const cr = lf > at ? data[lf - 1] : carried > 0 ? carry![carried - 1] : undefined;
    if (cr !== CR) throw this.fail(`${this.who} sent a ${what} not ended by CRLF`);
    this.#carry = undefined;
    this.#lineEnd = lf + 1;
    if (!carry) return data.toString('latin1', at, lf - 1);
    if (lf === at) return carry.toString('latin1', 0, carried - 1);
    return carry.toString('latin1', 0, carried) + data.toString('latin1', at, lf - 1);
  }

  #chunkSize(line: string): number {
    const semi = line.indexOf(';');
    const hex = (semi < 0 ? line : line.slice(0, semi)).trim();
    if (!/^[0-9a-fA-F]{1,12}$/.test(hex)) throw this.fail(`${this.who} sent an invalid chunk size: ${JSON.stringify(line.slice(0, 32))}`);
    return parseInt(hex, 16);
  }
}

/** An HTTP token (RFC 9110 5.6.2): what a header name or a method may be. */
export const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Visible ASCII, space and tab: a field value with no encoding question. */
const PLAIN_VALUE = /^[\t\x20-\x7e]*$/;
/** obs-text (0x80–0xff) is legal in a value too; anything else (line breaks, controls, characters above U+00FF) is not. */
const LATIN1_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * What a field value holds, as node:http judges it: 'plain' ASCII (the common case, one regex),
 * 'latin1' (bytes above 0x7e: a head holding one must be written as latin1, where UTF-8 would
 * take two bytes for it) or 'invalid' (a CR or LF would split the message).
 */
export function valueKind(value: string): 'plain' | 'latin1' | 'invalid' {
  if (PLAIN_VALUE.test(value)) return 'plain';
  return LATIN1_VALUE.test(value) ? 'latin1' : 'invalid';
}

/** A field value with optional whitespace trimmed at both ends. */
export function trimOws(s: string, from: number, to: number): string {
  while (from < to && (s.charCodeAt(from) === 32 || s.charCodeAt(from) === 9)) from++;
  while (to > from && (s.charCodeAt(to - 1) === 32 || s.charCodeAt(to - 1) === 9)) to--;
  return s.slice(from, to);
}

/**
 * Collects a message head (start line and fields, up to the blank line) across reads. A head
 * split across reads is carried and joined to the next, so a CRLFCRLF split across them is found.
 */
export class HeadReader {
  #carry: Buffer | undefined;
  /** Where the last head read ended (after its blank line) in the read it completed in. */
  end = 0;

  constructor(
    private readonly max: number,
    private readonly tooLong: () => Error,
    /** Blank lines before the head are skipped (requests: RFC 9112 2.2). */
    private readonly skipBlankLines: boolean,
    /** Looks at an incomplete head (e.g. to refuse one that can never complete). */
    private readonly checkIncomplete?: (buf: Buffer, start: number) => void,
  ) {}

  /** Bytes of a head not yet complete are held. */
  get carrying(): boolean {
    return this.#carry !== undefined;
  }

  reset(): void {
    this.#carry = undefined;
  }

  /** The head's text (latin1, without the blank line) once complete, else undefined (carried). */
  read(data: Buffer, at: number): string | undefined {
    let buf = data;
    let start = at;
    const carry = this.#carry;
    if (carry) {
      buf = Buffer.concat([carry, data.subarray(at)]);
      start = 0;
    }
    if (this.skipBlankLines) while (start + 1 < buf.length && buf[start] === 13 && buf[start + 1] === 10) start += 2;
    const end = buf.indexOf('\r\n\r\n', start);
    if (end < 0 ? buf.length - start > this.max : end - start > this.max) throw this.tooLong();
    if (end < 0) {
      this.checkIncomplete?.(buf, start);
      this.#carry = start === 0 && buf !== data ? buf : start < buf.length ? Buffer.from(buf.subarray(start)) : undefined;
      return undefined;
    }
    this.#carry = undefined;
    const after = end + 4;
    this.end = carry ? at + (after - carry.length) : after;
    return buf.toString('latin1', start, end);
  }
}
