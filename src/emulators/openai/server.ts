// The OpenAI-compatible cloud (OpenAI itself, or a vLLM with legacyErrorShape): routes under
// /v1, optional bearer auth, and the attempt log of every request it refuses or serves.
//   POST /v1/chat/completions   POST /v1/embeddings   GET /v1/models   GET /v1/models/{id}

import type { ServerResponse } from 'node:http';
import type { EmulatorEngine } from '../core/engine.js';
import { handleEmulatorAdmin, listen, pathOf, type RunningServer } from '../core/http.js';
import { isRecord, parseChatRequest } from './chat-request.js';
import { serveChat } from './chat-respond.js';
import { serveContext, type ServeContext } from './dialect.js';
import { serveEmbeddings } from './embeddings.js';
import { authError, invalidRequest, modelNotFound, sendOpenAIError, type OpenAIErrorFields } from './errors.js';
import { modelList, modelObject } from './models.js';
import { openAIDialect } from './openai-dialect.js';
import { INVALID_JSON_MESSAGE, readJson } from './request-body.js';

export interface OpenAIEmulatorOptions {
  port?: number;
  /** When set, requests must carry "Authorization: Bearer <apiKey>". */
  apiKey?: string;
}

export function startOpenAIEmulator(engine: EmulatorEngine, opts: OpenAIEmulatorOptions = {}): Promise<RunningServer> {
  return listen(async (req, res) => {
    const admin = handleEmulatorAdmin(engine, 'openai', req, res);
    if (admin) return admin;
    const ctx = serveContext(engine, openAIDialect, req, res);
    const path = pathOf(req.url).replace(/\/+$/, '');
    const presented = bearerOf(req.headers.authorization);
    const authorised = opts.apiKey === undefined || presented === opts.apiKey;

    if (req.method === 'GET' && (path === '/v1/models' || path.startsWith('/v1/models/'))) {
      if (!authorised) return void send(ctx, 401, authError(presented));
      if (path === '/v1/models') return void sendJsonOk(res, modelList(engine, 'openai'), ctx);
      const id = decodeURIComponent(path.slice('/v1/models/'.length));
      if (!engine.deployment('openai', id)) return void send(ctx, 404, modelNotFound(id));
      return void sendJsonOk(res, modelObject(id), ctx);
    }
    const op = req.method === 'POST' && path === '/v1/chat/completions' ? 'chat' : req.method === 'POST' && path === '/v1/embeddings' ? 'embeddings' : undefined;
    if (!op) return void send(ctx, 404, invalidRequest(`Invalid URL (${req.method ?? 'GET'} ${path})`));

    const body = await readJson(req);
    const fields = body.ok && isRecord(body.value) ? body.value : {};
    const model = typeof fields.model === 'string' ? fields.model : '';
    const refuse = (status: number, e: OpenAIErrorFields): void => {
      engine.reject('openai', model, status, fields.stream === true);
      send(ctx, status, e, engine.deployment('openai', model)?.legacyErrorShape);
    };
    if (!authorised) return refuse(401, authError(presented));
    if (!body.ok) return refuse(400, invalidRequest(INVALID_JSON_MESSAGE));
    if (model === '') return refuse(400, invalidRequest('you must provide a model parameter', 'model'));
    const cfg = engine.deployment('openai', model);
    if (!cfg) return refuse(404, modelNotFound(model));
    if (op === 'embeddings') return serveEmbeddings(ctx, cfg, fields);
    const parsed = parseChatRequest(body.value, req);
    if (!parsed.ok) return refuse(400, invalidRequest(parsed.message, parsed.param));
    return serveChat(ctx, cfg, parsed.chat);
  }, opts.port ?? 0);
}

function bearerOf(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? '');
  return m?.[1]?.trim();
}

function send(ctx: ServeContext, status: number, e: OpenAIErrorFields, legacy = false): void {
  sendOpenAIError(ctx.res, status, e, ctx.dialect.headers(ctx), legacy);
}

function sendJsonOk(res: ServerResponse, body: unknown, ctx: ServeContext): void {
  const text = JSON.stringify(body);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...ctx.dialect.headers(ctx) });
  res.end(text);
}
