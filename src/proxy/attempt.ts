// One upstream attempt: send, and decode — up to and including the first meaningful stream
// event, so that an error at the start of a 200 stream still counts as a failed attempt (and
// can fail over) rather than a broken answer.

import type { ChatRequest, ChatResponse, StreamEvent } from '../domain/chat.js';
import type { Deployment } from '../domain/deployment.js';
import { UpstreamFailureError, upstreamFailure, type UpstreamFailure } from '../domain/upstream-failure.js';
import type { BoundAdapter, UpstreamHttpRequest, UpstreamResponseHead } from '../upstreams/adapter.js';
import type { UpstreamResponse } from '../upstreams/transport.js';
import { Cancellation } from './cancellation.js';
import type { AttemptTrace, ProxyPorts, RequestContext } from './ports.js';

export type Failed = { ok: false; failure: UpstreamFailure; cancelled: boolean };
export type AttemptResult =
  | { ok: true; kind: 'complete'; response: ChatResponse }
  | { ok: true; kind: 'stream'; head: UpstreamResponseHead; events: AsyncIterable<StreamEvent> }
  | Failed;

/** The first event that proves the upstream is really answering (not just a role or filter frame). */
export function commitsStream(e: StreamEvent): boolean {
  return (e.kind === 'delta' && ((e.content !== undefined && e.content !== '') || e.toolCalls !== undefined || e.refusal !== undefined)) || e.kind === 'finish';
}

/** Called once when an attempt ends, so health tracking sees every outcome (mid-stream ones too). */
export type Settle = (outcome: NonNullable<AttemptTrace['outcome']>, failure?: UpstreamFailure) => void;

/**
 * The life of one attempt: its cancellation (client gone, deadline, our timers), its place
 * in the deployment stats, and its trace, ended exactly once whatever happens.
 *
 * A stream's first-token and idle timers are one timer that is re-armed, not a timer and a
 * promise race per chunk (that was most of the proxy's own cost per streamed chunk). When it
 * fires it aborts the attempt; the pending read then fails and `timedOut` says why.
 */
class AttemptScope {
  readonly cancel = new Cancellation();
  private readonly deadline: NodeJS.Timeout;
  private phase: NodeJS.Timeout | undefined;
  private phaseFailure: (() => UpstreamFailure) | undefined;
  /** Idle phase only: whether a read from the upstream is pending (a slow client is not a stall). */
  private reading = true;
  /** When the upstream call started (performance.now()), for the gateway-time header. */
  private upstreamFrom: number | undefined;
  /** Set when one of our own timers (not the deadline) cut the attempt short. */
  timedOut: UpstreamFailure | undefined;

  constructor(
    private readonly ports: ProxyPorts,
    private readonly dep: Deployment,
    private readonly ctx: RequestContext,
    readonly trace: AttemptTrace,
    private readonly settle: Settle,
    limitMs: number,
  ) {
    watchClient(ctx, this.cancel);
    const left = ctx.deadlineAt - ports.now();
    const ms = Math.max(0, Math.min(left, limitMs));
    this.deadline = setTimeout(() => {
      if (ms < left) this.timedOut = upstreamFailure('timeout', `no complete answer within ${ms} ms`, { providerCode: 'attempt_timeout' });
      this.cancel.abort(new Error('deadline'));
    }, ms);
    ports.stats.begin(dep.id);
  }

  /** Starts a timed phase (first token, then idle): when `ms` pass, the attempt fails with `failure`. */
  startPhase(ms: number, failure: () => UpstreamFailure): void {
    if (this.phase) clearTimeout(this.phase);
    this.phaseFailure = failure;
    this.phase = setTimeout(this.onPhaseTimer, ms);
  }

  private readonly onPhaseTimer = (): void => {
    // The idle timer counts only while we wait on the upstream, not while the client drains.
    if (!this.reading) {
      this.phase!.refresh();
      return;
    }
    this.timedOut = this.phaseFailure!();
    this.cancel.abort(new Error('timer'));
  };

