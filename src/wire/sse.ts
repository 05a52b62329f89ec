// Server-sent events: the one parser and the one serialiser in the project. Accepts `\n`,
// `\r\n` and `\r` line ends, comment lines, multi-line data, and caps line length because
// upstream output is untrusted.
//
// The parser is push-based (`SseParser`: bytes in, events out, synchronously), so a stream
// decoder reads its body once and handles the events of each read in the same turn; an async
// generator per layer cost a promise and a microtask per event. `parseSse` wraps it for callers
// that want an async iterable.

export interface SseEvent {
  event?: string;
  data: string;
  id?: string;
}

export class SseLineTooLongError extends Error {
  constructor(limit: number) {
    super(`SSE line longer than ${limit} bytes`);
    this.name = 'SseLineTooLongError';
  }
}

const DEFAULT_MAX_LINE = 4 * 1024 * 1024;
const NONE: readonly SseEvent[] = Object.freeze([]);
const STREAM = { stream: true } as const;

export class SseParser {
  /** Only for chunks that may split a character (made on first need). */
  private decoder: InstanceType<typeof TextDecoder> | undefined;
  /** The decoder may hold the first bytes of a split character: it must see the next chunk. */
  private decoding = false;
  /** Some text was seen (a byte-order mark can only open the stream). */
  private started = false;
  private buf = '';
  /** The data lines of the event being read, joined with \n; undefined before the first. */
  private data: string | undefined;
  private event: string | undefined;
  private id: string | undefined;
  /** The last chunk ended in \r: a \n starting the next one belongs to that line end. */
  private lastWasCr = false;
  private out: SseEvent[] | undefined;

  constructor(private readonly maxLine = DEFAULT_MAX_LINE) {}

  /** Feeds bytes; returns the events they complete, in order (often none). */
  push(chunk: Uint8Array): readonly SseEvent[] {
    let buf = this.buf + this.text(chunk);
    let start = 0;
    if (this.lastWasCr && buf.charCodeAt(0) === 10) start = 1;
    this.lastWasCr = false;
    if (buf.indexOf('\r', start) === -1) {
      // The common case: \n line ends only.
      for (let nl = buf.indexOf('\n', start); nl !== -1; nl = buf.indexOf('\n', start)) {
        this.line(buf.slice(start, nl));
        start = nl + 1;
      }
    } else {
      for (let i = start; i < buf.length; i++) {
        const c = buf.charCodeAt(i);
        if (c !== 10 && c !== 13) continue;
        this.line(buf.slice(start, i));
        if (c === 13) {
          if (i + 1 < buf.length) {
            if (buf.charCodeAt(i + 1) === 10) i++;
          } else {
            this.lastWasCr = true;
          }
        }
        start = i + 1;
      }
    }
    buf = start === 0 ? buf : buf.slice(start);
    if (buf.length > this.maxLine) throw new SseLineTooLongError(this.maxLine);
    this.buf = buf;
    return this.take();
  }

  /** The body ended: a last line or event without its blank line still counts. */
  end(): readonly SseEvent[] {
    const rest = this.buf + (this.decoding ? this.decoder!.decode() : '');
    this.decoding = false;
    this.buf = '';
    if (rest.length > 0) this.line(rest);
    this.flush();
    return this.take();
  }

  /**
   * The chunk as text. Most chunks end on an ASCII byte (SSE lines end in \n), so nothing is
   * carried over and Buffer's native UTF-8 decoding does it (a fraction of TextDecoder's cost in
   * streaming mode, per chunk and above all on a stream's first chunk, which is on the path to
   * the first token). A chunk that may end inside a character goes through the TextDecoder,
   * which keeps the partial bytes, and so does every chunk after it until one ends cleanly.
   * Invalid bytes become U+FFFD either way; a byte-order mark opening the stream is dropped.
   */
  private text(chunk: Uint8Array): string {
    const n = chunk.length;
    if (n === 0) return '';
    const clean = chunk[n - 1]! < 0x80;
    let text: string;
    if (!this.decoding && clean) {
      text = (Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, n)).toString('utf8');
    } else {
      // An ASCII last byte completes (or ends, as U+FFFD) anything pending: the decoder is empty after it.
      this.decoding = !clean;
      text = (this.decoder ??= new TextDecoder('utf-8', { ignoreBOM: true })).decode(chunk, STREAM);
    }
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    return text;
  }

  private take(): readonly SseEvent[] {
    const out = this.out;
    if (!out) return NONE;
    this.out = undefined;
    return out;
  }

  private line(line: string): void {
    if (line === '') return this.flush();
    if (line.charCodeAt(0) === 58 /* : */) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === 'data') this.data = this.data === undefined ? value : `${this.data}\n${value}`;
    else if (field === 'event') this.event = value;
    else if (field === 'id') this.id = value;
  }

  private flush(): void {
    if (this.data === undefined) {
      this.event = undefined;
      return;
    }
    const ev: SseEvent = { data: this.data };
    if (this.event !== undefined) ev.event = this.event;
    if (this.id !== undefined) ev.id = this.id;
    this.data = undefined;
    this.event = undefined;
    (this.out ??= []).push(ev);
  }
}

/** Parses a byte stream into SSE events. Yields nothing for comment-only or empty events. */
export async function* parseSse(body: AsyncIterable<Uint8Array>, maxLine = DEFAULT_MAX_LINE): AsyncGenerator<SseEvent> {
  const parser = new SseParser(maxLine);
  for await (const chunk of body) yield* parser.push(chunk);
  yield* parser.end();
}

/** Serialises one `data:` event. `data` must not contain newlines (JSON.stringify never does). */
export function sseData(data: string): string {
  return `data: ${data}\n\n`;
}
