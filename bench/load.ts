// The load generator (undici keep-alive Pools, 127.0.0.1 only). Every loop is bounded in
// count and time: a run stops issuing at its end, waits at most `drainMs` for stragglers,
// then destroys its pool (what is still open counts as a timeout).
//
// Latency is measured from the time a request was *scheduled* (open loop) or sent (closed
// loop), so a stalled target cannot hide its queueing (no coordinated omission).

import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool, type Dispatcher } from 'undici';
import { retryAfterMsFromHeaders } from '../src/upstreams/retry-headers.js';
import { RawPool } from './raw-client.js';
import { cpuUs, ioCounters, ioPer, mem, watchCores, type Contention, type IoCounters, type IoPer } from './procstat.js';
import { percentiles, type Percentiles } from './stats.js';

export interface Endpoint {
  name: string;
  origin: string;
  path: string;
  headers: Record<string, string>;
  /** The process whose CPU and memory are charged to this target. */
  pid: number;
}

export interface Tally {
  ok: number;
  shed: number; // 429 / 503
  otherStatus: number;
  errors: number; // connection errors, aborted, timeouts
  notSent: number; // open loop: over the in-flight cap, never sent
  statuses: Record<string, number>;
}

function tally(): Tally {
  return { ok: 0, shed: 0, otherStatus: 0, errors: 0, notSent: 0, statuses: {} };
}

function count(t: Tally, status: number): void {
  t.statuses[status] = (t.statuses[status] ?? 0) + 1;
  if (status >= 200 && status < 300) t.ok++;
  else if (status === 429 || status === 503) t.shed++;
  else t.otherStatus++;
}

/** Peak VmRSS of `pid` sampled every 200 ms while the returned stop() is not called. */
function rssSampler(pid: number): () => number {
  let peak = 0;
  const sample = (): void => {
    try {
      peak = Math.max(peak, mem(pid).rssMb);
    } catch {
      // process gone; the run reports errors
    }
  };
  sample();
  const t = setInterval(sample, 200);
  return () => {
    clearInterval(t);
    sample();
    return peak;
  };
}

const REQ = (ep: Endpoint, body: Buffer): { method: 'POST'; path: string; headers: Record<string, string>; body: Buffer } => ({
  method: 'POST',
  path: ep.path,
  headers: { ...ep.headers, 'content-type': 'application/json', 'content-length': String(body.length) },
  body,
});

interface Reply {
  status: number;
  bytes: number;
  /** The value of the header the caller asked for (a gateway-time header), if sent. */
  header: string | undefined;
}

/** Which client the loops use for whole answers: `raw` (raw-client.ts, default) or `undici`. */
export const CLIENT: 'raw' | 'undici' = process.env.BENCH_CLIENT === 'undici' ? 'undici' : 'raw';

/** A fixed set of keep-alive connections sending one prebuilt request. */
interface Sender {
  send(): Promise<Reply>;
  /** Opens every connection before the clock starts. */
  connect(): Promise<void>;
  destroy(): Promise<void>;
}

function sender(ep: Endpoint, body: Buffer, connections: number, wantHeader?: string): Sender {
  if (CLIENT === 'raw') {
    const pool = new RawPool(ep.origin, connections, wantHeader);
    const req = RawPool.request('POST', ep.path, new URL(ep.origin).host, { ...ep.headers, 'content-type': 'application/json' }, body);
    return {
      send: () => pool.send(req),
      connect: () => pool.connect('/healthz', ep.headers),
      destroy: async () => pool.destroy(),
    };
  }
  const pool = new Pool(ep.origin, { connections, pipelining: 1, keepAliveTimeout: 30_000 });
  const req = REQ(ep, body);
  return {
    send: () => send(pool, req, wantHeader),
    connect: () => preconnect(pool, ep, connections),
    destroy: () => pool.destroy().catch(() => undefined),
  };
}

/**
 * One request on undici's dispatch API: no Readable stream per response, so the load
 * generator spends as little of core 0 as it can (it shares it with the emulator).
 */
