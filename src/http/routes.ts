// The downstream routes. Each one: authenticate, read and validate, admit (limits, budget),
// hand to the proxy, render in OpenAI's shape, settle. Errors from any stage come back as
// GatewayErrors and leave through the server's one error exit.

import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Admission, Admitted } from '../admission/admission.js';
import type { GatewayConfig } from '../config/compile.js';
import type { ChatRequest } from '../domain/chat.js';
import { GatewayError } from '../domain/errors.js';
import type { Logger } from '../observability/logger.js';
import { estimatePromptTokens } from '../policy/capabilities.js';
import { ClientGoneError, type ChatProxy, type Served } from '../proxy/chat-proxy.js';
import type { AttemptTrace, ClientSignal, RequestContext } from '../proxy/ports.js';
import { parseChatRequest } from '../wire/chat-request.js';
import { ChunkRenderer, renderChatResponse } from '../wire/chat-response.js';
import { parseEmbeddingsRequest, renderEmbeddings } from '../wire/embeddings.js';
import { readJsonBodyText, sendJson } from './body.js';
import type { DownstreamRequest, DownstreamResponse } from './downstream.js';
import { serverTiming } from './gateway-timing.js';
import type { Authenticator, Principal } from './principal.js';
import { writeStream } from './stream-writer.js';

/** Idempotency-Key storage (the ledger implements it). */
export interface IdempotencyStore {
  idempotencyBegin(tenantId: string, key: string, bodyHash: string, now: number): Promise<{ state: 'new' } | { state: 'in-flight' } | { state: 'mismatch' } | { state: 'done'; status: number; body: string }>;
  idempotencyComplete(tenantId: string, key: string, status: number, body: string): Promise<boolean>;
  idempotencyAbandon(tenantId: string, key: string): Promise<void>;
}

export interface RouteDeps {
  config: GatewayConfig;
  proxy: ChatProxy;
  auth: Authenticator;
  admission: Admission;
  idempotency: IdempotencyStore | undefined;
  /** The most a request can cost on any deployment of its model chain; undefined if unpriced. */
  worstCaseUsd: (req: ChatRequest, promptTokens: number) => number | undefined;
  /** What the attempts of a request cost in total, and their tokens (for budgets and TPM). */
  settled: (traces: AttemptTrace[]) => { usd: number | undefined; tokens: number | undefined };
  /** Exact prompt tokens (tokenizer), used only when usage must be estimated. */
  precisePromptTokens: (req: ChatRequest) => number;
  log: Logger;
  now: () => number;
  /** Unix seconds reported as each model's "created". */
  createdAt: number;
}

export interface Exchange {
  req: DownstreamRequest;
  res: DownstreamResponse;
  /** Treaty's id for this request (unique; the ledger's key). */
  requestId: string;
  /** The client's own x-request-id, when it sent a well-formed one: echoed and recorded, never a key. */
  clientRequestId: string | undefined;
  /** Aborts when the client disconnects before we finished answering. */
  signal: ClientSignal;
  /** The public model asked for, once known (for metrics). */
  model?: string;
  /** The upstream attempts made for it (for traces). */
  attempts?: AttemptTrace[];
  stream?: boolean;
}

/** x-request-id echoes the client's id (else ours); x-treaty-request-id is always ours. */
export function idHeaders(ex: Exchange): Record<string, string> {
  return { 'x-request-id': ex.clientRequestId ?? ex.requestId, 'x-treaty-request-id': ex.requestId };
}

function servedHeaders(ex: Exchange, s: Served): Record<string, string | number> {
  const h: Record<string, string | number> = idHeaders(ex);
  h['x-treaty-deployment'] = s.deployment.id;
  h['x-treaty-attempts'] = s.attempts;
  h['x-treaty-model'] = s.model;
  if (s.decision) h['x-treaty-decision'] = s.decision;
  return h;
}

/**
 * A whole answer's headers, in servedHeaders' order then timing, type and length: one literal
 * (two shapes, with and without a decision) rather than an object grown key by key.
 */