  /** From here on the phase timer is the idle timer, counting only while a read is pending. */
  idle(ms: number, failure: () => UpstreamFailure): void {
    this.reading = false;
    this.startPhase(ms, failure);
  }

  /** A read from the upstream starts: the idle timer runs again from zero. */
  beginRead(): void {
    this.reading = true;
    this.phase?.refresh();
  }

  endRead(): void {
    this.reading = false;
  }

  /** The answer (or first token) is in hand: stop counting upstream time. */
  upstreamDone(): void {
    if (this.upstreamFrom !== undefined && this.trace.upstreamMs === undefined) this.trace.upstreamMs = performance.now() - this.upstreamFrom;
  }

  finish(outcome: NonNullable<AttemptTrace['outcome']>, failure?: UpstreamFailure): void {
    const t = this.trace;
    if (t.outcome) return;
    t.endedAt = this.ports.now();
    t.outcome = outcome;
    if (failure) t.failure = failure;
    this.ports.stats.end(this.dep.id, outcome === 'ok' ? t.endedAt - t.startedAt : undefined);
    this.settle(outcome, failure);
    const observer = this.ports.observer;
    if (!observer) return;
    // The books for a whole answer (ledger row, contract counters, metrics) are kept just after
    // it goes out rather than before: on a quiet gateway that work was a good part of the time
    // a request spent in Treaty. Failures are booked at once, before any next attempt starts.
    if (outcome === 'ok' && !t.stream) setImmediate(bookFinished, observer, t);
    else observer.finished(t);
  }

  /** The failure behind `err`: our own timer's verdict first, since its abort is what broke the read. */
  failureOf(err: unknown): UpstreamFailure {
    return this.timedOut ?? toFailure(err, this.cancel, this.ctx.signal);
  }

  fail(err: unknown): Failed {
    this.upstreamDone();
    const failure = this.failureOf(err);
    this.finish(this.ctx.signal.aborted ? 'cancelled' : 'failed', failure);
    // Free the upstream connection: nothing more will be read from this attempt.
    this.cancel.abort(new Error('attempt failed'));
    return { ok: false, failure, cancelled: this.ctx.signal.aborted };
  }

  get clientGone(): boolean {
    return this.ctx.signal.aborted;
  }

  release(): void {
    clearTimeout(this.deadline);
    if (this.phase) clearTimeout(this.phase);
    unwatchClient(this.ctx, this.cancel);
  }

  async send(baseUrl: string, httpReq: UpstreamHttpRequest, decodeError: (h: UpstreamResponseHead, b: Uint8Array) => UpstreamFailure): Promise<UpstreamResponse> {
    // Write-ahead: the ledger row is durable before the provider sees (and bills) anything.
    // Awaited only when it is not durable yet: a wait costs a turn's worth of microtasks.
    const durable = this.ports.observer?.started(this.trace);
    if (durable) await durable;
    // Treaty's own time (the ledger write above included) is what the gateway-time header shows.
    this.upstreamFrom = performance.now();
    const res = await this.ports.transport.send(baseUrl, httpReq, this.cancel);
    this.trace.status = res.head.status;
    this.trace.firstByteAt = this.ports.now();
    if (res.head.status < 200 || res.head.status >= 300) {
      const body = await res.readAll(1024 * 1024);
      this.upstreamDone();
      throw new UpstreamFailureError(decodeError(res.head, body));
    }
    return res;
  }
}

/** A request/response attempt (non-streaming chat, embeddings). */
export async function runUnaryAttempt<T>(
  ports: ProxyPorts,
  dep: Deployment,
  httpReq: UpstreamHttpRequest,
  ctx: RequestContext,
  trace: AttemptTrace,
  decode: (h: UpstreamResponseHead, b: Uint8Array) => T,
  decodeError: (h: UpstreamResponseHead, b: Uint8Array) => UpstreamFailure,
  settle: Settle,
  usageOf: (value: T) => AttemptTrace['usage'] = () => undefined,
): Promise<{ ok: true; value: T } | Failed> {
  const scope = new AttemptScope(ports, dep, ctx, trace, settle, ports.timing.attemptTimeoutMs);
  try {
    const res = await scope.send(dep.baseUrl, httpReq, decodeError);
    const body = await res.readAll();
    scope.upstreamDone();
    const value = decode(res.head, body);
    const usage = usageOf(value);
    if (usage) trace.usage = usage;
    scope.finish('ok');
    return { ok: true, value };
  } catch (err) {
    return scope.fail(err);
  } finally {
    scope.release();
  }
}