function send(pool: Pool, req: Dispatcher.DispatchOptions, wantHeader?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const reply: Reply = { status: 0, bytes: 0, header: undefined };
    pool.dispatch(req, {
      // Its presence tells undici this handler speaks the v7 controller API.
      onRequestStart() {},
      onResponseStart(_c, status, headers) {
        reply.status = status;
        const v = wantHeader ? headers[wantHeader] : undefined;
        reply.header = typeof v === 'string' ? v : undefined;
      },
      onResponseData(_c, chunk) {
        reply.bytes += chunk.length;
      },
      onResponseEnd() {
        resolve(reply);
      },
      onResponseError(_c, err) {
        reject(err);
      },
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Closed loop: `concurrency` workers, each sending its next request as soon as one finishes.

export interface ClosedResult {
  concurrency: number;
  seconds: number;
  rps: number;
  lat: Percentiles;
  cpuUsPerReq: number;
  /** Share of one core the process under test used (≈1 when it is the bottleneck). */
  cpuUtil: number;
  tally: Tally;
  /** Bytes of the last response body (sanity: the ~1 KB answer). */
  bodyBytes: number;
  /** Values of a gateway-time header (ms), when the target sends one. */
  gatewayMs: number[];
  contention: Contention;
  /** System calls and storage writes of the process under test, per answered request. */
  io: IoPer;
}

export async function closedLoop(ep: Endpoint, body: Buffer, o: { concurrency: number; warmupMs: number; durationMs: number; timeHeader?: string }): Promise<ClosedResult> {
  const client = sender(ep, body, o.concurrency, o.timeHeader);
  const t = tally();
  const lat: number[] = [];
  const gatewayMs: number[] = [];
  let bodyBytes = 0;
  let io0: IoCounters | undefined;
  let io1: IoCounters | undefined;
  let measuring = false;
  let stopped = false;
  let tw = NaN;
  let cpu0 = NaN;
  let tEnd = NaN;
  let cpu1 = NaN;
  let cores: (() => Contention) | undefined;
  let contention: Contention = { core1Foreign: NaN, core0Busy: NaN, core1Steal: NaN };
  const warm = setTimeout(() => {
    cores = watchCores(ep.pid);
    cpu0 = cpuUs(ep.pid);
    io0 = ioCounters(ep.pid);
    tw = performance.now();
    measuring = true;
  }, o.warmupMs);
  const stop = setTimeout(() => {
    cpu1 = cpuUs(ep.pid);
    io1 = ioCounters(ep.pid);
    tEnd = performance.now();
    if (cores) contention = cores();
    measuring = false;
    stopped = true;
  }, o.warmupMs + o.durationMs);
  const worker = async (): Promise<void> => {
    while (!stopped) {
      const s = performance.now();
      try {
        const r = await client.send();
        if (!measuring) continue;
        count(t, r.status);
        bodyBytes = r.bytes;
        if (r.status === 200) lat.push(performance.now() - s);
        if (o.timeHeader) {
          const v = r.header;
          const n = typeof v === 'string' ? Number(/[\d.]+/.exec(v)?.[0]) : NaN;
          if (Number.isFinite(n)) gatewayMs.push(n);
        }
      } catch (err) {
        if (process.env.BENCH_DEBUG) console.error(err);
        if (measuring) t.errors++;
        await sleep(1); // a refused connection must not spin
      }
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  clearTimeout(warm);
  clearTimeout(stop);
  await client.destroy();
  const seconds = (tEnd - tw) / 1000;
  return {
    concurrency: o.concurrency,
    seconds,
    rps: t.ok / seconds,
    lat: percentiles(lat),
    cpuUsPerReq: (cpu1 - cpu0) / Math.max(1, t.ok + t.shed + t.otherStatus),
    cpuUtil: (cpu1 - cpu0) / 1e3 / (tEnd - tw),
    tally: t,
    bodyBytes,
    gatewayMs,
    contention,
    io: io0 && io1 ? ioPer(io0, io1, t.ok + t.shed + t.otherStatus) : { reads: NaN, writes: NaN, storageBytes: NaN },
  };
}

// ---------------------------------------------------------------------------------------------
// Open loop: requests scheduled at a constant rate whatever the target does.

/** Above this p99 a target is queueing, not keeping up with the offered rate. */
export const HELD_P99_MS = 100;

export interface OpenResult {
  rate: number;
  seconds: number;
  /** Requests actually sent per second in the measured window. */
  offered: number;
  /** 2xx completed per second, over the measured window. */
  goodput: number;
  lat: Percentiles;
  shedLat: Percentiles;
  cpuUsPerReq: number;
  cpuUtil: number;
  peakRssMb: number;
  tally: Tally;
  /** Still in flight after the drain wait (then destroyed). */
  timedOut: number;
  /** True when the target kept up: nothing refused, dropped or timed out, p99 under HELD_P99_MS. */
  held: boolean;
  contention: Contention;
  /**
   * How late the load generator itself sent each request of the window (send − scheduled time),
   * ms: latency counts from the scheduled time, so this part of it is the rig's (core 0 busy),
   * not the target's. Absent in results written before it was measured.
   */
  sendLag?: Percentiles;
}

/** Every answer of an open loop's measured window, for tools that line answers up with a profile. */
export interface Trace {
  /** A response header whose value is passed on. */
  header?: string;
  /** Times are performance.now() ms. */
  each: (scheduled: number, sent: number, done: number, status: number, header: string | undefined) => void;
}

export async function openLoop(
  ep: Endpoint,
  body: Buffer,
  o: {
    rate: number; warmupMs: number; durationMs: number; drainMs: number; maxInFlight: number; connections: number; preconnect?: boolean;
    trace?: Trace;
  },
): Promise<OpenResult> {
  const client = sender(ep, body, o.connections, o.trace?.header);
  if (o.preconnect) await client.connect();
  const t = tally();
  const lat: number[] = [];
  const shedLat: number[] = [];
  const sendLag: number[] = [];
  const interval = 1000 / o.rate;
  const total = Math.floor((o.rate * (o.warmupMs + o.durationMs)) / 1000);
  const start = performance.now();
  const warmEnd = start + o.warmupMs;
  const end = warmEnd + o.durationMs;
  let inFlight = 0;
  let sentInWindow = 0;
  let okInWindow = 0;
  let next = 0;
  let cpu0 = NaN;
  let cpu1 = NaN;
  let tw = NaN;
  let tEnd = NaN;
  let idle: (() => void) | undefined;
  let cores: (() => Contention) | undefined;
  let contention: Contention = { core1Foreign: NaN, core0Busy: NaN, core1Steal: NaN };
  const stopRss = rssSampler(ep.pid);

  const fire = (scheduled: number): void => {
    const inWindow = scheduled >= warmEnd && scheduled < end;
    if (inFlight >= o.maxInFlight) {
      if (inWindow) t.notSent++;
      return;
    }
    inFlight++;
    const sent = performance.now();
    if (inWindow) {
      sentInWindow++;
      sendLag.push(sent - scheduled);
    }
    client
      .send()
      .then((r) => {
        const done = performance.now();
        if (r.status >= 200 && r.status < 300 && done >= warmEnd && done < end) okInWindow++;
        if (!inWindow) return;
        o.trace?.each(scheduled, sent, done, r.status, r.header);
        count(t, r.status);
        if (r.status === 200) lat.push(done - scheduled);
        else if (r.status === 429 || r.status === 503) shedLat.push(done - scheduled);
      })
      .catch(() => {
        if (inWindow) t.errors++;
      })
      .finally(() => {
        inFlight--;
        if (inFlight === 0 && idle) idle();
      });
  };

  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = performance.now();
      if (Number.isNaN(cpu0) && now >= warmEnd) {
        cores = watchCores(ep.pid);
        cpu0 = cpuUs(ep.pid);
        tw = now;
      }
      while (next < total && start + next * interval <= now) fire(start + next++ * interval);
      if (next >= total || now >= end) {
        clearInterval(timer);
        cpu1 = cpuUs(ep.pid);
        tEnd = now;
        if (cores) contention = cores();
        resolve();
      }
    };
    const timer = setInterval(tick, 1);
  });
  // Drain: wait for what is in flight, at most drainMs; then cut it off.
  if (inFlight > 0) {
    await Promise.race([new Promise<void>((r) => (idle = r)), sleep(o.drainMs)]);
  }
  const timedOut = inFlight;
  await client.destroy();
  const peakRssMb = stopRss();
  const seconds = (tEnd - tw) / 1000;
  const p = percentiles(lat);
  return {
    rate: o.rate,
    seconds,
    offered: sentInWindow / seconds,
    goodput: okInWindow / seconds,
    lat: p,
    shedLat: percentiles(shedLat),
    cpuUsPerReq: (cpu1 - cpu0) / Math.max(1, okInWindow),
    cpuUtil: (cpu1 - cpu0) / 1e3 / (tEnd - tw),
    peakRssMb,
    tally: t,
    timedOut,
    held: t.notSent === 0 && timedOut === 0 && t.errors === 0 && t.otherStatus === 0 && p.p99 < HELD_P99_MS,
    contention,
    sendLag: percentiles(sendLag),
  };
}

export const OVERLOAD_WARMUP_MS = 500;

/** The overload probes' open loop: 1,024 preconnected connections, OVERLOAD_WARMUP_MS warm-up, 2 s drain. */
export function overloadLoop(ep: Endpoint, body: Buffer, rate: number, durationMs: number, trace?: Trace): Promise<OpenResult> {
  return openLoop(ep, body, { rate, warmupMs: OVERLOAD_WARMUP_MS, durationMs, drainMs: 2000, maxInFlight: 4000, connections: 1024, preconnect: true, trace });
}

/**
 * Opens `n` keep-alive connections before a run, with one cheap GET each (any status will do),
 * so the run measures how requests are handled, not how fast a busy server accepts a storm of
 * new connections: since libuv 1.45 (Node 20) a server accepts one connection per event-loop
 * turn (libuv PR #3696), so a busy loop takes seconds to accept a thousand at once.
 */
async function preconnect(pool: Pool, ep: Endpoint, n: number): Promise<void> {
  const get = { method: 'GET' as const, path: '/healthz', headers: ep.headers };
  await Promise.all(Array.from({ length: n }, () => send(pool, get).catch(() => undefined)));
}

// ---------------------------------------------------------------------------------------------
// Streams: open loop of SSE requests; time to the first content token, chunks, CPU per chunk.

interface StreamProgress {
  scheduled: number;
  firstContent: number;
  lastContent: number;
  events: number;
  done: boolean;
  /** A refusal's Retry-After (ms), when the answer was a 429/503 that sent one. */
  retryAfterMs?: number;
  /** The gateway's own time by its Server-Timing header (Treaty's: to the head, upstream wait excluded). */
  ownMs?: number;
  /** Traced streams only: the monotonic clock (shared by every process here) at the send and at the first content. */
  sentNs?: bigint;
  firstNs?: bigint;
  /** Traced streams only: the answer's `x-ttft-*` headers (an instrumented gateway's stage marks). */
  marks?: Record<string, string>;
}

/** A traced stream (streamLoop's `trace`): when it left the client, when its first content arrived, and the gateway's marks. */
export interface TracedStream {
  sentNs: bigint;
  firstNs: bigint;
  marks: Record<string, string>;
}

const CONTENT = /"content":"[^"]/;

/** The gateway's own time (ms) from a Server-Timing header's `gateway;dur=`, when there is one. */
export function gatewayMs(serverTiming: unknown): number | undefined {
  if (typeof serverTiming !== 'string') return undefined;
  const m = /gateway;dur=([\d.]+)/.exec(serverTiming);
  return m ? Number(m[1]) : undefined;
}

async function readStream(pool: Pool, req: ReturnType<typeof REQ>, p: StreamProgress, onFirst?: () => void, trace = false): Promise<number> {
  if (trace) p.sentNs = process.hrtime.bigint();
  const r = await pool.request(req);
  if (trace) {
    p.marks = {};
    for (const [k, v] of Object.entries(r.headers)) if (k.startsWith('x-ttft-') && typeof v === 'string') p.marks[k] = v;
  }
  if (r.statusCode === 429 || r.statusCode === 503) p.retryAfterMs = retryAfterMsFromHeaders(r.headers, Date.now());
  p.ownMs = gatewayMs(r.headers['server-timing']);
  let carry = '';
  for await (const c of r.body) {
    const text = carry + (c as Buffer).toString('latin1');
    const now = performance.now();
    for (let i = text.indexOf('data:'); i !== -1; i = text.indexOf('data:', i + 5)) p.events++;
    if (CONTENT.test(text)) {
      if (!p.firstContent) {
        p.firstContent = now;
        if (trace) p.firstNs = process.hrtime.bigint();
        onFirst?.();
      }
      p.lastContent = now;
    }
    if (text.includes('[DONE]')) {
      p.done = true;
      p.events--; // the terminator is not a chunk
    }
    carry = text.slice(-4);
  }
  return r.statusCode;
}

export interface StreamResult {
  rate: number;
  streams: number;
  complete: number;
  ttft: Percentiles;
  /** Median time from the first to the last content chunk at the client (≈ upstream's when nothing buffers). */
  spreadMs: number;
  eventsPerStream: number;
  cpuUsPerChunk: number;
  cpuUsPerStream: number;
  tally: Tally;
  contention: Contention;
  /** System calls and storage writes of the process under test, per stream. */
  io: IoPer;
  /** The gateway's own time to the head (Server-Timing), where it sends one. */
  own?: Percentiles;
  /** With `trace`: every stream that got its first content. */
  traced?: TracedStream[];
}

export async function streamLoop(ep: Endpoint, body: Buffer, o: { rate: number; durationMs: number; drainMs: number; trace?: boolean }): Promise<StreamResult> {
  const pool = new Pool(ep.origin, { connections: 4096, pipelining: 1, keepAliveTimeout: 30_000 });
  const req = REQ(ep, body);
  const t = tally();
  const all: StreamProgress[] = [];
  const total = Math.floor((o.rate * o.durationMs) / 1000);
  const interval = 1000 / o.rate;
  const cores = watchCores(ep.pid);
  const cpu0 = cpuUs(ep.pid);
  const io0 = ioCounters(ep.pid);
  const start = performance.now();
  const pending: Promise<void>[] = [];
  let next = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = performance.now();
      while (next < total && start + next * interval <= now) {
        const p: StreamProgress = { scheduled: start + next++ * interval, firstContent: 0, lastContent: 0, events: 0, done: false };
        all.push(p);
        pending.push(readStream(pool, req, p, undefined, o.trace).then((s) => count(t, s), () => void t.errors++));
      }
      if (next >= total) {
        clearInterval(timer);
        resolve();
      }
    }, 1);
  });
  await Promise.race([Promise.all(pending), sleep(o.drainMs)]);
  const cpu1 = cpuUs(ep.pid);
  const io1 = ioCounters(ep.pid);
  const contention = cores();
  await pool.destroy().catch(() => undefined);
  const complete = all.filter((p) => p.done);
  const events = all.reduce((s, p) => s + p.events, 0);
  const spreads = percentiles(complete.map((p) => p.lastContent - p.firstContent));
  const owns = all.flatMap((p) => (p.ownMs === undefined ? [] : [p.ownMs]));
  return {
    rate: o.rate,
    streams: all.length,
    complete: complete.length,
    ttft: percentiles(all.filter((p) => p.firstContent).map((p) => p.firstContent - p.scheduled)),
    spreadMs: spreads.p50,
    eventsPerStream: complete.length ? events / all.length : 0,
    cpuUsPerChunk: (cpu1 - cpu0) / Math.max(1, events),
    cpuUsPerStream: (cpu1 - cpu0) / Math.max(1, all.length),
    tally: t,
    contention,
    io: ioPer(io0, io1, all.length),
    ...(owns.length ? { own: percentiles(owns) } : {}),
    ...(o.trace ? { traced: all.flatMap((p) => (p.sentNs !== undefined && p.firstNs !== undefined ? [{ sentNs: p.sentNs, firstNs: p.firstNs, marks: p.marks ?? {} }] : [])) } : {}),
  };
}

