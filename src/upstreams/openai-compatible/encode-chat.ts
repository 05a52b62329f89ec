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
  // Field by field rather than a table of pairs: this runs on every request.
  if (req.temperature !== undefined) body.temperature = req.temperature;
  if (req.topP !== undefined) body.top_p = req.topP;
  if (req.n !== undefined) body.n = req.n;
  if (req.stop !== undefined) body.stop = req.stop;
  if (req.presencePenalty !== undefined) body.presence_penalty = req.presencePenalty;
  if (req.frequencyPenalty !== undefined) body.frequency_penalty = req.frequencyPenalty;
  if (req.seed !== undefined) body.seed = req.seed;
  if (req.logprobs !== undefined) body.logprobs = req.logprobs;
  if (req.topLogprobs !== undefined) body.top_logprobs = req.topLogprobs;
  if (req.logitBias !== undefined) body.logit_bias = req.logitBias;
  if (req.tools !== undefined) body.tools = req.tools;
  if (req.toolChoice !== undefined) body.tool_choice = req.toolChoice;
  if (req.parallelToolCalls !== undefined) body.parallel_tool_calls = req.parallelToolCalls;
  if (req.responseFormat !== undefined) body.response_format = req.responseFormat;
  if (req.user !== undefined) body.user = req.user;
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