export async function runAttempt(
  ports: ProxyPorts,
  dep: Deployment,
  adapter: BoundAdapter,
  req: ChatRequest,
  httpReq: UpstreamHttpRequest,
  ctx: RequestContext,
  trace: AttemptTrace,
  settle: Settle,
): Promise<AttemptResult> {
  if (!req.stream) {
    const r = await runUnaryAttempt(ports, dep, httpReq, ctx, trace, (h, b) => adapter.decodeChat(h, b), (h, b) => adapter.decodeError(h, b), settle, (v) => {
      // Keep the text only when usage is missing: the ledger then estimates from it.
      if (!v.usage) trace.streamedChars = v.choices.map((c) => c.message.content ?? '');
      return v.usage;
    });
    return r.ok ? { ok: true, kind: 'complete', response: r.value } : r;
  }
  const scope = new AttemptScope(ports, dep, ctx, trace, settle, Infinity);
  const ttft = ports.timing.firstTokenTimeoutMs;
  try {
    // Headers and the first real token share one time-to-first-token budget.
    scope.startPhase(ttft, () => upstreamFailure('timeout', `no first token within ${ttft} ms`, { providerCode: 'first_token_timeout' }));
    const res = await scope.send(dep.baseUrl, httpReq, (h, b) => adapter.decodeError(h, b));
    const it = adapter.decodeChatStream(res.head, res.body)[Symbol.asyncIterator]();
    const buffered: StreamEvent[] = [];
    for (;;) {
      const n = await it.next();
      if (n.done) break;
      buffered.push(n.value);
      if (n.value.kind === 'usage') trace.usage = n.value.usage;
      if (commitsStream(n.value)) {
        trace.firstTokenAt = ports.now();
        break;
      }
    }
    scope.upstreamDone();
    const idleMs = ports.timing.idleTimeoutMs;
    scope.idle(idleMs, () => upstreamFailure('timeout', `the stream stalled: no chunk for ${idleMs} ms`, { providerCode: 'idle_timeout' }));
    return { ok: true, kind: 'stream', head: res.head, events: new AttemptEvents(buffered, it, scope) };
  } catch (err) {
    scope.release();
    return scope.fail(err);
  }
}

/**
 * The client leaving cancels whatever attempt of its request is running. One listener per
 * request, added at its first attempt and left to go with the request, rather than an
 * EventTarget listener added and removed per attempt (a visible share of per-request CPU).
 */
function watchClient(ctx: RequestContext, c: Cancellation): void {
  let live = ctx.liveAttempts;
  if (!live) {
    const attempts: Cancellation[] = (live = ctx.liveAttempts = []);
    ctx.signal.addEventListener('abort', () => {
      for (const a of attempts) a.abort(new Error('client disconnected'));
    }, { once: true });
  }
  live.push(c);
}

function unwatchClient(ctx: RequestContext, c: Cancellation): void {
  const live = ctx.liveAttempts;
  const i = live ? live.indexOf(c) : -1;
  // Usually the one live attempt: pop it rather than splice (which makes an array per call).
  if (i !== -1 && i === live!.length - 1) live!.pop();
  else if (i !== -1) live!.splice(i, 1);
}

function bookFinished(observer: NonNullable<ProxyPorts['observer']>, t: AttemptTrace): void {
  observer.finished(t);
}

/** A never-aborted signal: a failure mid-stream is the upstream's, even if the client left too. */
const NEVER = { aborted: false } as const;

const DONE: IteratorResult<StreamEvent> = Object.freeze({ value: undefined, done: true });

/**
 * The rest of a committed stream, as the attempt sees it: usage and text noted on the trace,
 * the idle timer running while a read is pending, and the attempt ended exactly once — ok at
 * the end, interrupted on a failure, cancelled when the reader stops early (the client left).
 * A plain async iterator rather than an async generator: one promise per event instead of a
 * generator's several (this runs for every streamed chunk).
 */
