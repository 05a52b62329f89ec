// The Azure OpenAI cloud. Both URL styles, api-key (or bearer) auth, Azure's 404s, and the
// OpenAI-wire serving of the openai emulator in Azure's dialect.
//   POST /openai/deployments/{d}/chat/completions?api-version=…   POST /openai/deployments/{d}/embeddings?api-version=…
//   POST /openai/v1/chat/completions (model = deployment)          POST /openai/v1/embeddings   GET /openai/v1/models

import type { EmulatorEngine } from '../core/engine.js';
import { handleEmulatorAdmin, listen, sendJson, type RunningServer } from '../core/http.js';
import type { EmulatedDeploymentConfig } from '../core/types.js';
import {
  INVALID_JSON_MESSAGE,
  invalidRequest,
  isRecord,
  modelList,
  parseChatRequest,
  readJson,
  sendOpenAIError,
  serveChat,
  serveContext,
  serveEmbeddings,
  type ServeContext,
} from '../openai/index.js';
import { azureDialect } from './azure-dialect.js';
import { ACCESS_DENIED, deploymentNotFound, RESOURCE_NOT_FOUND } from './errors.js';

export interface AzureEmulatorOptions {
  port?: number;
  /** The resource key: requests must send it as "api-key" (or as a bearer token). */
  apiKey: string;
  /** Reported in x-ms-region. */
  region?: string;
}

const CLASSIC = /^\/openai\/deployments\/([^/]+)\/(chat\/completions|embeddings)$/;

export function startAzureEmulator(engine: EmulatorEngine, opts: AzureEmulatorOptions): Promise<RunningServer> {
  const dialect = azureDialect(opts.region ?? 'East US');
  return listen(async (req, res) => {
    const admin = handleEmulatorAdmin(engine, 'azure', req, res);
    if (admin) return admin;
    const ctx = serveContext(engine, dialect, req, res);
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname.replace(/\/+$/, '');
    const key = req.headers['api-key'] ?? /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const authorised = key === opts.apiKey;

    if (req.method === 'GET' && path === '/openai/v1/models') {
      if (!authorised) return sendJson(res, 401, ACCESS_DENIED, dialect.headers(ctx));
      return sendJson(res, 200, modelList(engine, 'azure'), dialect.headers(ctx));
    }
    const classic = CLASSIC.exec(path);
    const v1 = path === '/openai/v1/chat/completions' ? 'chat' : path === '/openai/v1/embeddings' ? 'embeddings' : undefined;
    if (req.method !== 'POST' || (!classic && !v1)) return sendJson(res, 404, RESOURCE_NOT_FOUND, dialect.headers(ctx));

    const body = await readJson(req);
    const fields = body.ok && isRecord(body.value) ? body.value : {};
    const name = classic ? decodeURIComponent(classic[1]!) : typeof fields.model === 'string' ? fields.model : '';
    const refuse = (status: number, payload: unknown): void => {
      engine.reject('azure', name, status, fields.stream === true);
      sendJson(res, status, payload, dialect.headers(ctx));
    };
    if (!authorised) return refuse(401, ACCESS_DENIED);
    // Classic URLs without api-version do not resolve at all on Azure: a bare 404.
    if (classic && !url.searchParams.get('api-version')) return refuse(404, RESOURCE_NOT_FOUND);
    if (!body.ok) return refuseOpenAI(ctx, name, 400, INVALID_JSON_MESSAGE, null);
    const cfg = engine.deployment('azure', name);
    if (!cfg) return refuse(404, deploymentNotFound());
    const op = classic ? (classic[2] === 'embeddings' ? 'embeddings' : 'chat') : v1!;
    return serve(ctx, cfg, op, fields, body.value);
  }, opts.port ?? 0);
}

async function serve(ctx: ServeContext, cfg: EmulatedDeploymentConfig, op: 'chat' | 'embeddings', fields: Record<string, unknown>, raw: unknown): Promise<void> {
  if (op === 'embeddings') return serveEmbeddings(ctx, cfg, fields);
  const parsed = parseChatRequest(raw, ctx.req);
  if (!parsed.ok) return refuseOpenAI(ctx, cfg.name, 400, parsed.message, parsed.param);
  return serveChat(ctx, cfg, parsed.chat);
}

/** Request validation errors come back OpenAI-shaped from Azure too. */
function refuseOpenAI(ctx: ServeContext, name: string, status: number, message: string, param: string | null): void {
  ctx.engine.reject('azure', name, status, false);
  sendOpenAIError(ctx.res, status, invalidRequest(message, param), ctx.dialect.headers(ctx));
}
