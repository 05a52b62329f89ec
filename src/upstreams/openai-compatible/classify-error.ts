// Maps an OpenAI-shaped error onto Treaty's failure kinds. The same table serves non-2xx
// responses (with a status) and errors that arrive inside a 200 or a stream (without one).

import { upstreamFailure, type FailureKind, type UpstreamFailure } from '../../domain/upstream-failure.js';
import { retryAfterMsFromHeaders, type HeaderBag } from '../retry-headers.js';
import type { WireErrorInfo } from './wire-types.js';

/**
 * Classifies one error. `status` is undefined for an error that came inside a 200 body or a
 * stream frame. Azure wraps this with its own overrides (see azure-openai/classify-error.ts).
 */
export type ErrorClassifier = (status: number | undefined, info: WireErrorInfo, headers: HeaderBag) => UpstreamFailure;

// vLLM, SGLang, TGI and llama.cpp each word "prompt too long" differently, often with code null.
const CONTEXT_LENGTH_RE = /maximum context length|context length|context window|too many tokens|prompt is too long/i;

export function createOpenAIErrorClassifier(now: () => number): ErrorClassifier {
  return (status, info, headers) => {
    // vLLM's legacy shape puts the status in `code`; an in-band error may carry one too.
    const effective = status ?? (info.numericCode !== undefined && info.numericCode >= 400 && info.numericCode < 600 ? info.numericCode : undefined);
    const kind = effective === undefined ? kindWithoutStatus(info) : kindForStatus(effective, info);
    const extra: Partial<UpstreamFailure> = {};
    if (effective !== undefined) extra.status = effective;
    const providerCode = info.code ?? info.type;
    if (providerCode !== undefined) extra.providerCode = providerCode;
    if (kind === 'rate_limited' || kind === 'overloaded') {
      const wait = retryAfterMsFromHeaders(headers, now());
      if (wait !== undefined) extra.retryAfterMs = wait;
    }
    return upstreamFailure(kind, info.message, extra);
  };
}

export function kindForStatus(status: number, info: WireErrorInfo): FailureKind {
  if (status === 400 || status === 422) {
    if (isContextLength(info)) return 'context_length';
    if (isContentFilter(info)) return 'content_filter';
    return 'bad_request';
  }
  if (status === 401 || status === 403) return 'auth';
  if (status === 404) return 'not_found';
  if (status === 408) return 'timeout';
  if (status === 429) return isQuota(info) ? 'quota_exhausted' : 'rate_limited';
  if (status === 503 || status === 529) return 'overloaded';
  if (status >= 500) return 'server_error';
  return 'bad_request';
}

/** An error inside a 200 or a stream: only its words tell what happened. */
function kindWithoutStatus(info: WireErrorInfo): FailureKind {
  const words = `${info.type ?? ''} ${info.code ?? ''}`.toLowerCase();
  if (isQuota(info)) return 'quota_exhausted';
  if (/rate_limit|^requests |^tokens /.test(words)) return 'rate_limited';
  if (isContextLength(info)) return 'context_length';
  if (isContentFilter(info)) return 'content_filter';
  if (/overloaded|unavailable/.test(words)) return 'overloaded';
  if (/timeout/.test(words)) return 'timeout';
  return 'server_error';
}

function isContextLength(info: WireErrorInfo): boolean {
  return info.code === 'context_length_exceeded' || CONTEXT_LENGTH_RE.test(info.message);
}

function isContentFilter(info: WireErrorInfo): boolean {
  // OpenAI words a flagged prompt as code invalid_prompt ("…flagged as potentially violating
  // our usage policy"); Azure and our emulators say content_filter.
  return info.code === 'content_filter' || (info.code === 'invalid_prompt' && /flagged|usage policy/i.test(info.message));
}

function isQuota(info: WireErrorInfo): boolean {
  return info.type === 'insufficient_quota' || info.code === 'insufficient_quota';
}
