// When every attempt failed: one client-facing error that tells the truth about why, with
// the attempts' failures attached for logs. Provider messages pass only for request-level
// problems the client can fix (context length, bad request); infrastructure detail stays in
// the logs.

import { GatewayError } from '../domain/errors.js';
import type { UpstreamFailure } from '../domain/upstream-failure.js';

export function finalError(model: string, failures: UpstreamFailure[]): GatewayError {
  const last = failures[failures.length - 1];
  const opts = { attempts: failures };
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
    const retryAfterMs = waits.length ? Math.min(...waits) : 1000;
    return new GatewayError('TREATY_RATE_LIMITED', `Every deployment of "${model}" is at capacity (${tried}). Retry after ${Math.ceil(retryAfterMs / 1000)}s.`, { ...opts, retryAfterMs });
  }
  if (last.kind === 'timeout') return new GatewayError('TREATY_UPSTREAM_TIMEOUT', `No deployment of "${model}" answered in time (${tried}).`, opts);
  return new GatewayError('TREATY_UPSTREAM_ERROR', `Every deployment of "${model}" failed (${tried}); last error: ${last.kind}.`, opts);
}