function answerHeaders(ex: Exchange, s: Served, timing: string, length: number): Record<string, string | number> {
  const id = ex.clientRequestId ?? ex.requestId;
  if (s.decision) {
    return { 'x-request-id': id, 'x-treaty-request-id': ex.requestId, 'x-treaty-deployment': s.deployment.id, 'x-treaty-attempts': s.attempts, 'x-treaty-model': s.model, 'x-treaty-decision': s.decision, 'server-timing': timing, 'content-type': 'application/json', 'content-length': length };
  }
  return { 'x-request-id': id, 'x-treaty-request-id': ex.requestId, 'x-treaty-deployment': s.deployment.id, 'x-treaty-attempts': s.attempts, 'x-treaty-model': s.model, 'server-timing': timing, 'content-type': 'application/json', 'content-length': length };
}

function deadlineOf(deps: RouteDeps, ex: Exchange): number {
  const cfgTimeout = deps.config.server.requestTimeoutMs;
  const header = ex.req.headers['x-treaty-timeout-ms'];
  if (typeof header !== 'string') return deps.now() + cfgTimeout;
  const n = Number(header);
  if (!Number.isInteger(n) || n < 1) throw new GatewayError('TREATY_INVALID_REQUEST', 'x-treaty-timeout-ms must be a positive whole number of milliseconds.');
  // A client may shorten the deadline, never stretch it past the operator's.
  return deps.now() + Math.min(n, cfgTimeout);
}

function requireModel(deps: RouteDeps, model: string): void {
  if (!deps.config.models.has(model)) throw new GatewayError('TREATY_MODEL_NOT_FOUND', `The model \`${model}\` does not exist or you do not have access to it.`, { param: 'model' });
}

export async function chatCompletions(deps: RouteDeps, ex: Exchange): Promise<void> {
  const t0 = performance.now();
  const auth = deps.auth.authenticate(ex.req);
  const principal = auth instanceof Promise ? await auth : auth;
  const { value, text } = await readJsonBodyText(ex.req, deps.config.server.maxBodyBytes);
  const chat = parseChatRequest(value, { maxMessages: deps.config.server.maxMessages });
  requireModel(deps, chat.model);
  ex.model = chat.model;
  const deadlineAt = deadlineOf(deps, ex);
  // Most requests carry no Idempotency-Key: no async step (and promise) for them.
  const idem = ex.req.headers['idempotency-key'] === undefined ? undefined : await beginIdempotency(deps, ex, principal, chat.stream, text);
  if (idem === 'replayed') return;
  const est = estimatePromptTokens(chat);
  let admitted = idem ? admitOrAbandon(deps, principal, chat, est, idem, ex.requestId) : admit(deps, principal, chat, est, ex.requestId);
  if (admitted instanceof Promise) admitted = await admitted;
  const facts = {
    tenantId: principal.tenantId,
    keyId: principal.keyId,
    tags: tagsOf(principal),
    trafficClass: principal.key?.trafficClass ?? principal.tenant?.trafficClass ?? null,
    promptTokens: est,
    completionTokens: chat.maxTokens ?? 256,
  };
  const ctx: RequestContext = { requestId: ex.requestId, clientRequestId: ex.clientRequestId, tenantId: principal.tenantId, keyId: principal.keyId, estimatedPromptTokens: est, precisePromptTokens: () => deps.precisePromptTokens(chat), facts, signal: ex.signal, deadlineAt };
  const started = deps.now();
  let traces: AttemptTrace[] = [];
  try {
    const result = await deps.proxy.chat(chat, ctx);
    traces = result.traces;
    if (result.kind === 'complete') {
      const body = JSON.stringify(renderChatResponse(result.response));
      if (idem) await deps.idempotency!.idempotencyComplete(idem.tenant, idem.key, 200, body);
      ex.res.writeHead(200, answerHeaders(ex, result, serverTiming(t0, traces), Buffer.byteLength(body)));
      ex.res.end(body);
      // The same line a child logger would write (an undefined field is left out), without making one per request.
      deps.log.info('request served', { requestId: ex.requestId, clientRequestId: ex.clientRequestId, key: principal.keyName, tenant: principal.tenantId, model: chat.model, stream: chat.stream, deployment: result.deployment.id, attempts: result.attempts, status: 200, ms: deps.now() - started });
      return;
    }
    const headers = servedHeaders(ex, result);
    headers['server-timing'] = serverTiming(t0, traces);
    const renderer = new ChunkRenderer(`chatcmpl-${ex.requestId}`, result.deployment.upstreamModel, Math.floor(deps.now() / 1000));
    const outcome = await writeStream(ex.res, result.events, { headers, renderer, includeUsage: chat.includeUsage });
    requestLog(deps, ex, principal, chat).info(outcome.complete ? 'stream served' : 'stream ended early', { deployment: result.deployment.id, attempts: result.attempts, complete: outcome.complete, error: outcome.error, ms: deps.now() - started });
  } catch (err) {
    if (err instanceof GatewayError && err.options.traces) traces = err.options.traces as AttemptTrace[];
    if (idem) await deps.idempotency!.idempotencyAbandon(idem.tenant, idem.key);
    if (err instanceof ClientGoneError) {
      requestLog(deps, ex, principal, chat).info('client disconnected before the answer', { ms: deps.now() - started });
      return;
    }
    throw err;
  } finally {
    ex.attempts = traces;
    ex.stream = chat.stream;
    const s = deps.settled(traces);
    try {
      const released = admitted.release(s.usd, s.tokens);
      if (released instanceof Promise) await released;
    } catch (e) {
      requestLog(deps, ex, principal, chat).error('settling budget failed', { err: e });
    }
  }
}

