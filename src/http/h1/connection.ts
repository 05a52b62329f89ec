// One downstream client connection: feeds the socket's reads to the request parser, hands each
// request to the server's handler, and answers one request at a time. A pipelined next request
// waits (its bytes held, reading paused past a bound) until the answer before it has ended; the
// unread rest of a body the handler did not want is read and dropped, so the connection keeps
// going. A request that cannot be read gets a JSON error and the connection closes: the bytes
// after it cannot be trusted to line up.

import type { Socket } from 'node:net';
import { RequestParseError, RequestParser, type RequestHead, type RequestSink } from './request-parser.js';
import { H1Request } from './request.js';
import { H1Response, type H1ResponseClass, type ResponseOwner } from './response.js';

export interface ConnectionHost {
  /** The most body bytes held for one request. */
  readonly maxBodyBytes: number;
  /** Whether connections may still be kept alive (false once the server is closing). */
  keepAlive: boolean;
  now(): number;
  readonly Response: H1ResponseClass;
  handle(req: H1Request, res: H1Response): void;
  /** The connection is gone (closed by either side). */
  closed(conn: H1Connection): void;
  /** The body of a refusal for a request that cannot be read. */
  errorBody(status: number, message: string): string;
  /** The handler threw while taking a request (answered 500 already); for the log. */
  handlerFailed?(err: unknown): void;
  /** A request that could not be read was refused with `status` (for the metrics). */
  refused?(status: number): void;
}

/** Bytes of pipelined requests held while an answer is in progress before reading pauses. */
const MAX_HELD = 64 * 1024;
const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';

export class H1Connection implements RequestSink, ResponseOwner {
  readonly #parser: RequestParser = new RequestParser(this);
  /** The request being read or answered. */
  #req: H1Request | undefined;
  #res: H1Response | undefined;
  /** The current request's answer has ended (its body may still be arriving, to be dropped). */
  #answered = false;
  /** Bytes read past the current request, parsed once its answer has ended. */
  #held: Buffer | undefined;
  #feeding = false;
  #closing = false;
  /** Whether the current request's client lets the connection carry another one. */
  #headKeepAlive = true;
  /** When the connection last finished an answer or opened (for the idle timeout), ms. */
  idleSince: number;
  /** When the head now being read started arriving (for the head timeout), or -1. */
  headSince = -1;
  /** When the socket last brought bytes (for the body timeout). */
  lastReadAt: number;

