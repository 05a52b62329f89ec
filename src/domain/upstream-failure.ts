// What went wrong on one upstream attempt, in provider-neutral words. Each adapter maps its
// provider's statuses, error codes, exception types and in-stream error events onto these
// kinds; the retry decision is then made once, from the kind, in routing/classification.

export type FailureKind =
  /** Per-deployment quota or throttling: wait (retry-after) or go elsewhere. */
  | 'rate_limited'
  /** Shared capacity short / overloaded / model not ready: go elsewhere. */
  | 'overloaded'
  /** 5xx from the upstream. */
  | 'server_error'
  /** The upstream model itself failed or timed out (e.g. a model error behind a 424/408). */
  | 'model_error'
  /** Could not connect, or the connection was reset before a response. */
  | 'connect'
  /** No response headers / first token / next chunk in time. */
  | 'timeout'
  /** The stream broke after it started (cut, stall, error event mid-stream). */
  | 'stream_interrupted'
  /** The upstream sent bytes we cannot parse. */
  | 'malformed'
  /** The prompt is longer than the deployment's context window. */
  | 'context_length'
  /** A content filter rejected the prompt (the completion-side filter is a 200). */
  | 'content_filter'
  /** Our credentials for this deployment are wrong or lack access. */
  | 'auth'
  /** The deployment or model does not exist upstream. */
  | 'not_found'
  /** The account's quota is exhausted (billing), not a momentary rate limit. */
  | 'quota_exhausted'
  /** The request itself is invalid for this upstream. */
  | 'bad_request';

export interface UpstreamFailure {
  kind: FailureKind;
  /** HTTP status the upstream sent, when there was one. */
  status?: number;
  /** The provider's own error code or exception name, for logs and the ledger. */
  providerCode?: string;
  /** The provider's message, already scrubbed of secrets by the adapter. */
  message: string;
  /** How long the upstream asked us to wait, from retry-after-ms / retry-after / reset headers. */
  retryAfterMs?: number;
  /** Whether any bytes of an answer had been received from the upstream. */
  midStream?: boolean;
}

export function upstreamFailure(kind: FailureKind, message: string, extra: Partial<UpstreamFailure> = {}): UpstreamFailure {
  return { kind, message, ...extra };
}

/** Thrown by adapters' stream decoders when the stream fails; carries the classified failure. */
export class UpstreamFailureError extends Error {
  constructor(readonly failure: UpstreamFailure) {
    super(failure.message);
    this.name = 'UpstreamFailureError';
  }
}