/** A logger whose lines carry the request's identity (made only for the less common lines). */
function requestLog(deps: RouteDeps, ex: Exchange, principal: Principal, chat: ChatRequest): Logger {
  return deps.log.child({ requestId: ex.requestId, ...(ex.clientRequestId ? { clientRequestId: ex.clientRequestId } : {}), key: principal.keyName, tenant: principal.tenantId, model: chat.model, stream: chat.stream });
}

const NO_TAGS: readonly string[] = Object.freeze([]);

/** The key's and its tenant's tags, for the contracts (no new array when there are none). */
function tagsOf(p: Principal): readonly string[] {
  const k = p.key?.tags;
  const t = p.tenant?.tags;
  if (!k?.length) return t?.length ? t : NO_TAGS;
  return t?.length ? [...k, ...t] : k;
}

function admit(deps: RouteDeps, p: Principal, chat: ChatRequest, est: number, requestId: string): Admitted | Promise<Admitted> {
  return deps.admission.admit(p, chat.model, est + (chat.maxTokens ?? 0), worstCase(deps, p, chat, est), requestId);
}

/** admit, giving the Idempotency-Key back when the request is refused. */
async function admitOrAbandon(deps: RouteDeps, p: Principal, chat: ChatRequest, est: number, idem: Idem, requestId: string): Promise<Admitted> {
  try {
    return await admit(deps, p, chat, est, requestId);
  } catch (err) {
    await deps.idempotency!.idempotencyAbandon(idem.tenant, idem.key);
    throw err;
  }
}

/** The request's worst-case cost, worked out only when a budget will be reserved against it. */
function worstCase(deps: RouteDeps, p: Principal, chat: ChatRequest, est: number): number | undefined {
  return deps.admission.reservesBudget(p) ? deps.worstCaseUsd(chat, est) : undefined;
}

type Idem = { tenant: string; key: string };

