// One keep-alive connection to an upstream origin, carrying one exchange at a time (no
// pipelining: a POST to a model is not safe to pipeline, and one exchange per connection keeps
// a failure from taking bystanders with it). It writes the request, feeds each read to a
// ResponseParser and hands the head and body pieces to the exchange's handler.

import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { requestHead, type Http1Request } from './request-head.js';
import { ResponseParser, type ResponseSink } from './response-parser.js';

/** What an exchange's owner implements (the same calls undici makes of a dispatch handler). */
export interface ExchangeHandler {
  onConnect(abort: (err: Error) => void): void;
  onHeaders(status: number, raw: string[], resume: () => void): boolean;
  onData(chunk: Buffer): boolean;
  onComplete(trailers: null): void;
  onError(err: Error): void;
}

export class UpstreamConnectionError extends Error {
  constructor(
    message: string,
    readonly code: 'UPSTREAM_CONNECT_TIMEOUT' | 'UPSTREAM_SOCKET_CLOSED',
  ) {
    super(message);
  }
}

export interface Exchange {
  readonly req: Http1Request;
  readonly handler: ExchangeHandler;
  /** The connection carrying it, once it has one. */
  conn: Connection | undefined;
  /** Set once the handler has heard the end (complete or failed): nothing more reaches it. */
  settled: boolean;
}

export interface Origin {
  host: string;
  port: number;
  /** The Host header: the origin's host, with the port only when it is not the default. */
  hostHeader: string;
  tls: ConnectionOptions | undefined;
  connectTimeoutMs: number;
}

/** What the pool hears back from its connections. */
export interface ConnectionOwner {
  /** The exchange ended and the connection can carry another one. */
  reuse(c: Connection, keepAliveHintMs: number | undefined): void;
  /** The connection is gone (closed, failed or not reusable). */
  gone(c: Connection): void;
  /** A TLS session to resume on the next connection. */
  session?(s: Buffer): void;
}

export class Connection implements ResponseSink {
  readonly #origin: Origin;
  readonly #socket: Socket;
  readonly #owner: ConnectionOwner;
  #connected = false;
  #connectTimer: NodeJS.Timeout | undefined;
  #ex: Exchange | undefined;
  #parser: ResponseParser | undefined;
  #hint: number | undefined;
  /** When the connection went back to the pool (ms since the epoch), for its idle limit. */
  idleSince = 0;
  /** How long it may sit idle before it is not trusted to be open at the server any more. */
  idleLimitMs = 0;

