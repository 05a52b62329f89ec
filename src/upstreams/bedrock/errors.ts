// Bedrock errors → provider-neutral failure kinds. The exception name comes from the
// x-amzn-ErrorType header (text before the first ':'), else from the body's __type or code
// (minus any `ns#` prefix), as the AWS SDK parsers do. Two failures share 429
// (ThrottlingException and ModelNotReadyException), so the name decides, not the status.

import type { FailureKind, UpstreamFailure } from '../../domain/upstream-failure.js';
import type { UpstreamResponseHead } from '../adapter.js';
import { isRecord } from './wire-types.js';

const BY_EXCEPTION: Record<string, FailureKind> = {
  ValidationException: 'bad_request',
  ServiceQuotaExceededException: 'quota_exhausted',
  AccessDeniedException: 'auth',
  UnrecognizedClientException: 'auth',
  InvalidSignatureException: 'auth',
  IncompleteSignatureException: 'auth',
  MissingAuthenticationTokenException: 'auth',
  ExpiredTokenException: 'auth',
  ResourceNotFoundException: 'not_found',
  ModelTimeoutException: 'model_error',
  ModelErrorException: 'model_error',
  ModelStreamErrorException: 'model_error',
  ThrottlingException: 'rate_limited',
  ModelNotReadyException: 'overloaded',
  InternalServerException: 'server_error',
  ServiceUnavailableException: 'overloaded',
};

/** In-stream `:exception-type` values are the union member names, in lowerCamelCase. */
export function streamExceptionKind(exceptionType: string): FailureKind {
  const name = exceptionType.charAt(0).toUpperCase() + exceptionType.slice(1);
  const kind = BY_EXCEPTION[name];
  // A validation failure after the 200 is still the request's fault; anything unknown is the server's.
  return kind ?? 'server_error';
}

// Bedrock phrases these as ValidationException; the message is all that tells them apart.
const CONTEXT_LENGTH = /too long|context window|context length|input length|exceeds? (the )?(maximum|max) (number of )?(input|context|prompt)/i;
const CONTENT_FILTER = /content filter|blocked by|guardrail/i;

/** Provider messages may echo ARNs, account ids or key ids; none of it may reach logs or clients. Capped at 500 chars. */
export function scrub(message: string): string {
  return message
    .slice(0, 500)
    .replace(/arn:aws[^\s"]*/g, '[arn]')
    .replace(/\b\d{12}\b/g, '[account]')
    .replace(/\b(AKIA|ASIA)[0-9A-Z]{12,}\b/g, '[access-key]');
}

function exceptionName(head: UpstreamResponseHead, body: Record<string, unknown> | undefined): string | undefined {
  const header = head.headers['x-amzn-errortype'];
  const raw = (Array.isArray(header) ? header[0] : header) ?? (typeof body?.__type === 'string' ? body.__type : undefined) ?? (typeof body?.code === 'string' ? body.code : undefined);
  if (!raw) return undefined;
  const name = raw.split(':')[0]!;
  return name.slice(name.lastIndexOf('#') + 1) || undefined;
}

function parseBody(bytes: Uint8Array): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.from(bytes).toString('utf8'));
    return isRecord(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

export function decodeError(head: UpstreamResponseHead, bytes: Uint8Array): UpstreamFailure {
  const body = parseBody(bytes);
  const name = exceptionName(head, body);
  const rawMessage = typeof body?.message === 'string' ? body.message : typeof body?.Message === 'string' ? body.Message : '';
  const message = scrub(rawMessage) || `HTTP ${head.status}${name ? ` ${name}` : ''}`;
  let kind: FailureKind | undefined = name ? BY_EXCEPTION[name] : undefined;
  if (kind === 'bad_request' && CONTEXT_LENGTH.test(rawMessage)) kind = 'context_length';
  else if (kind === 'bad_request' && CONTENT_FILTER.test(rawMessage)) kind = 'content_filter';
  kind ??= head.status >= 500 ? 'server_error' : head.status === 429 ? 'rate_limited' : 'bad_request';
  // Bedrock sends no Retry-After; the retry schedule is ours, so retryAfterMs stays unset.
  return { kind, status: head.status, message, ...(name ? { providerCode: name } : {}) };
}
