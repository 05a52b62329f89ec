// The downstream listener: Treaty's own HTTP/1.1 server (h1/) or node:http's, a small route
// table, request ids, the client-gone signal, and the one place where any error becomes an
// OpenAI-shaped response.

import { once } from 'node:events';
import { createServer, ServerResponse, type Server } from 'node:http';
import type { Server as NetServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import { GatewayError } from '../domain/errors.js';
import { Cancellation as ClientGone } from '../proxy/cancellation.js';
import { sendError, sendJson } from './body.js';
import type { DownstreamRequest, DownstreamResponse } from './downstream.js';
import { createH1Server, type H1Server } from './h1/server.js';
import { H1Response, prebuilt, type HeaderList, type HeaderObject, type PrebuiltAnswer } from './h1/response.js';
import { OverloadController, startLagSampler, type LagSampler } from './overload.js';
import { newRequestId } from './request-id.js';
import { StartQueue } from './start-queue.js';
import { chatCompletions, embeddings, getModel, idHeaders, listModels, type Exchange, type RouteDeps } from './routes.js';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export interface GatewayServerDeps extends RouteDeps {
  /** Whether the gateway can serve traffic (config loaded, stores open). */
  ready: () => boolean;
  /** Called once per answered request (model and attempts when known, status, start time). */
  onResponse?: (ex: Exchange, status: number, startedAt: number) => void;
  /**
   * Decides whether a new request may go on, and whether Treaty is shedding (admitted requests
   * then start through the start queue). Tests inject one; by default server.overload's
   * controller, ticked by a real timer.
   */
  overload?: { admit(active: number): boolean; readonly isShedding?: boolean };
}

/** What the listener is carrying and refusing, read at a metrics scrape. */
export interface ListenerLoad {
  /** Requests in progress (open streams included). */
  inFlight: number;
  /** Requests being worked on: admitted, answer not started. */
  active: number;
  /** Refused since start: the event loop was behind (`overloaded`), or `server.maxInFlight` was reached (`atLimit`). */
  shed: { overloaded: number; atLimit: number };
  /** Requests the listener could not read (malformed, head too large…), refused by status; Treaty's own listener only. */
  unreadable: Readonly<Record<string, number>>;
  /** Client connections open now (Treaty's own listener; undefined for node:http's). */
  connections: number | undefined;
  /** Connections refused since start because `server.maxConnections` were open. */
  connectionsRefused: number;
  /** Whether overload shedding is on now, and how many requests may be in progress (Infinity when not shedding). */
  shedding: boolean;
  admitLimit: number;
  /** Event-loop lag as the overload sampler measures it: averaged, and the longest of the last 10-20 s (absent with shedding off). */
  lag?: { averageMs: number; recentMaxMs: number };
  /** Admitted requests waiting to start (only while shedding, server.overload.startBudgetMs). */
  waitingToStart: number;
}

/** The listener (Treaty's own or node:http's), plus a reading of its load (for metrics). */
export type GatewayServer = NetServer & { closeAllConnections(): void; load(): ListenerLoad };

const KEEP_ALIVE_TIMEOUT_MS = 65_000;
const HEADERS_TIMEOUT_MS = 66_000;

export function createGatewayServer(deps: GatewayServerDeps): GatewayServer {
  let inFlight = 0;
  // Counted as plain numbers on the refusal path (a refusal must stay cheap); metrics read them at a scrape.
  let shedOverloaded = 0;
  let shedAtLimit = 0;
  const unreadable: Record<string, number> = {};
  let connectionsRefused = 0;
  const refusedConnection = (): void => {
    connectionsRefused++;
  };
  // Requests being worked on: admitted, answer not started. An open stream stops counting at
  // its first byte (it then costs little until it ends); overload control watches this count.
  let active = 0;
  const limit = deps.config.server.maxInFlight;
  const { retryAfterMs } = deps.config.server.overload;
  // Both refusals are built once: a shed request must cost next to nothing, or shedding the
  // excess eats the capacity it is meant to protect.
  const atLimit = shedReply(`Treaty is at its limit of ${limit} requests in progress; retry shortly.`, retryAfterMs);
  const behind = shedReply('Treaty is overloaded and shed this request before doing any work on it; retry shortly.', retryAfterMs);
  let overload = deps.overload;
  let controller: OverloadController | undefined;
  let sampler: LagSampler | undefined;
  if (!overload && deps.config.server.overload.lagTargetMs > 0) {
    const c = (controller = new OverloadController(deps.config.server.overload, ({ shedding, lagMs, shed }) => {
      if (shedding) deps.log.warn('overloaded: shedding new requests with 503', { lagMs: Math.round(lagMs), active, inFlight });
      else deps.log.warn('overload over: admitting every request again', { shed, lagMs: Math.round(lagMs), active, inFlight });
    }));
    overload = c;
  }
  // While shedding, admitted requests start a few milliseconds' worth per turn (start-queue.ts),
  // so the loop polls often enough for a refusal to go out in a short turn.
  const { startBudgetMs } = deps.config.server.overload;
  const starts = new StartQueue({ budgetMs: startBudgetMs, now: () => performance.now(), later: setImmediate, onError: (err) => deps.log.error('internal error starting a request', { err }) });
  if (controller) sampler = startLagSampler(controller, () => performance.now(), () => active, (t) => starts.oldestWaitMs(t));
  // Per-request bookkeeping lives on the response object (one class per server, so a fixed
  // shape) with one shared done hook: no closures, patched methods or AbortController per
  // request (each was a visible share of the CPU per request at saturation).
  const serve = (req: DownstreamRequest, res: GatewayRes): void => {
    // Overload: shed before any work (body, auth, ledger), so the excess costs almost nothing
    // and what is admitted keeps its latency (G14). Health checks always get through.
    const health = req.url === '/healthz' || req.url === '/readyz';
    if (!health) {
      // Health checks do not wake it: a probe every few seconds would keep an idle gateway ticking.
      sampler?.wake();
      if (inFlight >= limit) {
        shedAtLimit++;
        return shed(res, atLimit);
      }
      if (overload && !overload.admit(active)) {
        shedOverloaded++;
        return shed(res, behind);
      }
    }
    inFlight++;
    active++;
    res.working = true;
    const given = req.headers['x-request-id'];
    // Treaty's id keys the ledger, so it is always our own (unique, time-ordered); the client's
    // x-request-id is kept beside it for correlation and echoed back, never used as a key
    // (two tenants may pick the same one, and clients reuse theirs on retries).
    const requestId = newRequestId(deps.now());
    const clientRequestId = typeof given === 'string' && REQUEST_ID.test(given) ? given : undefined;
    const signal = new ClientGone();
    const ex: Exchange = { req, res, requestId, clientRequestId, signal };
    res.exchange = ex;
    if (deps.onResponse) res.startedAt = deps.now();
    // Behind the queue while shedding, and after it while it empties (first come, first started).
    // Health checks answer at once: they say whether the process is alive, not how busy it is.
    if (startBudgetMs > 0 && !health && (starts.length > 0 || overload?.isShedding)) starts.push(() => begin(ex), ex.signal);
    else begin(ex);
  };
  const begin = (ex: Exchange): void => {
    const { signal, requestId, res } = ex;
    route(deps, ex).catch((err: unknown) => {
      if (signal.aborted && !(err instanceof GatewayError)) return; // the client left mid-request; nobody to answer
      const gerr = err instanceof GatewayError ? err : internal(deps, err, requestId);
      if (gerr.status >= 500) deps.log.warn('request failed', { requestId, code: gerr.code, status: gerr.status, attempts: gerr.options.attempts?.map((a) => a.kind) });
      else deps.log.info('request rejected', { requestId, code: gerr.code, status: gerr.status });
      if (!res.headersSent) sendError(res, gerr, idHeaders(ex));
      else res.destroy();
    });
  };
  // Every answer to an admitted request goes through writeHead (end without it calls it too;
  // only a refusal, never admitted, is written from prebuilt bytes).
  const answering = (res: GatewayRes): void => {
    if (res.working) {
      res.working = false;
      active--;
    }
  };
  // The answer is over: `finished` unless the client went away first.
  const done = (res: GatewayRes, finished: boolean): void => {
    const ex = res.exchange;
    if (ex === undefined) return; // shed before any work
    inFlight--;
    answering(res);
    // If we had not finished, the client gave up, and everything working for it must stop.
    if (!finished) (ex.signal as ClientGone).abort(new Error('client disconnected'));
    deps.onResponse?.(ex, res.statusCode, res.startedAt);
  };
  const hooks: ListenerHooks = { serve, answering, done };
  const server =
    deps.config.server.downstreamServer === 'node'
      ? nodeServer(hooks, deps.config.server.maxConnections, refusedConnection)
      : ownServer(deps, hooks, (status) => {
          unreadable[status] = (unreadable[status] ?? 0) + 1;
        }, refusedConnection);
  server.once('close', () => sampler?.stop());
  const load = (): ListenerLoad => ({
    inFlight,
    active,
    shed: { overloaded: shedOverloaded, atLimit: shedAtLimit },
    unreadable: { ...unreadable },
    connections: (server as Partial<H1Server>).connectionCount,
    connectionsRefused,
    shedding: controller?.isShedding ?? false,
    waitingToStart: starts.length,
    admitLimit: controller?.admitLimit ?? Number.POSITIVE_INFINITY,
    ...(controller ? { lag: { averageMs: controller.lagMs, recentMaxMs: controller.recentMaxLagMs(performance.now()) } } : {}),
  });
  return Object.assign(server, { load });
}

/** Per-request state kept on the answer object. */
interface GatewayState {
  /** Admitted and not yet answering: counted in `active`. */
  working: boolean;
  exchange: Exchange | undefined;
  startedAt: number;
}
type GatewayRes = DownstreamResponse & GatewayState;

/** What either listener calls: a new request, its answer starting, the answer over. */
interface ListenerHooks {
  serve(req: DownstreamRequest, res: GatewayRes): void;
  answering(res: GatewayRes): void;
  done(res: GatewayRes, finished: boolean): void;
}

function ownServer(deps: GatewayServerDeps, { serve, answering, done }: ListenerHooks, refused: (status: number) => void, refusedConnection: () => void): H1Server {
  class GatewayH1Response extends H1Response implements GatewayState {
    working = false;
    exchange: Exchange | undefined = undefined;
    startedAt = 0;

    override writeHead(statusCode: number, headers?: HeaderObject | HeaderList): this {
      answering(this);
      return super.writeHead(statusCode, headers);
    }

    override onDone(finished: boolean): void {
      done(this, finished);
    }
  }
  return createH1Server<GatewayH1Response>(
    {
      maxBodyBytes: deps.config.server.maxBodyBytes,
      keepAliveTimeoutMs: KEEP_ALIVE_TIMEOUT_MS,
      headersTimeoutMs: HEADERS_TIMEOUT_MS,
      Response: GatewayH1Response,
      // The status comes from the parse error (400, 417, 431), or 500 when the handler threw; the body is OpenAI's shape.
      errorBody: (status, message) => JSON.stringify(new GatewayError(status >= 500 ? 'TREATY_INTERNAL' : 'TREATY_INVALID_REQUEST', message).toBody()),
      handlerFailed: (err) => deps.log.error('internal error taking a request', { err }),
      onRefused: refused,
      maxConnections: deps.config.server.maxConnections,
      turnAway: shedReply(`Treaty has its limit of ${deps.config.server.maxConnections} client connections open; retry shortly, reusing one connection for many requests.`, deps.config.server.overload.retryAfterMs).bytes,
      onTurnedAway: refusedConnection,
    },
    serve,
  );
}

function nodeServer({ serve, answering, done }: ListenerHooks, maxConnections: number, refusedConnection: () => void): Server {
  class GatewayResponse extends ServerResponse implements GatewayState {
    working = false;
    exchange: Exchange | undefined = undefined;
    startedAt = 0;

    override writeHead(statusCode: number, reason?: unknown, headers?: unknown): this {
      answering(this as unknown as GatewayRes);
      return (super.writeHead as (c: number, r?: unknown, h?: unknown) => this)(statusCode, reason, headers);
    }

    drained(): Promise<void> {
      if (this.destroyed || !this.writableNeedDrain) return Promise.resolve();
      return Promise.race([once(this, 'drain'), once(this, 'close')]).then(() => undefined);
    }
  }
  function onClose(this: GatewayResponse): void {
    // 'close' fires when the socket goes away; if we had not finished, the client gave up.
    done(this as unknown as GatewayRes, this.writableFinished);
  }
  const server = createServer({ ServerResponse: GatewayResponse }, (req, res) => {
    serve(req, res as unknown as GatewayRes);
    if ((res as GatewayResponse).exchange !== undefined) res.on('close', onClose);
  });
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  server.requestTimeout = 0; // streams may legitimately run long; the proxy owns deadlines
  // node:http closes a connection over the cap unanswered ('drop'); Treaty's own listener answers 503 first.
  server.maxConnections = maxConnections;
  server.on('drop', refusedConnection);
  return server as unknown as Server;
}

interface ShedReply {
  /** A flat [name, value, …] list: node:http writes it without walking an object (~3 µs of a ~20 µs refusal). */
  headers: string[];
  body: Buffer;
  /** The whole answer's bytes, for Treaty's own listener: one write, no header work. */
  bytes: PrebuiltAnswer;
}

function shedReply(message: string, retryAfterMs: number): ShedReply {
  const text = JSON.stringify(new GatewayError('TREATY_NO_DEPLOYMENT_AVAILABLE', message).toBody());
  const body = Buffer.from(text);
  const headers = ['content-type', 'application/json', 'content-length', String(body.length), 'retry-after', String(Math.max(1, Math.ceil(retryAfterMs / 1000))), 'retry-after-ms', String(retryAfterMs)];
  return { body, headers, bytes: prebuilt(503, headers, text) };
}

function shed(res: DownstreamResponse, r: ShedReply): void {
  // The unread body is dropped by either listener once the answer is sent, keeping the connection.
  if (res instanceof H1Response) return res.endPrebuilt(r.bytes);
  res.writeHead(503, r.headers);
  res.end(r.body);
}

function internal(deps: GatewayServerDeps, err: unknown, requestId: string): GatewayError {
  deps.log.error('internal error', { requestId, err });
  return new GatewayError('TREATY_INTERNAL', `Treaty hit an internal error; quote request id ${requestId} when reporting it.`);
}

function only(method: string, m: string, path: string): void {
  if (method !== m) throw new GatewayError('TREATY_METHOD_NOT_ALLOWED', `${method} is not allowed on ${path}; use ${m}.`);
}

async function route(deps: GatewayServerDeps, ex: Exchange): Promise<void> {
  const url = ex.req.url ?? '/';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  const method = ex.req.method ?? 'GET';
  switch (path) {
    case '/v1/chat/completions':
    case '/chat/completions':
      only(method, 'POST', path);
      return chatCompletions(deps, ex);
    case '/v1/embeddings':
    case '/embeddings':
      only(method, 'POST', path);
      return embeddings(deps, ex);
    case '/v1/models':
    case '/models':
      only(method, 'GET', path);
      return listModels(deps, ex);
    case '/healthz':
      return sendJson(ex.res, 200, { status: 'ok' });
    case '/readyz':
      return deps.ready() ? sendJson(ex.res, 200, { status: 'ready' }) : sendJson(ex.res, 503, { status: 'not ready' });
    default: {
      const m = /^\/(?:v1\/)?models\/(.+)$/.exec(path);
      if (m) {
        only(method, 'GET', path);
        let id: string;
        try {
          id = decodeURIComponent(m[1]!);
        } catch {
          throw new GatewayError('TREATY_INVALID_REQUEST', 'The model id in the path is not valid percent-encoding.');
        }
        return getModel(deps, ex, id);
      }
      throw new GatewayError('TREATY_NOT_FOUND', `Unknown route ${method} ${path}. Treaty serves /v1/chat/completions, /v1/embeddings and /v1/models.`);
    }
  }
}
