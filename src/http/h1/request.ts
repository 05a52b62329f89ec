// One request on a downstream connection: its head as node:http presents it (method, url,
// lower-case headers, the socket) and its body, collected on demand. The body is held as the
// socket's own reads (no copy) and never beyond the server's cap: past it the rest is
// dropped and the reader is told the body is too large.

import type { Socket } from 'node:net';
import type { RequestHead, RequestHeaders } from './request-parser.js';

/** What readBody resolves to when the body is over the limit. */
export const TOO_LARGE = Symbol('body too large');

export class BodyAbortedError extends Error {
  constructor() {
    super('the request was aborted before its body ended');
  }
}

export class H1Request {
  readonly method: string;
  readonly url: string;
  readonly headers: RequestHeaders;
  readonly httpVersionMinor: number;
  #chunks: Buffer[] = [];
  #size = 0;
  #ended: boolean;
  #aborted = false;
  #overCap = false;
  #waiter: { max: number; resolve: (b: Buffer | typeof TOO_LARGE) => void; reject: (e: Error) => void } | undefined;
  /** Called once when the body is first asked for (sends "100 Continue" when the client waits for it). */
  #onRead: (() => void) | undefined;

  constructor(
    head: RequestHead,
    readonly socket: Socket,
    /** The most body bytes held for a reader; more is dropped. */
    private readonly cap: number,
    onRead: (() => void) | undefined,
  ) {
    this.method = head.method;
    this.url = head.url;
    this.headers = head.headers;
    this.httpVersionMinor = head.minor;
    this.#ended = !head.hasBody;
    this.#onRead = onRead;
  }

  /** The whole body, or TOO_LARGE when it is (or is declared) over `maxBytes`. Rejects if the client leaves first. */
  readBody(maxBytes: number): Promise<Buffer | typeof TOO_LARGE> {
    const declared = Number(this.headers['content-length']);
    if (declared > maxBytes) return Promise.resolve(TOO_LARGE);
    if (this.#onRead) {
      const f = this.#onRead;
      this.#onRead = undefined;
      f();
    }
    if (this.#overCap || this.#size > maxBytes) return Promise.resolve(TOO_LARGE);
    if (this.#ended) return Promise.resolve(this.#joined());
    if (this.#aborted) return Promise.reject(new BodyAbortedError());
    return new Promise((resolve, reject) => (this.#waiter = { max: maxBytes, resolve, reject }));
  }

  /** Whether the body has arrived in full (or there was none). */
  get complete(): boolean {
    return this.#ended;
  }

  /** The client waits for "100 Continue", not yet sent, before sending its body. */
  get waitsToSend(): boolean {
    return this.#onRead !== undefined;
  }

  /** Whether more body arrived than the server holds. */
  get overCap(): boolean {
    return this.#overCap;
  }

  /** A piece of the body from the connection. */
  push(piece: Buffer): void {
    if (this.#overCap) return;
    this.#size += piece.length;
    const w = this.#waiter;
    if (this.#size > this.cap || (w && this.#size > w.max)) {
      this.#overCap = true;
      this.#chunks = [];
      if (w) {
        this.#waiter = undefined;
        w.resolve(TOO_LARGE);
      }
      return;
    }
    this.#chunks.push(piece);
  }

  end(): void {
    this.#ended = true;
    const w = this.#waiter;
    if (w) {
      this.#waiter = undefined;
      w.resolve(this.#joined());
    }
  }

  /** The client went away (or the request could not be read) before the body ended. */
  abort(): void {
    if (this.#ended) return;
    this.#aborted = true;
    const w = this.#waiter;
    if (w) {
      this.#waiter = undefined;
      w.reject(new BodyAbortedError());
    }
  }

  #joined(): Buffer {
    const c = this.#chunks;
    return c.length === 1 ? c[0]! : Buffer.concat(c, this.#size);
  }
}
