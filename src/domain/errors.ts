// One error union with stable codes and one exhaustive map to HTTP status and the OpenAI
// error body. Every error a client can see comes through here.

import type { UpstreamFailure } from './upstream-failure.js';

export type GatewayErrorCode =
  | 'TREATY_INVALID_JSON'
  | 'TREATY_INVALID_REQUEST'
  | 'TREATY_BODY_TOO_LARGE'
  | 'TREATY_UNSUPPORTED_MEDIA_TYPE'
  | 'TREATY_NOT_FOUND'
  | 'TREATY_METHOD_NOT_ALLOWED'
  | 'TREATY_MODEL_NOT_FOUND'
  | 'TREATY_UNAUTHORIZED'
  | 'TREATY_FORBIDDEN'
  | 'TREATY_UNSUPPORTED_PARAMETER'
  | 'TREATY_CONTEXT_LENGTH_EXCEEDED'
  | 'TREATY_CONTENT_FILTERED'
  | 'TREATY_RATE_LIMITED'
  | 'TREATY_BUDGET_EXCEEDED'
  | 'TREATY_IDEMPOTENCY_IN_FLIGHT'
  | 'TREATY_IDEMPOTENCY_MISMATCH'
  | 'TREATY_LEDGER_UNAVAILABLE'
  | 'TREATY_CONTRACT_BLOCKED'
  | 'TREATY_NO_DEPLOYMENT_AVAILABLE'
  | 'TREATY_UPSTREAM_TIMEOUT'
  | 'TREATY_UPSTREAM_ERROR'
  | 'TREATY_UPSTREAM_STREAM_INTERRUPTED'
  | 'TREATY_INTERNAL';

interface CodeSpec {
  status: number;
  type: string;
  /** The OpenAI `code` field clients switch on. */
  openaiCode: string | null;
}

const SPECS: Record<GatewayErrorCode, CodeSpec> = {
  TREATY_INVALID_JSON: { status: 400, type: 'invalid_request_error', openaiCode: 'invalid_json' },
  TREATY_INVALID_REQUEST: { status: 400, type: 'invalid_request_error', openaiCode: 'invalid_request' },
  TREATY_BODY_TOO_LARGE: { status: 413, type: 'invalid_request_error', openaiCode: 'request_too_large' },
  TREATY_UNSUPPORTED_MEDIA_TYPE: { status: 415, type: 'invalid_request_error', openaiCode: 'unsupported_media_type' },
  TREATY_NOT_FOUND: { status: 404, type: 'invalid_request_error', openaiCode: 'not_found' },
  TREATY_METHOD_NOT_ALLOWED: { status: 405, type: 'invalid_request_error', openaiCode: 'method_not_allowed' },
  TREATY_MODEL_NOT_FOUND: { status: 404, type: 'invalid_request_error', openaiCode: 'model_not_found' },
  TREATY_UNAUTHORIZED: { status: 401, type: 'invalid_request_error', openaiCode: 'invalid_api_key' },
  TREATY_FORBIDDEN: { status: 403, type: 'permission_error', openaiCode: 'forbidden' },
  TREATY_UNSUPPORTED_PARAMETER: { status: 400, type: 'invalid_request_error', openaiCode: 'unsupported_parameter' },
  TREATY_CONTEXT_LENGTH_EXCEEDED: { status: 400, type: 'invalid_request_error', openaiCode: 'context_length_exceeded' },
  TREATY_CONTENT_FILTERED: { status: 400, type: 'invalid_request_error', openaiCode: 'content_filter' },
  TREATY_RATE_LIMITED: { status: 429, type: 'requests', openaiCode: 'rate_limit_exceeded' },
  TREATY_BUDGET_EXCEEDED: { status: 429, type: 'insufficient_quota', openaiCode: 'insufficient_quota' },
  TREATY_IDEMPOTENCY_IN_FLIGHT: { status: 409, type: 'invalid_request_error', openaiCode: 'idempotency_key_in_flight' },
  TREATY_IDEMPOTENCY_MISMATCH: { status: 422, type: 'invalid_request_error', openaiCode: 'idempotency_key_reused' },
  TREATY_LEDGER_UNAVAILABLE: { status: 503, type: 'service_unavailable_error', openaiCode: 'ledger_unavailable' },
  TREATY_CONTRACT_BLOCKED: { status: 403, type: 'permission_error', openaiCode: 'contract_blocked' },
  TREATY_NO_DEPLOYMENT_AVAILABLE: { status: 503, type: 'service_unavailable_error', openaiCode: 'no_deployment_available' },
  TREATY_UPSTREAM_TIMEOUT: { status: 504, type: 'server_error', openaiCode: 'upstream_timeout' },
  TREATY_UPSTREAM_ERROR: { status: 502, type: 'server_error', openaiCode: 'upstream_error' },
  TREATY_UPSTREAM_STREAM_INTERRUPTED: { status: 502, type: 'server_error', openaiCode: 'stream_interrupted' },
  TREATY_INTERNAL: { status: 500, type: 'server_error', openaiCode: 'internal_error' },
};

export class GatewayError extends Error {
  readonly status: number;
  constructor(
    readonly code: GatewayErrorCode,
    message: string,
    readonly options: {
      param?: string | null;
      retryAfterMs?: number;
      /** Every attempt's failure, for failover aggregates (logged; summarised to clients). */
      attempts?: UpstreamFailure[];
      /** The attempt traces behind this error, so the caller can settle what they cost. */
      traces?: unknown[];
    } = {},
  ) {
    super(message);
    this.name = 'GatewayError';
    this.status = SPECS[code].status;
  }

  /** The OpenAI-shaped body a client receives. */
  toBody(): { error: { message: string; type: string; param: string | null; code: string | null } } {
    const spec = SPECS[this.code];
    return { error: { message: this.message, type: spec.type, param: this.options.param ?? null, code: spec.openaiCode } };
  }
}

export function errorSpec(code: GatewayErrorCode): Readonly<CodeSpec> {
  return SPECS[code];
}

export const invalid = (message: string, param: string | null = null): GatewayError =>
  new GatewayError('TREATY_INVALID_REQUEST', message, { param });
