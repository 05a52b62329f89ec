// Treaty's own downstream HTTP/1.1 listener: a net.Server whose connections parse and answer
// requests themselves (connection.ts), with node:http's timeouts (a head must arrive within
// headersTimeoutMs of its first byte; an idle keep-alive connection closes after
// keepAliveTimeoutMs) and one more (a body not yet answered may go headersTimeoutMs without a
// byte) checked by one sweep a second rather than a timer per connection.

import { createServer, type Server, type Socket } from 'node:net';
import { H1Connection, type ConnectionHost } from './connection.js';
import type { H1Request } from './request.js';
import { H1Response, type H1ResponseClass, type PrebuiltAnswer } from './response.js';

export interface H1ServerOptions {
  maxBodyBytes: number;
  keepAliveTimeoutMs: number;
  headersTimeoutMs: number;
  /** The JSON body of a refusal for a request that cannot be read (status, what to fix). */
  errorBody(status: number, message: string): string;
  /** The handler threw while taking a request (the client got a 500); for the log. */
  handlerFailed?(err: unknown): void;
  /** A request that could not be read was refused with `status` (400, 417, 431). */
  onRefused?(status: number): void;
  /** Wall clock for the timeouts (tests pass a fake one and call sweep()). */
  now?: () => number;
  /** The class answers are made with (default H1Response). */
  Response?: H1ResponseClass;
  /** How often the timeouts are checked; 0 leaves it to explicit sweep() calls. */
  sweepIntervalMs?: number;
  /**
   * Most connections served at once. A connection accepted beyond it is answered `turnAway`
   * (a prebuilt 503 that closes the connection) before anything is read, and closed. Default: no cap.
   */
  maxConnections?: number;
  turnAway?: PrebuiltAnswer;
  /** A connection was turned away at maxConnections (for a counter). */
  onTurnedAway?(): void;
}

export type H1Handler<R extends H1Response = H1Response> = (req: H1Request, res: R) => void;

/** node:net's Server with the connection-closing calls node:http's Server has. */
export interface H1Server extends Server {
  closeAllConnections(): void;
  /** Closes connections past their head or idle timeout. */
  sweep(): void;
  readonly connectionCount: number;
}

export function createH1Server<R extends H1Response = H1Response>(opts: H1ServerOptions, handler: H1Handler<R>): H1Server {
  const now = opts.now ?? Date.now;
  const conns = new Set<H1Connection>();
  const host: ConnectionHost = {
    maxBodyBytes: opts.maxBodyBytes,
    keepAlive: true,
    Response: opts.Response ?? H1Response,
    handle: handler as H1Handler,
    closed: (c) => conns.delete(c),
    errorBody: opts.errorBody,
    handlerFailed: opts.handlerFailed,
    refused: opts.onRefused,
    now,
  };
  const max = opts.maxConnections ?? Number.POSITIVE_INFINITY;
  /** Connections being turned away: answered, waiting for the client to close. Bounded too. */
  let leaving = 0;
  // allowHalfOpen: the connection decides what a client's end means (connection.ts #onEnd).
  // noDelay: answers go out as written (the connection corks what belongs together).
  const server = createServer({ allowHalfOpen: true, noDelay: true }, (socket: Socket) => {
    if (conns.size < max) {
      conns.add(new H1Connection(socket, host));
      return;
    }
    opts.onTurnedAway?.();
    // Past the cap even for answers (a storm of new connections): closed without a word.
    if (leaving >= max || !opts.turnAway) {
      socket.destroy();
      return;
    }
    leaving++;
    turnAway(socket, opts.turnAway.close, () => leaving--);
  }) as H1Server;
  const sweep = (): void => {
    const t = now();
    for (const c of conns) {
      if (c.headSince >= 0 && t - c.headSince > opts.headersTimeoutMs) c.socket.destroy();
      // A body that stops arriving holds a request slot: as long without a byte as a head may take.
      else if (c.readingBody && t - c.lastReadAt > opts.headersTimeoutMs) c.socket.destroy();
      else if (c.idle && t - c.idleSince > opts.keepAliveTimeoutMs) c.socket.destroy();
    }
  };
  const interval = opts.sweepIntervalMs ?? 1000;
  let timer: NodeJS.Timeout | undefined;
  if (interval > 0) {
    timer = setInterval(sweep, interval);
    timer.unref();
  }
  const close = server.close.bind(server);
  Object.assign(server, {
    sweep,
    closeAllConnections: () => {
      for (const c of conns) c.socket.destroy();
    },
    // As node:http's close: stop accepting, close idle connections now and the rest after
    // their answer in progress.
    close: (cb?: (err?: Error) => void) => {
      host.keepAlive = false;
      if (timer) clearInterval(timer);
      close(cb);
      for (const c of conns) c.close();
      return server;
    },
  });
  Object.defineProperty(server, 'connectionCount', { get: () => conns.size });
  return server;
}

/** How long a turned-away connection may stay open for its client to read the answer and close. */
const TURN_AWAY_LINGER_MS = 2_000;
const ignore = (): void => undefined;

/**
 * Answers a connection over the cap and closes it. What the client sends meanwhile is read and
 * dropped: closing with unread bytes sends a reset, and a reset can make the client's kernel drop
 * the answer before the client reads it, leaving a bare ECONNRESET instead of a 503 that says why.
 */
function turnAway(socket: Socket, answer: Buffer, closed: () => void): void {
  socket.on('error', ignore);
  socket.on('end', () => socket.destroy());
  socket.resume();
  socket.end(answer);
  const t = setTimeout(() => socket.destroy(), TURN_AWAY_LINGER_MS);
  t.unref();
  socket.once('close', () => {
    clearTimeout(t);
    closed();
  });
}
