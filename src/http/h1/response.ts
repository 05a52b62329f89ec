// One answer on a downstream connection: the subset of node:http's ServerResponse the gateway
// uses (writeHead, write, end, uncork, destroy), with the head held until the first body bytes
// so a whole answer leaves in one socket write, chunked framing for streams, and no
// EventEmitter: the connection is told when the answer is done and a subclass may hook it.

import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { TOKEN, valueKind } from '../../wire/http1-body.js';
import { httpDate } from './date.js';

export type HeaderList = readonly (string | number)[];
export type HeaderObject = Readonly<Record<string, string | number | readonly string[] | undefined>>;

/** What the response needs from its connection. */
export interface ResponseOwner {
  readonly socket: Socket;
  /** Whether this connection may carry another request after the answer. */
  keepAliveAfter(): boolean;
  /** The answer ended (`finished`) or was cut (the socket closed or it was destroyed). */
  answered(res: H1Response, finished: boolean): void;
}

/** Framing and connection fields belong to the connection, whatever the caller says. */
const OWNED = new Set(['connection', 'keep-alive', 'transfer-encoding', 'date']);
const KEEP_ALIVE = 'connection: keep-alive\r\nkeep-alive: timeout=65\r\n';
const CLOSE = 'connection: close\r\n';

const statusLine = (status: number): string => `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}\r\n`;

const enum Framing {
  None,
  Length,
  Chunked,
  UntilClose,
}

/** The constructor the connection makes answers with (a subclass may add per-request state). */
export type H1ResponseClass = new (owner: ResponseOwner, headOnly: boolean, http10: boolean) => H1Response;

export class H1Response {
  statusCode = 200;
  headersSent = false;
  #head: string | undefined;
  #latin1Head = false;
  #framing = Framing.Length;
  #closeAfter = false;
  #corked = false;
  #ended = false;
  #cut = false;
  #drainWaiters: (() => void)[] | undefined;

  constructor(
    readonly owner: ResponseOwner,
    /** The request was HEAD: the head goes out, the body does not. */
    private readonly headOnly: boolean,
    /** HTTP/1.0 client: no chunked framing. */
    private readonly http10: boolean,
  ) {}

  get destroyed(): boolean {
    return this.#cut || this.owner.socket.destroyed;
  }

  /** The answer has ended (its last bytes handed to the socket). */
  get writableFinished(): boolean {
    return this.#ended;
  }

  /** Sets the status and headers; they are written with the first body bytes (or at end). */
  writeHead(statusCode: number, headers?: HeaderObject | HeaderList): this {
    if (this.headersSent) throw new Error('writeHead called twice on one response');
    this.statusCode = statusCode;
    let text = statusLine(statusCode);
    let length = -1;
    if (Array.isArray(headers)) {
      for (let i = 0; i < headers.length; i += 2) {
        const line = this.#field(String(headers[i]), headers[i + 1] as string | number);
        if (line === undefined) continue;
        if (line === '') length = Number(headers[i + 1]);
        else text += line;
      }
    } else if (headers) {
      const h = headers as HeaderObject;
      for (const name in h) {
        const v = h[name];
        if (v === undefined) continue;
        if (typeof v === 'object') {
          for (const one of v) text += this.#field(name, one) ?? '';
          continue;
        }
        const line = this.#field(name, v);
        if (line === undefined) continue;
        if (line === '') length = Number(v);
        else text += line;
      }
    }
    const bodiless = statusCode === 204 || statusCode === 304 || statusCode < 200;
    if (bodiless) this.#framing = Framing.None;
    else if (length >= 0) {
      this.#framing = Framing.Length;
      text += `content-length: ${length}\r\n`;
    } else if (this.http10) {
      this.#framing = Framing.UntilClose;
      this.#closeAfter = true;
    } else {
      this.#framing = Framing.Chunked;
      text += 'transfer-encoding: chunked\r\n';
    }
    if (this.#closeAfter || !this.owner.keepAliveAfter()) {
      this.#closeAfter = true;
      text += CLOSE;
    } else text += KEEP_ALIVE;
    this.#head = `${text}date: ${httpDate()}\r\n\r\n`;
    this.headersSent = true;
    return this;
  }

