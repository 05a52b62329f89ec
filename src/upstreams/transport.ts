// The HTTP client for every upstream: one keep-alive undici Pool per origin. Timing policy
// (deadlines, first-token and idle timers) belongs to the proxy, so undici's own timeouts
// are set wide and the proxy aborts through the signal.
//
// Each call is driven through undici's dispatch API with our own handler rather than
// `request()`: no Readable stream, async-hooks resource and stream async-iterator per
// response — the body's chunks go straight to whoever reads them. That was a large share of the
// gateway's per-request and per-streamed-chunk CPU.

import type { ConnectionOptions } from 'node:tls';
import { Pool, util, type Dispatcher } from 'undici';
import type { UpstreamHttpRequest, UpstreamResponseHead } from './adapter.js';
import { OriginPool } from './http1/origin-pool.js';

export interface UpstreamResponse {
  head: UpstreamResponseHead;
  body: AsyncIterable<Uint8Array>;
  /** Reads the whole body, refusing more than `limit` bytes (upstream output is untrusted). */
  readAll(limit?: number): Promise<Uint8Array>;
  /** Releases the connection without reading the rest. */
  discard(): void;
}

/**
 * What the transport needs of a cancellation. An AbortSignal is one; the proxy passes a lighter
 * object of its own (an AbortController per attempt was a visible share of per-request CPU).
 */
export interface CancelSignal {
  readonly aborted: boolean;
  readonly reason?: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

export interface UpstreamTransport {
  send(baseUrl: string, req: UpstreamHttpRequest, signal: CancelSignal): Promise<UpstreamResponse>;
  close(): Promise<void>;
}

export class BodyTooLargeError extends Error {}

/** Thrown into a body nobody reads any more (the reader stopped early). */
class BodyDiscardedError extends Error {}

const DEFAULT_BODY_LIMIT = 32 * 1024 * 1024;
/** Unread body bytes above which the upstream socket is paused (as a Readable's highWaterMark). */
const HIGH_WATER = 64 * 1024;
/**
 * A reader that stops before the body ends (a stream decoder at [DONE], whose chunked-encoding
 * terminator may come in the next packet) leaves the rest to be read and dropped, so the
 * connection goes back to the pool rather than being closed and dialled again; an upstream that
 * sends more than this, or for longer, is cut off.
 */
const DRAIN_BYTES = 64 * 1024;
const DRAIN_MS = 1_000;

export interface TransportOptions {
  connectionsPerOrigin?: number;
  connectTimeoutMs?: number;
  /** How long an idle connection is kept when the upstream does not say (Keep-Alive: timeout). */
  idleTimeoutMs?: number;
}

/** One origin's connections, as the transport drives them. */
interface CallPool {
  dispatch(req: UpstreamHttpRequest, call: UpstreamCall): void;
  close(): Promise<void>;
}

/**
 * A transport over one pool per upstream origin, opened on first use. Keyed by the
 * deployment's baseUrl as written, so the URL is parsed once, not per request.
 */
function pooledTransport(open: (origin: string) => CallPool): UpstreamTransport {
  const pools = new Map<string, CallPool>();
  const poolFor = (baseUrl: string): CallPool => {
    let p = pools.get(baseUrl);
    if (!p) {
      p = open(new URL(baseUrl).origin);
      pools.set(baseUrl, p);
    }
    return p;
  };
  return {
    send(baseUrl, req, signal) {
      return new Promise<UpstreamResponse>((resolve, reject) => {
        poolFor(baseUrl).dispatch(req, new UpstreamCall(signal, resolve, reject));
      });
    },
    async close() {
      await Promise.all([...pools.values()].map((p) => p.close()));
      pools.clear();
    },
  };
}

/**
 * Treaty's own HTTP/1.1 client (`http1/`): the same exchange handler as the undici transport
 * below, on a client that does only what an upstream call needs, at about half undici's CPU
 * per call (docs/performance.md, fifteenth session). `tls` adds options for https origins
 * (a private CA, say).
 */
export function createHttp1Transport(opts: TransportOptions & { tls?: ConnectionOptions } = {}): UpstreamTransport {
  return pooledTransport(
    (origin) =>
      new OriginPool(origin, {
        connections: opts.connectionsPerOrigin ?? 256,
        connectTimeoutMs: opts.connectTimeoutMs ?? 10_000,
        idleTimeoutMs: opts.idleTimeoutMs ?? 30_000,
        tls: opts.tls,
      }),
  );
}

export function createUndiciTransport(opts: TransportOptions = {}): UpstreamTransport {
  return pooledTransport((origin) => {
    const pool = new Pool(origin, {
      connections: opts.connectionsPerOrigin ?? 256,
      connect: { timeout: opts.connectTimeoutMs ?? 10_000 },
      headersTimeout: 0,
      bodyTimeout: 0,
      keepAliveTimeout: opts.idleTimeoutMs ?? 30_000,
      pipelining: 1,
    });
    return {
      dispatch: (req, call) => pool.dispatch({ method: req.method, path: req.path, headers: req.headers, body: req.body }, call as Dispatcher.DispatchHandler),
      close: () => pool.destroy(),
    };
  });
}

type Waiter = { resolve: (r: IteratorResult<Uint8Array>) => void; reject: (e: unknown) => void };
type Collector = { resolve: (b: Uint8Array) => void; reject: (e: unknown) => void; limit: number; size: number };
type RawHeaders = Buffer[] | string[] | null;

/** A response head whose headers are parsed from undici's raw list only if someone reads them. */
class Head implements UpstreamResponseHead {
  private parsed: UpstreamResponseHead['headers'] | undefined;