  constructor(origin: Origin, owner: ConnectionOwner, first: Exchange, session: Buffer | undefined) {
    this.#origin = origin;
    this.#owner = owner;
    this.#ex = first;
    first.conn = this;
    const s = origin.tls
      ? tlsConnect({ ...origin.tls, host: origin.host, port: origin.port, session, ALPNProtocols: ['http/1.1'] })
      : netConnect({ host: origin.host, port: origin.port, noDelay: true });
    this.#socket = s;
    if (origin.tls) {
      s.setNoDelay(true);
      (s as TLSSocket).once('secureConnect', this.#onConnect);
      (s as TLSSocket).on('session', (sess: Buffer) => owner.session?.(sess));
    } else s.once('connect', this.#onConnect);
    s.on('data', this.#onData);
    s.on('end', this.#onEnd);
    s.on('error', this.#onError);
    s.on('close', this.#onClose);
    this.#connectTimer = setTimeout(() => {
      s.destroy(new UpstreamConnectionError(`could not connect to the upstream within ${origin.connectTimeoutMs} ms`, 'UPSTREAM_CONNECT_TIMEOUT'));
    }, origin.connectTimeoutMs);
  }

  /** False once the socket is closing: such a connection must not take another exchange. */
  get usable(): boolean {
    return !this.#socket.destroyed && this.#socket.readable;
  }

  /** Starts an exchange on this (connected, idle) connection. */
  run(ex: Exchange): void {
    this.#ex = ex;
    ex.conn = this;
    this.#send(ex);
  }

  /** Ends the connection; the exchange on it, if any, fails with `err` when the socket closes. */
  destroy(err?: Error): void {
    this.#socket.destroy(err); // a no-op once destroyed
  }

  /** The current exchange was aborted by its owner: the connection cannot be trusted after it. */
  abort(ex: Exchange): void {
    if (this.#ex !== ex) return;
    this.#ex = undefined;
    this.#socket.destroy();
  }

  #onConnect = (): void => {
    clearTimeout(this.#connectTimer);
    this.#connectTimer = undefined;
    this.#connected = true;
    this.#socket.setKeepAlive(true, 60_000);
    const ex = this.#ex;
    if (ex) this.#send(ex);
  };

  #send(ex: Exchange): void {
    let h;
    try {
      h = requestHead(ex.req, this.#origin.hostHeader);
    } catch (err) {
      // Nothing was written: the connection stays good.
      this.#ex = undefined;
      fail(ex, err as Error);
      this.#owner.reuse(this, this.#hint);
      return;
    }
    this.#parser = new ResponseParser(this);
    const body = ex.req.body;
    const s = this.#socket;
    if (typeof body === 'string' && !h.latin1) s.write(h.head + body);
    else {
      s.cork();
      s.write(h.head, 'latin1');
      if (h.bodyBytes > 0) s.write(body);
      s.uncork();
    }
  }

  #onData = (data: Buffer): void => {
    const parser = this.#parser;
    const ex = this.#ex;
    if (!parser || !ex) {
      // Bytes nobody asked for (an idle connection, or after an abort): not a usable connection.
      this.#socket.destroy();
      return;
    }
    let used: number;
    try {
      used = parser.execute(data);
    } catch (err) {
      this.#ex = undefined;
      fail(ex, err as Error);
      this.#socket.destroy();
      return;
    }
    // The exchange may have been aborted while its body was being handed over (a body over
    // its limit): the connection is being destroyed, and the exchange already heard of it.
    if (!parser.done || this.#ex !== ex) return;
    this.#complete(ex, parser.reusable && used === data.length);
  };

  #complete(ex: Exchange, reusable: boolean): void {
    this.#ex = undefined;
    this.#parser = undefined;
    if (!ex.settled) {
      ex.settled = true;
      ex.handler.onComplete(null);
    }
    if (reusable && this.usable) this.#owner.reuse(this, this.#hint);
    else this.#socket.destroy();
  }

  /**
   * The upstream ended its side. Idle, the connection is done with: closed at once so the pool
   * stops offering it. Mid-answer, the close that follows settles the exchange (a body framed
   * by the connection's end completes; anything else was cut short).
   */
  #onEnd = (): void => {
    if (!this.#ex) this.#socket.destroy();
  };

  #onError = (_err: Error): void => {
    // 'close' follows with the error; handled there.
  };

  #onClose = (hadError: boolean): void => {
    clearTimeout(this.#connectTimer);
    const ex = this.#ex;
    this.#ex = undefined;
    if (ex && !ex.settled) {
      const parser = this.#parser;
      // A body framed by the connection's end is complete when the upstream closes it cleanly;
      // a reset may have cut it short.
      if (parser && !hadError && parser.untilClose && parser.finish() === 'complete') {
        ex.settled = true;
        ex.handler.onComplete(null);
      } else {
        const err = this.#error(hadError);
        fail(ex, err);
      }
    }
    this.#owner.gone(this);
  };

  /** The error the socket closed with, or one saying the upstream closed it. */
  #error(hadError: boolean): Error {
    const stored = (this.#socket as unknown as { errored?: Error | null }).errored;
    if (hadError && stored) return stored;
    if (!this.#connected) return new UpstreamConnectionError('the upstream closed the connection before it was established', 'UPSTREAM_SOCKET_CLOSED');
    return new UpstreamConnectionError('the upstream closed the connection before the response was complete', 'UPSTREAM_SOCKET_CLOSED');
  }

  // --- the parser's sink ---------------------------------------------------------------------

  onHead(status: number, raw: string[], _keepAlive: boolean, hintMs: number | undefined): void {
    this.#hint = hintMs;
    this.#ex?.handler.onHeaders(status, raw, this.#resume);
  }

  onBody(piece: Buffer): boolean {
    const ex = this.#ex;
    if (!ex) return true;
    const more = ex.handler.onData(piece);
    if (!more) this.#socket.pause();
    return more;
  }

  onEnd(): void {
    // Completion is handled once the read that ended the response is fully consumed (#onData),
    // or at close for a body framed by the connection's end.
  }

  #resume = (): void => {
    if (this.#ex) this.#socket.resume();
  };
}

function fail(ex: Exchange, err: Error): void {
  if (ex.settled) return;
  ex.settled = true;
  ex.handler.onError(err);
}
