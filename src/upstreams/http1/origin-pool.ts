// The keep-alive connections to one upstream origin: up to `connections` of them, the most
// recently used idle one taken first (the likeliest to still be open at the server), and
// exchanges beyond them waiting in order for a free one.
//
// An idle connection is not reused past its idle limit: the server's Keep-Alive timeout less a
// second when it sends one (node:http servers close at 5 s; a request written as the server
// closes would fail for nothing), else `idleTimeoutMs`. Exchanges are not retried here: a POST
// to a model may have been acted on, so whether to try again is the proxy's decision.

import type { ConnectionOptions } from 'node:tls';
import { Connection, type ConnectionOwner, type Exchange, type ExchangeHandler, type Origin } from './connection.js';
import type { Http1Request } from './request-head.js';

export interface OriginPoolOptions {
  connections: number;
  connectTimeoutMs: number;
  /** Idle limit when the server does not say how long it keeps a connection. */
  idleTimeoutMs: number;
  /** For https origins: options for tls.connect (a CA for a private upstream, say). */
  tls?: ConnectionOptions;
  /** The clock for idle limits (ms since the epoch). */
  now?: () => number;
}

/** Less than the server's own Keep-Alive timeout, so the server is not the one to close first. */
const HINT_MARGIN_MS = 1_000;
const SWEEP_MS = 1_000;

class PoolExchange implements Exchange {
  conn: Connection | undefined = undefined;
  settled = false;
  queued = false;
  constructor(
    readonly req: Http1Request,
    readonly handler: ExchangeHandler,
    private readonly pool: OriginPool,
  ) {}
  readonly abort = (err: Error): void => this.pool.abort(this, err);
}

export class OriginPool implements ConnectionOwner {
  readonly #origin: Origin;
  readonly #opts: OriginPoolOptions;
  readonly #now: () => number;
  readonly #idle: Connection[] = [];
  /** Every connection open or opening, idle or carrying an exchange. */
  readonly #all = new Set<Connection>();
  readonly #waiting: PoolExchange[] = [];
  #session: Buffer | undefined;
  #sweep: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(originUrl: string, opts: OriginPoolOptions) {
    const u = new URL(originUrl);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`upstream origin must be http or https, not ${u.protocol}`);
    const https = u.protocol === 'https:';
    // URL keeps IPv6 literals in brackets; net.connect wants them bare.
    const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
    this.#origin = {
      host,
      port: u.port ? Number(u.port) : https ? 443 : 80,
      hostHeader: u.host,
      // SNI carries a name, never an address.
      tls: https ? { ...opts.tls, servername: /^[\d.]+$|:/.test(host) ? undefined : host } : undefined,
      connectTimeoutMs: opts.connectTimeoutMs,
    };
    this.#opts = opts;
    this.#now = opts.now ?? Date.now;
  }

  dispatch(req: Http1Request, handler: ExchangeHandler): void {
    const ex = new PoolExchange(req, handler, this);
    handler.onConnect(ex.abort);
    if (ex.settled) return; // aborted inside onConnect
    if (this.#closed) {
      ex.settled = true;
      handler.onError(new Error('upstream client closed'));
      return;
    }
    const c = this.#takeIdle();
    if (c) c.run(ex);
    else if (this.#all.size < this.#opts.connections) this.#dial(ex);
    else {
      ex.queued = true;
      this.#waiting.push(ex);
    }
  }

  abort(ex: PoolExchange, err: Error): void {
    if (ex.settled) return;
    ex.settled = true;
    if (ex.queued) {
      ex.queued = false;
      const i = this.#waiting.indexOf(ex);
      if (i >= 0) this.#waiting.splice(i, 1);
    } else ex.conn?.abort(ex);
    ex.handler.onError(err);
  }

  reuse(c: Connection, hintMs: number | undefined): void {
    const limit = hintMs === undefined ? this.#opts.idleTimeoutMs : Math.min(this.#opts.idleTimeoutMs, hintMs - HINT_MARGIN_MS);
    if (this.#closed || limit <= 0) {
      c.destroy();
      return;
    }
    const next = this.#waiting.shift();
    if (next) {
      next.queued = false;
      c.run(next);
      return;
    }
    c.idleSince = this.#now();
    c.idleLimitMs = limit;
    this.#idle.push(c);
    this.#sweep ??= setInterval(() => this.#sweepIdle(), SWEEP_MS).unref();
  }

  gone(c: Connection): void {
    this.#all.delete(c);
    const i = this.#idle.lastIndexOf(c);
    if (i >= 0) this.#idle.splice(i, 1);
    // A waiting exchange takes the freed slot.
    const next = this.#waiting.shift();
    if (next) {
      next.queued = false;
      if (this.#closed) this.abort(next, new Error('upstream client closed'));
      else this.#dial(next);
    }
  }

  session(s: Buffer): void {
    this.#session = s;
  }

  /** Closes every connection and fails whatever waits. */
  close(): Promise<void> {
    this.#closed = true;
    if (this.#sweep) clearInterval(this.#sweep);
    for (const ex of this.#waiting.splice(0)) {
      ex.queued = false;
      this.abort(ex, new Error('upstream client closed'));
    }
    // In-flight exchanges fail with the close (their handlers hear it from each connection).
    for (const c of [...this.#all]) c.destroy(new Error('upstream client closed'));
    this.#idle.length = 0;
    return Promise.resolve();
  }

  /** Connections open or opening (for tests and metrics). */
  get openConnections(): number {
    return this.#all.size;
  }

  #dial(ex: PoolExchange): void {
    this.#all.add(new Connection(this.#origin, this, ex, this.#session));
  }

  #takeIdle(): Connection | undefined {
    const now = this.#now();
    while (this.#idle.length > 0) {
      const c = this.#idle.pop()!;
      if (now - c.idleSince < c.idleLimitMs && c.usable) return c;
      c.destroy(); // gone() follows from its close
    }
    return undefined;
  }

  #sweepIdle(): void {
    const now = this.#now();
    for (const c of this.#idle.slice()) if (now - c.idleSince >= c.idleLimitMs) c.destroy();
    if (this.#idle.length === 0 && this.#sweep) {
      clearInterval(this.#sweep);
      this.#sweep = undefined;
    }
  }
}
