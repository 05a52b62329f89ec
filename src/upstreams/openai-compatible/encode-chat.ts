// ChatRequest → the OpenAI chat body. The canonical request is the validated OpenAI body, so
// this is mostly a re-serialisation: camelCase back to snake_case, the model swapped for the
// deployment's, and the client's unknown fields (passthrough) forwarded as they came.

import type { ChatRequest } from '../../domain/chat.js';
import { isRecord } from './json.js';

export interface ChatBodyOptions {
  /** The upstream model id (OpenAI, vLLM) or deployment name (Azure). */
  model: string;
  /** Ask for the usage chunk on streams (the ledger needs it even when the client did not). */
  wantUsage: boolean;
  /** Whether the upstream accepts stream_options.include_usage at all. */
  streamUsage: boolean;
  /** The spelling used when the request names none (it came from another API shape). */
  defaultMaxTokensField: 'max_tokens' | 'max_completion_tokens';
}

export function toOpenAIChatBody(req: ChatRequest, opts: ChatBodyOptions): Record<string, unknown> {
  // Passthrough first, so a stray copy of a known field can never override the validated one.
  const body: Record<string, unknown> = { ...req.passthrough, model: opts.model, messages: req.messages };
  if (req.maxTokens !== undefined) body[req.maxTokensField ?? opts.defaultMaxTokensField] = req.maxTokens;
  const optional: [string, unknown][] = [
    ['temperature', req.temperature],
    ['top_p', req.topP],
    ['n', req.n],
    ['stop', req.stop],
    ['presence_penalty', req.presencePenalty],
    ['frequency_penalty', req.frequencyPenalty],
    ['seed', req.seed],
    ['logprobs', req.logprobs],
    ['top_logprobs', req.topLogprobs],
    ['logit_bias', req.logitBias],
    ['tools', req.tools],
    ['tool_choice', req.toolChoice],
    ['parallel_tool_calls', req.parallelToolCalls],
    ['response_format', req.responseFormat],
    ['user', req.user],
  ];
  for (const [key, value] of optional) if (value !== undefined) body[key] = value;
  body.stream = req.stream;
  applyStreamOptions(body, req, opts);
  return body;
}

/** OpenAI rejects stream_options on a non-streaming request, and some servers reject it always. */
function applyStreamOptions(body: Record<string, unknown>, req: ChatRequest, opts: ChatBodyOptions): void {
  const fromClient = isRecord(body.stream_options) ? body.stream_options : {};
  delete body.stream_options;
  if (!req.stream || !opts.streamUsage) return;
  const includeUsage = opts.wantUsage || req.includeUsage;
  const merged = includeUsage ? { ...fromClient, include_usage: true } : fromClient;
  if (Object.keys(merged).length > 0) body.stream_options = merged;
}
