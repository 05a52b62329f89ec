// The downstream routes. Each one: authenticate, read and validate, hand to the proxy,
// render in OpenAI's shape. Errors from any stage come back as GatewayErrors.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GatewayConfig } from '../config/compile.js';
import { GatewayError } from '../domain/errors.js';
import type { Logger } from '../observability/logger.js';
import { ClientGoneError, type ChatProxy, type Served } from '../proxy/chat-proxy.js';
import type { RequestContext } from '../proxy/ports.js';
import { parseChatRequest } from '../wire/chat-request.js';
import { ChunkRenderer, renderChatResponse } from '../wire/chat-response.js';
import { parseEmbeddingsRequest, renderEmbeddings } from '../wire/embeddings.js';
import type { StaticKeyAuth } from './auth.js';
import { readJsonBody, sendJson } from './body.js';
import { writeStream } from './stream-writer.js';

export interface RouteDeps {
  config: GatewayConfig;
  proxy: ChatProxy;
  auth: StaticKeyAuth;
  log: Logger;
  now: () => number;
  /** Unix seconds reported as each model's "created". */
  createdAt: number;
}

export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  requestId: string;
  /** Aborts when the client disconnects before we finished answering. */
  signal: AbortSignal;
}

function servedHeaders(ex: Exchange, s: Served): Record<string, string | number> {
  return { 'x-request-id': ex.requestId, 'x-treaty-deployment': s.deployment.id, 'x-treaty-attempts': s.attempts, 'x-treaty-model': s.model };
}

function context(deps: RouteDeps, ex: Exchange): RequestContext {
  const cfgTimeout = deps.config.server.requestTimeoutMs;
  const header = ex.req.headers['x-treaty-timeout-ms'];
  let timeout = cfgTimeout;
  if (typeof header === 'string') {
    const n = Number(header);
    if (!Number.isInteger(n) || n < 1) throw new GatewayError('TREATY_INVALID_REQUEST', 'x-treaty-timeout-ms must be a positive whole number of milliseconds.');
    // A client may shorten the deadline, never stretch it past the operator's.
    timeout = Math.min(n, cfgTimeout);
  }
  return { requestId: ex.requestId, signal: ex.signal, deadlineAt: deps.now() + timeout };
}

export async function chatCompletions(deps: RouteDeps, ex: Exchange): Promise<void> {
  const principal = deps.auth.authenticate(ex.req);
  const body = await readJsonBody(ex.req, deps.config.server.maxBodyBytes);
  const chat = parseChatRequest(body, { maxMessages: deps.config.server.maxMessages });
  if (!deps.config.models.has(chat.model)) {
    throw new GatewayError('TREATY_MODEL_NOT_FOUND', `The model \`${chat.model}\` does not exist or you do not have access to it.`, { param: 'model' });
  }
  const log = deps.log.child({ requestId: ex.requestId, key: principal.keyName, model: chat.model, stream: chat.stream });
  const started = deps.now();
  try {
    const result = await deps.proxy.chat(chat, context(deps, ex));
    const headers = servedHeaders(ex, result);
    if (result.kind === 'complete') {
      sendJson(ex.res, 200, renderChatResponse(result.response), headers);
      log.info('request served', { deployment: result.deployment.id, attempts: result.attempts, status: 200, ms: deps.now() - started });
      return;
    }
    const renderer = new ChunkRenderer(`chatcmpl-${ex.requestId}`, result.deployment.upstreamModel, Math.floor(deps.now() / 1000));
    const outcome = await writeStream(ex.res, result.events, { headers, renderer, includeUsage: chat.includeUsage });
    log.info(outcome.complete ? 'stream served' : 'stream ended early', { deployment: result.deployment.id, attempts: result.attempts, complete: outcome.complete, error: outcome.error, ms: deps.now() - started });
  } catch (err) {
    if (err instanceof ClientGoneError) {
      log.info('client disconnected before the answer', { ms: deps.now() - started });
      return;
    }
    throw err;
  }
}

export async function embeddings(deps: RouteDeps, ex: Exchange): Promise<void> {
  deps.auth.authenticate(ex.req);
  const body = await readJsonBody(ex.req, deps.config.server.maxBodyBytes);
  const req = parseEmbeddingsRequest(body);
  if (!deps.config.models.has(req.model)) {
    throw new GatewayError('TREATY_MODEL_NOT_FOUND', `The model \`${req.model}\` does not exist or you do not have access to it.`, { param: 'model' });
  }
  try {
    const result = await deps.proxy.embeddings(req, context(deps, ex));
    const headers = servedHeaders(ex, result);
    if (!result.response.usage) headers['x-treaty-usage'] = 'unreported';
    sendJson(ex.res, 200, renderEmbeddings(result.response, req.encodingFormat ?? 'float'), headers);
  } catch (err) {
    if (err instanceof ClientGoneError) return;
    throw err;
  }
}

function modelObject(deps: RouteDeps, name: string): Record<string, unknown> {
  const pool = deps.config.models.get(name)!;
  // Models have no creation time in config; 0 would read as 1970, so report when this
  // catalogue was loaded, which is at least true.
  return { id: pool.name, object: 'model', created: deps.createdAt, owned_by: pool.ownedBy };
}

export function listModels(deps: RouteDeps, ex: Exchange): void {
  deps.auth.authenticate(ex.req);
  sendJson(ex.res, 200, { object: 'list', data: [...deps.config.models.keys()].map((n) => modelObject(deps, n)) }, { 'x-request-id': ex.requestId });
}

export function getModel(deps: RouteDeps, ex: Exchange, id: string): void {
  deps.auth.authenticate(ex.req);
  if (!deps.config.models.has(id)) throw new GatewayError('TREATY_MODEL_NOT_FOUND', `The model \`${id}\` does not exist or you do not have access to it.`, { param: 'model' });
  sendJson(ex.res, 200, modelObject(deps, id), { 'x-request-id': ex.requestId });
}