export interface OpenStreamsResult {
  wanted: number;
  opened: number;
  /** VmRSS of the process under test before and while all opened streams were held. */
  rssBeforeMb: number;
  rssHeldMb: number;
  openSeconds: number;
  errors: number;
  /** Opening requests refused (429/503) and sent again after their Retry-After, as a client would. */
  retried: number;
}

/** Opens `count` slow streams, waits until each has its first token (or the timeout), holds, measures, closes. */
export async function openStreams(ep: Endpoint, body: Buffer, o: { count: number; rampPerSec: number; openTimeoutMs: number; holdMs: number }): Promise<OpenStreamsResult> {
  const pool = new Pool(ep.origin, { connections: o.count + 16, pipelining: 1, keepAliveTimeout: 30_000 });
  const req = REQ(ep, body);
  const rssBeforeMb = mem(ep.pid).rssMb;
  let opened = 0;
  let errors = 0;
  let retried = 0;
  let allOpen: (() => void) | undefined;
  const start = performance.now();
  const onFirst = (): void => {
    if (++opened === o.count) allOpen?.();
  };
  // A gateway that sheds part of the ramp (its loop fell behind opening 1,000 streams a second)
  // answers 503 with Retry-After; the stream is asked for again after it, as a client would,
  // while the open timeout lasts. What is measured is the memory of the streams once open.
  const openOne = async (): Promise<void> => {
    for (;;) {
      const p: StreamProgress = { scheduled: performance.now(), firstContent: 0, lastContent: 0, events: 0, done: false };
      await readStream(pool, req, p, onFirst);
      if (p.retryAfterMs === undefined || performance.now() + p.retryAfterMs - start >= o.openTimeoutMs) return;
      retried++;
      await sleep(p.retryAfterMs);
    }
  };
  const gap = 1000 / o.rampPerSec;
  const ramp = (async () => {
    for (let i = 0; i < o.count; i++) {
      openOne().catch(() => void errors++);
      const due = start + (i + 1) * gap;
      const wait = due - performance.now();
      if (wait >= 1) await sleep(wait);
    }
  })();
  await Promise.race([new Promise<void>((r) => (allOpen = r)), sleep(o.openTimeoutMs)]);
  await ramp;
  const openSeconds = (performance.now() - start) / 1000;
  await sleep(o.holdMs);
  const rssHeldMb = mem(ep.pid).rssMb;
  const openedNow = opened;
  const errorsBeforeClose = errors;
  await pool.destroy().catch(() => undefined);
  return { wanted: o.count, opened: openedNow, rssBeforeMb, rssHeldMb, openSeconds, errors: errorsBeforeClose, retried };
}

/**
 * Opens one slow stream on `ep` and resolves once its first bytes arrive, i.e. once the
 * request is in progress there; the returned function ends it. With `server.maxInFlight: 1`
 * this holds a Treaty's only slot, so that it refuses everything else and serves nothing:
 * how its own refusal cost is measured (run.ts, overload-probe.ts).
 */
export async function holdOneStream(ep: Endpoint, body: Buffer): Promise<() => Promise<void>> {
  const pool = new Pool(ep.origin, { connections: 1 });
  const ac = new AbortController();
  const res = await pool.request({ ...REQ(ep, body), signal: ac.signal });
  const release = async (): Promise<void> => {
    ac.abort();
    await pool.destroy().catch(() => undefined);
  };
  if (res.statusCode !== 200) {
    await release();
    throw new Error(`holding a slot on ${ep.name}: status ${String(res.statusCode)}`);
  }
  res.body.on('error', () => undefined);
  await new Promise<void>((ok, fail) => {
    res.body.once('data', () => ok());
    res.body.once('error', fail);
  });
  return release;
}