/** Idempotency-Key (non-streaming): in flight → 409, other body → 422, done → replay. */
async function beginIdempotency(deps: RouteDeps, ex: Exchange, p: Principal, stream: boolean, body: string): Promise<Idem | 'replayed' | undefined> {
  const key = ex.req.headers['idempotency-key'];
  if (typeof key !== 'string' || !deps.idempotency) return undefined;
  if (stream) throw new GatewayError('TREATY_INVALID_REQUEST', 'Idempotency-Key is supported on non-streaming requests only (a stream cannot be replayed).', { param: 'stream' });
  if (key.length === 0 || key.length > 255) throw new GatewayError('TREATY_INVALID_REQUEST', 'Idempotency-Key must be 1–255 characters.');
  const tenant = p.tenantId ?? `static:${p.keyName}`;
  const hash = createHash('sha256').update(body).digest('hex');
  const r = await deps.idempotency.idempotencyBegin(tenant, key, hash, deps.now());
  if (r.state === 'in-flight') throw new GatewayError('TREATY_IDEMPOTENCY_IN_FLIGHT', 'A request with this Idempotency-Key is still in flight; wait for it to finish.');
  if (r.state === 'mismatch') throw new GatewayError('TREATY_IDEMPOTENCY_MISMATCH', 'This Idempotency-Key was used with a different request body; use a new key for a new request.');
  if (r.state === 'done') {
    ex.res.writeHead(r.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(r.body), ...idHeaders(ex), 'idempotent-replayed': 'true' });
    ex.res.end(r.body);
    return 'replayed';
  }
  return { tenant, key };
}

export async function embeddings(deps: RouteDeps, ex: Exchange): Promise<void> {
  const t0 = performance.now();
  const principal = await deps.auth.authenticate(ex.req);
  const { value } = await readJsonBodyText(ex.req, deps.config.server.maxBodyBytes);
  const req = parseEmbeddingsRequest(value);
  requireModel(deps, req.model);
  ex.model = req.model;
  const inputs = Array.isArray(req.input) ? req.input : [req.input];
  const est = Math.ceil(inputs.reduce<number>((n, i) => n + (typeof i === 'string' ? i.length / 4 : Array.isArray(i) ? i.length : 1), 0));
  const admitted = await deps.admission.admit(principal, req.model, est, undefined, ex.requestId);
  let traces: AttemptTrace[] = [];
  try {
    const ctx: RequestContext = { requestId: ex.requestId, clientRequestId: ex.clientRequestId, tenantId: principal.tenantId, keyId: principal.keyId, estimatedPromptTokens: est, signal: ex.signal, deadlineAt: deadlineOf(deps, ex) };
    const result = await deps.proxy.embeddings(req, ctx);
    traces = result.traces;
    const headers = servedHeaders(ex, result);
    if (!result.response.usage) headers['x-treaty-usage'] = 'unreported';
    headers['server-timing'] = serverTiming(t0, traces);
    sendJson(ex.res, 200, renderEmbeddings(result.response, req.encodingFormat ?? 'float'), headers);
  } catch (err) {
    if (err instanceof ClientGoneError) return;
    throw err;
  } finally {
    const s = deps.settled(traces);
    await Promise.resolve(admitted.release(s.usd, s.tokens)).catch(() => undefined);
  }
}

function modelObject(deps: RouteDeps, name: string): Record<string, unknown> {
  const pool = deps.config.models.get(name)!;
  // Models have no creation time in config; 0 would read as 1970, so report when this
  // catalogue was loaded, which is at least true.
  return { id: pool.name, object: 'model', created: deps.createdAt, owned_by: pool.ownedBy };
}

function visible(p: Principal, name: string): boolean {
  return (!p.key?.allowedModels || p.key.allowedModels.includes(name)) && (!p.tenant?.allowedModels || p.tenant.allowedModels.includes(name));
}

export async function listModels(deps: RouteDeps, ex: Exchange): Promise<void> {
  const p = await deps.auth.authenticate(ex.req);
  sendJson(ex.res, 200, { object: 'list', data: [...deps.config.models.keys()].filter((n) => visible(p, n)).map((n) => modelObject(deps, n)) }, idHeaders(ex));
}

export async function getModel(deps: RouteDeps, ex: Exchange, id: string): Promise<void> {
  const p = await deps.auth.authenticate(ex.req);
  if (!deps.config.models.has(id) || !visible(p, id)) throw new GatewayError('TREATY_MODEL_NOT_FOUND', `The model \`${id}\` does not exist or you do not have access to it.`, { param: 'model' });
  sendJson(ex.res, 200, modelObject(deps, id), idHeaders(ex));
}
