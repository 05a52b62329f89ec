// Azure's errors on top of the OpenAI table: its {"error":{"code":"429",…}} shape (the code is
// often the status as a string), DeploymentNotFound, the prompt content filter with its
// innererror, and the 429s that mean "shared capacity is short" rather than "your quota".

import { upstreamFailure } from '../../domain/upstream-failure.js';
import { createOpenAIErrorClassifier, type ErrorClassifier } from '../openai-compatible/index.js';
import { retryAfterMsFromHeaders } from '../retry-headers.js';

// More quota will not help with these; go to another deployment (wire doc §b).
const CAPACITY_RE = /high demand|temporarily unable/i;
const RETRY_IN_MESSAGE_RE = /(?:retry after|try again in) (\d+(?:\.\d+)?) seconds?/i;

export function createAzureErrorClassifier(now: () => number): ErrorClassifier {
  const openai = createOpenAIErrorClassifier(now);
  return (status, info, headers) => {
    // In a stream or a 200 there is no HTTP status, but Azure's code often is one.
    const effective = status ?? (info.code !== undefined && /^[45]\d\d$/.test(info.code) ? Number(info.code) : undefined);
    const base = openai(effective, info, headers);
    const extra = { ...base };
    delete (extra as { kind?: unknown }).kind;
    delete (extra as { message?: unknown }).message;
    if (info.code === 'DeploymentNotFound') return upstreamFailure('not_found', info.message, extra);
    if (info.code === 'content_filter' || info.innerCode === 'ResponsibleAIPolicyViolation') return upstreamFailure('content_filter', info.message, extra);
    if (effective !== 429) return base;
    const wait = retryAfterMsFromHeaders(headers, now()) ?? retryFromMessage(info.message);
    if (wait !== undefined) extra.retryAfterMs = wait;
    return upstreamFailure(CAPACITY_RE.test(info.message) ? 'overloaded' : 'rate_limited', info.message, extra);
  };
}

/** Azure's 429 body says "Please retry after N seconds" even when a proxy dropped the headers. */
function retryFromMessage(message: string): number | undefined {
  const m = RETRY_IN_MESSAGE_RE.exec(message);
  return m ? Math.ceil(Number(m[1]) * 1000) : undefined;
}
