// The OpenAI (and vLLM) dialect: OpenAI's headers and error bodies for the engine's plans.

import type { EmulatedDeploymentConfig, ErrorPlan } from '../core/types.js';
import type { WireDialect } from './dialect.js';
import { authError, sendOpenAIError, type OpenAIErrorFields } from './errors.js';
import { goDuration, remainingHeaders } from './rate-headers.js';

export const openAIDialect: WireDialect = {
  provider: 'openai',
  headers(ctx, cfg) {
    return {
      'x-request-id': ctx.requestId,
      'openai-processing-ms': String(Math.max(0, Date.now() - ctx.arrivedAt)),
      'openai-version': '2020-10-01',
      ...(cfg ? remainingHeaders(ctx.engine, 'openai', cfg, Date.now()) : {}),
    };
  },
  sendPlanError(ctx, cfg, plan) {
    const { status, fields, extraHeaders } = planToError(cfg, plan);
    return sendOpenAIError(ctx.res, status, fields, { ...openAIDialect.headers(ctx, cfg), ...extraHeaders }, cfg.legacyErrorShape);
  },
};

function planToError(cfg: EmulatedDeploymentConfig, plan: ErrorPlan): { status: number; fields: OpenAIErrorFields; extraHeaders: Record<string, string> } {
  switch (plan.error) {
    case 'rate_limit':
      return rateLimited(cfg, plan);
    case 'server_error':
      return { status: 500, fields: { message: 'The server had an error while processing your request. Sorry about that!', type: 'server_error', code: null }, extraHeaders: {} };
    case 'unavailable':
      return { status: 503, fields: { message: 'The engine is currently overloaded, please try again later.', type: 'service_unavailable_error', code: 'server_is_overloaded' }, extraHeaders: {} };
    case 'context_length':
      return { status: 400, fields: { message: plan.message, type: 'invalid_request_error', code: 'context_length_exceeded', param: 'messages' }, extraHeaders: {} };
    case 'content_filter':
      return {
        status: 400,
        fields: { message: 'Your request was rejected as a result of our safety system. Your prompt may contain text that is not allowed by our safety system.', type: 'invalid_request_error', code: 'content_filter', param: 'prompt' },
        extraHeaders: {},
      };
    case 'auth':
      // An injected auth fault: answer as if the key we were given were wrong.
      return { status: 401, fields: authError('sk-emulator-injected-fault'), extraHeaders: {} };
    case 'not_found':
      return { status: 404, fields: { message: `The model \`${cfg.name}\` does not exist or you do not have access to it.`, type: 'invalid_request_error', code: 'model_not_found', param: 'model' }, extraHeaders: {} };
  }
}

function rateLimited(cfg: EmulatedDeploymentConfig, plan: ErrorPlan): { status: number; fields: OpenAIErrorFields; extraHeaders: Record<string, string> } {
  const limit = /token/i.test(plan.message) ? 'tokens' : 'requests';
  const headers: Record<string, string> = { [`x-ratelimit-remaining-${limit}`]: '0' };
  let wait = '';
  if (plan.retryAfterMs !== undefined) {
    headers['retry-after'] = String(Math.ceil(plan.retryAfterMs / 1000));
    headers[`x-ratelimit-reset-${limit}`] = goDuration(plan.retryAfterMs);
    wait = ` Please try again in ${goDuration(plan.retryAfterMs)}.`;
  }
  const per = limit === 'tokens' ? 'tokens per min (TPM)' : 'requests per min (RPM)';
  return {
    status: 429,
    fields: { message: `Rate limit reached for ${cfg.model} in organization org-emulator on ${per}: ${plan.message}.${wait}`, type: limit, code: 'rate_limit_exceeded' },
    extraHeaders: headers,
  };
}
