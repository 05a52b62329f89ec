// A 2xx chat.completion body → ChatResponse. Errors hidden in a 200 (some servers do that,
// in either error shape) are thrown as failures, never returned as an empty answer.

import type { ChatChoice, ChatResponse } from '../../domain/chat.js';
import { UpstreamFailureError, upstreamFailure } from '../../domain/upstream-failure.js';
import type { HeadWithHeaders } from '../retry-headers.js';
import type { ErrorClassifier } from './classify-error.js';
import { parseErrorBody } from './error-body.js';
import { isRecord, parseJsonBytes } from './json.js';
import { extrasOf, toFinishReason, toToolCalls, toUsage } from './wire-fields.js';
import type { WireChoice, WireCompletion } from './wire-types.js';

const TOP_LEVEL_KNOWN = new Set(['id', 'object', 'created', 'model', 'choices', 'usage', 'system_fingerprint']);
const CHOICE_KNOWN = new Set(['index', 'message', 'finish_reason']);

export function decodeOpenAIChat(head: HeadWithHeaders, body: Uint8Array, classify: ErrorClassifier): ChatResponse {
  const wire = parseOkBody(head, body, classify);
  if (!Array.isArray(wire.choices)) {
    throw new UpstreamFailureError(upstreamFailure('malformed', 'chat completion without a choices array', { status: 200 }));
  }
  const res: ChatResponse = {
    id: typeof wire.id === 'string' ? wire.id : '',
    created: typeof wire.created === 'number' ? wire.created : 0,
    model: typeof wire.model === 'string' ? wire.model : '',
    choices: wire.choices.filter(isRecord).map((c, i) => toChoice(c as WireChoice, i)),
    usage: toUsage(wire.usage),
  };
  if (typeof wire.system_fingerprint === 'string') res.systemFingerprint = wire.system_fingerprint;
  const extra = extrasOf(wire, TOP_LEVEL_KNOWN);
  if (extra) res.extra = extra;
  return res;
}

/**
 * Parses a 2xx JSON body that should be an answer: unparseable → 'malformed', an error object
 * in either shape → the classified failure.
 */
export function parseOkBody(head: HeadWithHeaders, body: Uint8Array, classify: ErrorClassifier): WireCompletion {
  const parsed = parseJsonBytes(body);
  if (!parsed.ok || !isRecord(parsed.value)) {
    throw new UpstreamFailureError(upstreamFailure('malformed', 'upstream sent a 2xx body that is not a JSON object', { status: 200 }));
  }
  const hidden = parseErrorBody(parsed.value, true);
  if (hidden) throw new UpstreamFailureError(classify(undefined, hidden, head.headers));
  return parsed.value as WireCompletion;
}

function toChoice(c: WireChoice, position: number): ChatChoice {
  const msg = isRecord(c.message) ? c.message : {};
  const message: ChatChoice['message'] = { role: 'assistant', content: typeof msg.content === 'string' ? msg.content : null };
  if (typeof msg.refusal === 'string') message.refusal = msg.refusal;
  const calls = toToolCalls(msg.tool_calls);
  if (calls) message.tool_calls = calls;
  const choice: ChatChoice = { index: typeof c.index === 'number' ? c.index : position, message, finishReason: toFinishReason(c.finish_reason) };
  const extra = extrasOf(c, CHOICE_KNOWN);
  if (extra) choice.extra = extra;
  return choice;
}