class AttemptEvents implements AsyncIterableIterator<StreamEvent> {
  private i = 0;
  private sent = false;
  private closed = false;

  constructor(
    private readonly buffered: StreamEvent[],
    private readonly it: AsyncIterator<StreamEvent>,
    private readonly scope: AttemptScope,
  ) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<StreamEvent>> {
    if (this.closed) return Promise.resolve(DONE);
    if (this.i < this.buffered.length) {
      const e = this.buffered[this.i++]!;
      this.noteText(e);
      this.sent = true;
      return Promise.resolve({ value: e, done: false });
    }
    this.scope.beginRead();
    return this.it.next().then(this.onEvent, this.onError);
  }

  /** The reader stopped early (the client left, or the writer failed). */
  return(): Promise<IteratorResult<StreamEvent>> {
    this.close(false);
    return Promise.resolve(DONE);
  }

  private readonly onEvent = (n: IteratorResult<StreamEvent>): IteratorResult<StreamEvent> => {
    this.scope.endRead();
    if (this.closed) return DONE;
    if (n.done) {
      this.scope.finish('ok');
      this.close(true);
      return DONE;
    }
    const e = n.value;
    if (e.kind === 'usage') this.scope.trace.usage = e.usage;
    else this.noteText(e);
    this.sent = true;
    return n;
  };

  private readonly onError = (err: unknown): IteratorResult<StreamEvent> => {
    // A read failing because the reader already stopped (and so aborted the call) is no news.
    if (this.closed) return DONE;
    const { scope } = this;
    const base = scope.timedOut ?? toFailure(err, scope.cancel, NEVER);
    const failure: UpstreamFailure = { ...base, midStream: this.sent };
    // The client leaving is a cancellation, not an upstream fault (it must not count toward ejection).
    scope.finish(scope.clientGone ? 'cancelled' : 'interrupted', failure);
    this.close(false);
    throw new UpstreamFailureError(failure);
  };

  private noteText(e: StreamEvent): void {
    if (e.kind === 'delta' && e.content) (this.scope.trace.streamedChars ??= []).push(e.content);
  }

  /**
   * Ends the attempt's life once, however the stream ends. Unless the answer is complete (the
   * adapter has released the body: the connection may be reused), whatever is left of the
   * upstream call is aborted so it stops generating (and billing).
   */
  private close(complete: boolean): void {
    if (this.closed) return;
    this.closed = true;
    this.scope.finish('cancelled');
    if (!complete) this.scope.cancel.abort(new Error('stream closed'));
    this.scope.release();
  }
}

export function toFailure(err: unknown, attemptSignal: { readonly aborted: boolean }, clientSignal: { readonly aborted: boolean }): UpstreamFailure {
  if (err instanceof UpstreamFailureError) return err.failure;
  if (clientSignal.aborted) return upstreamFailure('timeout', 'cancelled: the client disconnected');
  if (attemptSignal.aborted) return upstreamFailure('timeout', 'the request deadline passed before the upstream answered');
  const code = (err as { code?: string }).code;
  if (code && /^(ECONNREFUSED|ECONNRESET|EPIPE|ENOTFOUND|EAI_AGAIN|UND_ERR_SOCKET|UND_ERR_CONNECT_TIMEOUT|UND_ERR_CLOSED|UPSTREAM_CONNECT_TIMEOUT|UPSTREAM_SOCKET_CLOSED)$/.test(code)) {
    return upstreamFailure('connect', `could not reach the upstream (${code})`);
  }
  // A certificate that does not verify (or a failed TLS handshake) is no answer from the upstream
  // either: nothing was sent to it.
  if (code && /^(ERR_TLS_|ERR_SSL_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|UNABLE_TO_|CERT_)/.test(code)) {
    return upstreamFailure('connect', `could not verify the upstream's TLS certificate or handshake (${code})`);
  }
  return upstreamFailure('malformed', err instanceof Error ? err.message : String(err));
}
