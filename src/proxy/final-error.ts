// When every attempt failed: one client-facing error that tells the truth about why, with
// the attempts' failures attached for logs. Provider messages pass only for request-level
// problems the client can fix (context length, bad request); infrastructure detail stays in
// the logs.

import { GatewayError } from '../domain/errors.js';
import type { UpstreamFailure } from '../domain/upstream-failure.js';
import type { Exhausted } from './selection.js';

/** Every candidate was out before any attempt: answer at once, saying when to come back. */
export function allOutError(model: string, ex: Exhausted, now: number): GatewayError {
  const retryAfterMs = Math.max(1, ex.at - now);
  const secs = Math.ceil(retryAfterMs / 1000);
  return ex.allCooling
    ? new GatewayError('TREATY_RATE_LIMITED', `Every deployment of "${model}" is rate limited. Retry after ${secs}s.`, { retryAfterMs })
    : new GatewayError('TREATY_NO_DEPLOYMENT_AVAILABLE', `No deployment of "${model}" is available right now (all are out of rotation after failures). Retry after ${secs}s.`, { retryAfterMs });
}

export function finalError(model: string, failures: UpstreamFailure[], ctx: { budgetDenied?: boolean; exhausted?: Exhausted | undefined; now?: number } = {}): GatewayError {
  const last = failures[failures.length - 1];
  const hint = ctx.exhausted && ctx.now !== undefined ? Math.max(1, ctx.exhausted.at - ctx.now) : undefined;
  const opts = { attempts: failures, ...(hint !== undefined ? { retryAfterMs: hint } : {}) };
  if (!last) return new GatewayError('TREATY_NO_DEPLOYMENT_AVAILABLE', `No deployment of model "${model}" is available right now.`, opts);
  const n = failures.length;
  const tried = `${n} attempt${n === 1 ? '' : 's'}`;
  switch (last.kind) {
    case 'content_filter':
      return new GatewayError('TREATY_CONTENT_FILTERED', `The prompt was rejected by the provider's content filter: ${last.message}`, { ...opts, param: 'messages' });
    case 'context_length':
      return new GatewayError('TREATY_CONTEXT_LENGTH_EXCEEDED', `The prompt and completion budget exceed the context window of every deployment of "${model}": ${last.message}`, { ...opts, param: 'messages' });
    case 'bad_request':
      return new GatewayError('TREATY_INVALID_REQUEST', `The upstream rejected the request: ${last.message}`, opts);
    default:
      break;
  }
  if (failures.every((f) => f.kind === 'rate_limited' || f.kind === 'overloaded')) {
    const waits = failures.map((f) => f.retryAfterMs).filter((w): w is number => w !== undefined);
    const retryAfterMs = hint ?? (waits.length ? Math.min(...waits) : 1000);
    const secs = Math.ceil(retryAfterMs / 1000);
    // Quota said no (429) vs. the service is overloaded (503): keep the distinction clients act on.
    return failures.some((f) => f.kind === 'rate_limited')
      ? new GatewayError('TREATY_RATE_LIMITED', `Every deployment of "${model}" is at capacity (${tried}). Retry after ${secs}s.`, { ...opts, retryAfterMs })
      : new GatewayError('TREATY_NO_DEPLOYMENT_AVAILABLE', `Every deployment of "${model}" is overloaded (${tried}). Retry after ${secs}s.`, { ...opts, retryAfterMs });
  }
  if (ctx.budgetDenied) return new GatewayError('TREATY_UPSTREAM_ERROR', `Every deployment of "${model}" tried failed (${tried}) and the retry budget is spent: too many requests are already being retried.`, opts);
  if (last.kind === 'timeout') return new GatewayError('TREATY_UPSTREAM_TIMEOUT', `No deployment of "${model}" answered in time (${tried}).`, opts);
  return new GatewayError('TREATY_UPSTREAM_ERROR', `Every deployment of "${model}" failed (${tried}); last error: ${last.kind}.`, opts);
}