  constructor(
    readonly status: number,
    private readonly raw: RawHeaders,
  ) {}

  get headers(): UpstreamResponseHead['headers'] {
    return (this.parsed ??= this.raw ? (util.parseHeaders(this.raw) as UpstreamResponseHead['headers']) : {});
  }
}

const NO_HEAD: UpstreamResponseHead = new Head(0, null);

/**
 * One upstream exchange, as undici's dispatch handler and as the response handed to the proxy.
 * Body chunks are handed to a pending read at once, or queued (pausing the socket above
 * HIGH_WATER, so a slow reader slows the upstream instead of growing memory).
 *
 * It implements undici's original handler methods (onConnect/onHeaders/onData/…), which undici
 * still drives internally: the newer controller API would put a wrapper and an eager header
 * parse in front of every response.
 */
class UpstreamCall implements UpstreamResponse, AsyncIterableIterator<Uint8Array> {
  head: UpstreamResponseHead = NO_HEAD;
  private abortFn: ((err: Error) => void) | undefined;
  private resumeFn: (() => void) | undefined;
  private paused = false;
  private ended = false;
  private error: unknown;
  private readonly queue: Buffer[] = [];
  private queued = 0;
  private waiter: Waiter | undefined;
  private collector: Collector | undefined;
  /** Set once the reader has stopped early: the rest is read and dropped (see DRAIN_BYTES). */
  private drain: { bytes: number; timer: NodeJS.Timeout } | undefined;
  private readonly onAbort = (): void => this.abort(this.signal.reason ?? new Error('aborted'));

  constructor(
    private readonly signal: CancelSignal,
    private resolveHead: ((r: UpstreamResponse) => void) | undefined,
    private rejectHead: ((e: unknown) => void) | undefined,
  ) {
    if (signal.aborted) this.error = signal.reason ?? new Error('aborted');
    else signal.addEventListener('abort', this.onAbort, { once: true });
  }

  // --- undici's side -------------------------------------------------------------------------

  onConnect(abort: (err: Error) => void): void {
    this.abortFn = abort;
    // Aborted while waiting for a connection: end it before a byte is sent.
    if (this.error !== undefined) abort(this.error as Error);
  }

  onHeaders(statusCode: number, rawHeaders: RawHeaders, resume: () => void): boolean {
    if (statusCode < 200) return true; // informational (100 Continue): the real head follows
    this.head = new Head(statusCode, rawHeaders);
    this.resumeFn = resume;
    const resolve = this.resolveHead;
    this.resolveHead = this.rejectHead = undefined;
    resolve?.(this);
    return true;
  }

