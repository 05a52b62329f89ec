// The Azure OpenAI dialect of the OpenAI wire: Azure's headers on every response, its error
// shapes for the engine's plans, and content-filter results on prompts and choices.

import { randomUUID } from 'node:crypto';
import { sendJson } from '../core/http.js';
import type { EmulatedDeploymentConfig, ErrorPlan } from '../core/types.js';
import { openAIErrorBody, remainingHeaders, type Operation, type ServeContext, type WireDialect } from '../openai/index.js';
import { ACCESS_DENIED, azureError, deploymentNotFound, rateLimitMessage } from './errors.js';
import { choiceFilterResults, promptFilteredBody, promptFilterResults } from './filters.js';

/** What Microsoft's benchmark tool reads; a steady figure under 100 % for a healthy PTU. */
const PTU_UTILIZATION = '87.5%';

export function azureDialect(region: string): WireDialect {
  const dialect: WireDialect = {
    provider: 'azure',
    headers(ctx, cfg) {
      const h: Record<string, string> = { 'x-request-id': ctx.requestId, 'apim-request-id': randomUUID(), 'x-ms-region': region };
      if (cfg) Object.assign(h, remainingHeaders(ctx.engine, 'azure', cfg, Date.now()));
      if (cfg?.provisioned) h['azure-openai-deployment-utilization'] = PTU_UTILIZATION;
      return h;
    },
    sendPlanError(ctx, cfg, plan, op) {
      const { status, body, headers } = planToError(ctx, cfg, plan, op);
      sendJson(ctx.res, status, body, { ...dialect.headers(ctx, cfg), ...headers });
      return status;
    },
    promptFilterResults,
    choiceFilterResults,
  };
  return dialect;
}

function planToError(ctx: ServeContext, cfg: EmulatedDeploymentConfig, plan: ErrorPlan, op: Operation): { status: number; body: unknown; headers: Record<string, string> } {
  switch (plan.error) {
    case 'rate_limit': {
      const headers: Record<string, string> = { 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-remaining-tokens': '0' };
      if (plan.retryAfterMs !== undefined) {
        headers['retry-after-ms'] = String(Math.round(plan.retryAfterMs));
        headers['retry-after'] = String(Math.ceil(plan.retryAfterMs / 1000));
      }
      const operation = op === 'chat' ? 'ChatCompletions_Create' : 'Embeddings_Create';
      return { status: 429, body: azureError('429', rateLimitMessage(operation, apiVersionOf(ctx), cfg.provisioned, plan.retryAfterMs)), headers };
    }
    case 'server_error':
      return { status: 500, body: azureError('InternalServerError', 'The service encountered an internal error. Please retry.'), headers: {} };
    case 'unavailable':
      return { status: 503, body: azureError('ServiceUnavailable', 'The service is temporarily unable to process your request. Please try again later.'), headers: {} };
    case 'context_length':
      // Azure passes the model's own OpenAI-shaped error through for this one.
      return { status: 400, body: openAIErrorBody(400, { message: plan.message, type: 'invalid_request_error', code: 'context_length_exceeded', param: 'messages' }, false), headers: {} };
    case 'content_filter':
      return { status: 400, body: promptFilteredBody(), headers: {} };
    case 'auth':
      return { status: 401, body: ACCESS_DENIED, headers: {} };
    case 'not_found':
      return { status: 404, body: deploymentNotFound(), headers: {} };
  }
}

function apiVersionOf(ctx: ServeContext): string {
  return new URL(ctx.req.url ?? '/', 'http://x').searchParams.get('api-version') ?? 'v1';
}