  /**
   * One header line, validated as node:http validates (a CR or LF in a value would split the
   * response). Returns undefined for a field the connection owns, '' for content-length
   * (the framing writes it).
   */
  #field(name: string, value: string | number): string | undefined {
    const lower = name.toLowerCase();
    if (OWNED.has(lower)) return undefined;
    if (lower === 'content-length') return '';
    if (!TOKEN.test(name)) throw new TypeError(`Invalid header name ${JSON.stringify(name)}`);
    const v = typeof value === 'number' ? String(value) : value;
    const kind = valueKind(v);
    if (kind !== 'plain') {
      if (kind === 'invalid') throw new TypeError(`Invalid character in header ${name}`);
      this.#latin1Head = true;
    }
    return `${name}: ${v}\r\n`;
  }

  /** Writes body text; false when the socket's buffer is full (wait for drained()). */
  write(text: string): boolean {
    if (this.#ended || this.destroyed) return false;
    if (!this.headersSent) this.writeHead(this.statusCode);
    const socket = this.owner.socket;
    if (!this.#corked) {
      // Writes of one turn leave together: corked now, flushed at the turn's end (as node:http
      // does), unless uncork() sends them sooner.
      this.#corked = true;
      socket.cork();
      process.nextTick(uncorkLater, this);
    }
    this.#flushHead();
    if (this.headOnly || this.#framing === Framing.None) return true;
    if (this.#framing === Framing.Chunked) {
      if (text.length === 0) return true;
      return socket.write(`${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`);
    }
    return socket.write(text);
  }

  /** Sends what is corked now. */
  uncork(): void {
    if (!this.#corked) return;
    this.#corked = false;
    this.owner.socket.uncork();
  }

  /** Ends the answer, with a last piece of body if given. */
  end(body?: string | Buffer): void {
    if (this.#ended || this.destroyed) return;
    if (!this.headersSent) {
      const len = body === undefined ? 0 : typeof body === 'string' ? Buffer.byteLength(body) : body.length;
      this.writeHead(this.statusCode, ['content-length', len]);
    }
    this.#ended = true;
    const socket = this.owner.socket;
    const head = this.#head;
    const sendBody = body !== undefined && body.length > 0 && !this.headOnly && this.#framing !== Framing.None;
    if (head !== undefined && !this.#latin1Head && (!sendBody || typeof body === 'string') && this.#framing !== Framing.Chunked) {
      // The common whole answer: head and body in one string, one write.
      this.#head = undefined;
      socket.write(sendBody ? head + (body as string) : head);
    } else {
      // Several pieces: one writev.
      if (!this.#corked) {
        this.#corked = true;
        socket.cork();
      }
      this.#flushHead();
      if (sendBody) {
        if (this.#framing === Framing.Chunked) {
          const n = typeof body === 'string' ? Buffer.byteLength(body) : body!.length;
          socket.write(`${n.toString(16)}\r\n`);
          socket.write(body!);
          socket.write('\r\n0\r\n\r\n');
        } else socket.write(body!);
      } else if (this.#framing === Framing.Chunked && !this.headOnly) socket.write('0\r\n\r\n');
    }
    this.uncork();
    this.#over(true);
  }

  /**
   * Sends a whole answer built in advance by prebuilt(): the cheapest answer there is (one
   * write of ready bytes, no header work), for refusals that must cost next to nothing.
   */
  endPrebuilt(p: PrebuiltAnswer): void {
    if (this.headersSent || this.destroyed) return;
    this.headersSent = true;
    this.statusCode = p.status;
    const keepAlive = this.owner.keepAliveAfter();
    this.#closeAfter = !keepAlive;
    this.#ended = true;
    this.owner.socket.write(keepAlive ? p.keepAlive : p.close);
    this.#over(true);
  }

  /** Whether the connection closes after this answer. */
  get closesConnection(): boolean {
    return this.#closeAfter;
  }

  /** Cuts the answer: the connection is closed, the client sees it end early. */
  destroy(): void {
    if (this.#ended) return;
    this.#cut = true;
    this.owner.socket.destroy();
  }

  /** Resolves when the socket can take more, or is gone. */
  drained(): Promise<void> {
    if (this.destroyed || !this.owner.socket.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => (this.#drainWaiters ??= []).push(resolve));
  }

  /** Called by the connection on the socket's 'drain' or 'close'. */
  wake(): void {
    const w = this.#drainWaiters;
    if (!w) return;
    this.#drainWaiters = undefined;
    for (const f of w) f();
  }

  /** The connection went away before the answer ended. */
  cutShort(): void {
    if (this.#ended || this.#cut) return;
    this.#cut = true;
    this.wake();
    this.#over(false);
  }

  /** The connection hears at once that the answer is over; onDone on the next tick. */
  #over(finished: boolean): void {
    this.owner.answered(this, finished);
    process.nextTick(doneLater, this, finished);
  }

  /**
   * The answer is over: `finished` when it ended, false when the connection went first. Called
   * once, on the tick after (as node:http's 'close'), so the code that ended it has finished
   * its own bookkeeping. Subclasses hook it.
   */
  onDone(finished: boolean): void {
    void finished;
  }

  #flushHead(): void {
    const head = this.#head;
    if (head === undefined) return;
    this.#head = undefined;
    this.owner.socket.write(this.#latin1Head ? Buffer.from(head, 'latin1') : head);
  }
}

/** A whole answer's bytes, for a connection kept open and for one closing after it. */
export interface PrebuiltAnswer {
  status: number;
  keepAlive: Buffer;
  close: Buffer;
}

/**
 * Builds a fixed answer once. No Date header: it would go stale, and RFC 9110 (6.6.1) asks for
 * one only on 2xx, 3xx and 4xx answers; a prebuilt answer is a 5xx refusal.
 */
export function prebuilt(status: number, headers: HeaderList, body: string): PrebuiltAnswer {
  if (status < 500) throw new Error('a prebuilt answer carries no Date header, so it must be a 5xx');
  let head = statusLine(status);
  for (let i = 0; i < headers.length; i += 2) {
    const name = String(headers[i]);
    const lower = name.toLowerCase();
    if (OWNED.has(lower) || lower === 'content-length') continue;
    head += `${name}: ${headers[i + 1]}\r\n`;
  }
  head += `content-length: ${Buffer.byteLength(body)}\r\n`;
  return { status, keepAlive: Buffer.from(`${head}${KEEP_ALIVE}\r\n${body}`), close: Buffer.from(`${head}${CLOSE}\r\n${body}`) };
}

function doneLater(res: H1Response, finished: boolean): void {
  res.onDone(finished);
}

function uncorkLater(res: H1Response): void {
  res.uncork();
}
