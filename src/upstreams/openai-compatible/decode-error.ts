// A non-2xx response → one classified UpstreamFailure, whatever the body looks like.

import type { UpstreamFailure } from '../../domain/upstream-failure.js';
import type { UpstreamResponseHead } from '../adapter.js';
import type { ErrorClassifier } from './classify-error.js';
import { errorFromText, parseErrorBody } from './error-body.js';
import { parseJsonBytes } from './json.js';

export function decodeOpenAIError(head: UpstreamResponseHead, body: Uint8Array, classify: ErrorClassifier): UpstreamFailure {
  const parsed = parseJsonBytes(body);
  const info = (parsed.ok ? parseErrorBody(parsed.value) : undefined) ?? errorFromText(parsed.text, head.status);
  const failure = classify(head.status, info, head.headers);
  // The HTTP status is the fact; a numeric code inside the body never overrides it.
  return { ...failure, status: head.status };
}