  onData(chunk: Buffer): boolean {
    const d = this.drain;
    if (d) {
      d.bytes += chunk.length;
      if (d.bytes > DRAIN_BYTES) this.abort(new BodyDiscardedError('upstream kept sending after the reader stopped'));
      return true;
    }
    const c = this.collector;
    if (c) {
      c.size += chunk.length;
      if (c.size > c.limit) {
        this.abort(new BodyTooLargeError(`upstream body exceeded ${c.limit} bytes`));
        return false;
      }
      this.queue.push(chunk);
      return true;
    }
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      w.resolve({ value: chunk, done: false });
      return true;
    }
    this.queue.push(chunk);
    this.queued += chunk.length;
    if (this.queued > HIGH_WATER) this.paused = true;
    return !this.paused;
  }

  onComplete(): void {
    this.ended = true;
    if (this.drain) clearTimeout(this.drain.timer);
    this.signal.removeEventListener('abort', this.onAbort);
    const c = this.collector;
    if (c) {
      this.collector = undefined;
      c.resolve(this.takeQueue());
    }
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      w.resolve({ value: undefined, done: true });
    }
  }

  onError(err: Error): void {
    this.error ??= err;
    if (this.drain) clearTimeout(this.drain.timer);
    this.signal.removeEventListener('abort', this.onAbort);
    const e = this.error;
    const reject = this.rejectHead;
    this.resolveHead = this.rejectHead = undefined;
    reject?.(e);
    const c = this.collector;
    this.collector = undefined;
    c?.reject(e);
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(e);
  }

  // --- the reader's side ---------------------------------------------------------------------

  /** The body is read from this object itself (no wrapper per response). */
  get body(): AsyncIterable<Uint8Array> {
    return this;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<Uint8Array>> {
    if (this.queue.length > 0) {
      const value = this.queue.shift()!;
      this.queued -= value.length;
      if (this.paused && this.queued <= HIGH_WATER) this.resume();
      return Promise.resolve({ value, done: false });
    }
    if (this.error !== undefined) return Promise.reject(this.error);
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /**
   * The reader stopped early (its answer complete, a break, or it threw). What is left is read
   * and dropped, within DRAIN_BYTES and DRAIN_MS, so the connection can be reused. Whoever needs
   * the upstream stopped at once (a client gone, a failed attempt) aborts through the signal.
   */
  return(): Promise<IteratorResult<Uint8Array>> {
    if (!this.ended && this.error === undefined && !this.drain) {
      this.queue.length = 0;
      this.queued = 0;
      this.drain = { bytes: 0, timer: setTimeout(() => this.abort(new BodyDiscardedError('upstream did not end the response after the reader stopped')), DRAIN_MS).unref() };
      if (this.paused) this.resume();
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  readAll(limit = DEFAULT_BODY_LIMIT): Promise<Uint8Array> {
    if (this.error !== undefined) return Promise.reject(this.error);
    if (this.queued > limit) {
      const err = new BodyTooLargeError(`upstream body exceeded ${limit} bytes`);
      this.abort(err); // a no-op if the body already ended
      return Promise.reject(err);
    }
    if (this.ended) return Promise.resolve(this.takeQueue());
    return new Promise((resolve, reject) => {
      this.collector = { resolve, reject, limit, size: this.queued };
      if (this.paused) this.resume();
    });
  }

  discard(): void {
    if (!this.ended && this.error === undefined) this.abort(new BodyDiscardedError('response body discarded'));
  }

  private resume(): void {
    this.paused = false;
    this.resumeFn?.();
  }

  private takeQueue(): Buffer {
    const out = this.queue.length === 1 ? this.queue[0]! : Buffer.concat(this.queue);
    this.queue.length = 0;
    this.queued = 0;
    return out;
  }

  private abort(reason: unknown): void {
    if (this.ended || this.error !== undefined) return;
    this.error = reason;
    if (this.abortFn) this.abortFn(reason as Error);
    // Not connected yet (queued in the pool): fail the caller now; onConnect aborts it later.
    else this.onError(reason as Error);
  }
}