  constructor(
    readonly socket: Socket,
    private readonly host: ConnectionHost,
  ) {
    this.idleSince = this.lastReadAt = host.now();
    socket.on('data', (d: Buffer) => this.#onData(d));
    socket.on('drain', () => this.#res?.wake());
    socket.on('error', () => undefined); // 'close' follows and does the work
    socket.on('end', () => this.#onEnd());
    socket.on('close', () => this.#onClose());
  }

  /** A request's body is still arriving and nobody has answered it yet. */
  get readingBody(): boolean {
    const req = this.#req;
    return req !== undefined && !req.complete && !this.#answered;
  }

  /** Idle between requests (nothing in progress): safe to close. */
  get idle(): boolean {
    return this.#req === undefined && this.#parser.idle && this.#held === undefined;
  }

  keepAliveAfter(): boolean {
    if (!this.host.keepAlive || this.#closing || !this.#headKeepAlive) return false;
    // A body over the cap is not worth reading to its end, and a client that waits for
    // "100 Continue" before its body, answered without one, may never send it: the bytes
    // after either cannot be trusted to line up.
    const req = this.#req;
    return req === undefined || req.complete || (!req.overCap && !req.waitsToSend);
  }

  onHead(head: RequestHead): void {
    this.headSince = -1;
    this.#headKeepAlive = head.keepAlive;
    this.#answered = false;
    const onRead = head.expectContinue ? () => this.socket.write(CONTINUE) : undefined;
    const req = (this.#req = new H1Request(head, this.socket, this.host.maxBodyBytes, onRead));
    const res = (this.#res = new this.host.Response(this, head.method === 'HEAD', head.minor === 0));
    try {
      this.host.handle(req, res);
    } catch (err) {
      // The handler's own fault, not the client's: a 500, and the connection closes.
      this.#closing = true;
      req.abort();
      if (!res.headersSent) {
        const body = this.host.errorBody(500, 'The gateway failed to handle this request; retry, and report it if it persists.');
        res.writeHead(500, ['content-type', 'application/json', 'content-length', Buffer.byteLength(body)]);
        res.end(body);
      } else res.destroy();
      this.host.handlerFailed?.(err);
    }
  }

  onBody(piece: Buffer): void {
    // After the answer, the rest of an unwanted body is dropped.
    if (!this.#answered) this.#req?.push(piece);
  }

  onEnd(): void {
    this.#req?.end();
  }

  answered(res: H1Response, finished: boolean): void {
    if (res !== this.#res) return;
    this.#res = undefined;
    this.#answered = true;
    if (!finished) return; // the socket is closing; 'close' cleans up
    if (this.#closing || res.closesConnection) {
      this.#closing = true;
      this.socket.end();
      return;
    }
    this.idleSince = this.host.now();
    if (this.#parser.done) this.#next();
  }

  /** The current request is read and answered: ready for the next one. */
  #reset(): void {
    this.#req = undefined;
    this.#answered = false;
    this.#parser.reset();
  }

  /** Goes on to the next request, held bytes first. */
  #next(): void {
    this.#reset();
    const held = this.#held;
    if (held) {
      this.#held = undefined;
      if (this.socket.isPaused()) this.socket.resume();
      this.#feed(held);
    }
  }

  #onData(d: Buffer): void {
    if (this.#closing) return;
    this.lastReadAt = this.host.now();
    if (this.#held) {
      this.#held = Buffer.concat([this.#held, d]);
      if (this.#held.length > MAX_HELD) this.socket.pause();
      return;
    }
    this.#feed(d);
  }

  #feed(d: Buffer): void {
    if (this.#feeding) {
      // Re-entered from a handler that answered synchronously: hold the bytes for the loop below.
      this.#held = this.#held ? Buffer.concat([this.#held, d]) : d;
      return;
    }
    this.#feeding = true;
    try {
      let at = 0;
      while (at < d.length && !this.#closing) {
        if (this.#parser.done) {
          if (!this.#answered) {
            // Pipelined: the next request waits until this one is answered.
            const rest = d.subarray(at);
            this.#held = this.#held ? Buffer.concat([rest, this.#held]) : rest;
            if (this.#held.length > MAX_HELD) this.socket.pause();
            return;
          }
          this.#reset();
        }
        if (this.#parser.idle && this.headSince < 0) this.headSince = this.host.now();
        at = this.#parser.execute(d, at);
        if (this.#parser.done && this.#answered) this.#reset();
      }
    } catch (err) {
      this.#refuse(err);
    } finally {
      this.#feeding = false;
    }
    const held = this.#held;
    if (held && !this.#closing && (this.#req === undefined || this.#answered)) {
      this.#held = undefined;
      this.#feed(held);
    }
  }

  #refuse(err: unknown): void {
    this.#closing = true;
    const req = this.#req;
    let res = this.#res;
    if (req !== undefined && (res === undefined || res.headersSent)) {
      // Already answered (the bad bytes were in a body being dropped) or answering: cut.
      req.abort();
      this.socket.destroy();
      return;
    }
    // A bad head, or a bad body its handler still waits for: the refusal is this request's
    // answer (the handler's own, later, finds the head sent and stops).
    res ??= this.#res = new H1Response(this, false, false);
    const status = err instanceof RequestParseError ? err.status : 400;
    const message = err instanceof Error ? err.message : 'The request could not be read.';
    this.host.refused?.(status);
    const body = this.host.errorBody(status, message);
    res.writeHead(status, ['content-type', 'application/json', 'content-length', Buffer.byteLength(body)]);
    res.end(body);
    req?.abort();
  }

  #onEnd(): void {
    // The client stopped sending: as node:http does, a request or answer in progress is
    // abandoned (the client is taken to be gone) and the connection ends once what was
    // written has gone out.
    this.#closing = true;
    this.#req?.abort();
    this.#res?.cutShort();
    this.socket.end();
  }

  #onClose(): void {
    this.#closing = true;
    this.#req?.abort();
    this.#res?.cutShort();
    this.host.closed(this);
  }

  /** Closes the connection now if idle, else after the answer in progress. */
  close(): void {
    this.#closing = true;
    if (this.#res === undefined) this.socket.end();
  }
}
