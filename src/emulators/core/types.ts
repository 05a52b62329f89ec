// The provider-neutral heart of the emulated clouds: what a deployment can do, which faults
// can be injected, and what each attempt looked like. Wire modules (one per provider) turn a
// Plan into that provider's real HTTP responses and frames.

export type EmulatedProvider = 'openai' | 'azure' | 'bedrock';

export interface EmulatedDeploymentConfig {
  /** Deployment name (Azure), model id (Bedrock, OpenAI-compatible). Unique per cloud. */
  name: string;
  /** Model name reported in responses. */
  model: string;
  ttftMs: number;
  tokensPerSec: number;
  /** Max concurrent requests; beyond it → 429. 0 = unlimited. */
  maxConcurrency: number;
  /** Requests per minute; 0 = unlimited. */
  rpm: number;
  /** Tokens (prompt + max output) per minute; 0 = unlimited. */
  tpm: number;
  contextWindow: number;
  /** Default max output tokens when the request names none. */
  defaultMaxTokens: number;
  /** Provisioned (PTU-like): limited by utilisation, 429s fail fast with retry-after-ms. */
  provisioned: boolean;
  embeddings: boolean;
  /** vLLM before 0.10.1 returned a top-level error object with a numeric code. */
  legacyErrorShape: boolean;
  /** Standing faults, applied to every request until cleared (admin call or config). */
  faults: FaultSpec[];
}

export type FaultName =
  | 'rate_limit' // 429 with the provider's retry headers
  | 'rate_limit_no_retry_after' // 429 with no retry headers at all
  | 'server_error' // 500
  | 'unavailable' // 503
  | 'reset' // connection destroyed before response headers
  | 'hang' // accept the request and never answer
  | 'slow_first_token' // wait `ms` before the first token
  | 'cut_after' // stream: destroy the connection after `tokens` tokens
  | 'stall_after' // stream: stop sending (connection open) after `tokens` tokens
  | 'malformed_chunk' // stream: one unparseable chunk after `tokens` tokens (then continue)
  | 'malformed_first' // stream: the very first chunk is unparseable
  | 'no_done' // stream: complete answer but no terminator ([DONE])
  | 'context_length' // 400 context_length_exceeded (or the provider's equivalent)
  | 'content_filter' // prompt rejected by a content filter (400)
  | 'content_filter_completion' // 200 with finish_reason content_filter
  | 'stream_error' // stream: an error event/exception frame after `tokens` tokens (default 0)
  | 'auth'; // 401/403 as if our credentials were wrong

export interface FaultSpec {
  fault: FaultName;
  /** Tokens before a mid-stream fault fires. */
  tokens?: number;
  /** Delay for slow_first_token; retry-after for rate_limit. */
  ms?: number;
  /** Apply to this many requests, then clear itself; absent = until cleared. */
  count?: number;
}

export interface AnswerPlan {
  type: 'answer';
  /** Text pieces, one per token, in order. Empty when the answer is a tool call. */
  tokens: string[];
  toolCall?: { id: string; name: string; arguments: string };
  promptTokens: number;
  completionTokens: number;
  finishReason: 'stop' | 'length' | 'tool_calls' | 'content_filter';
  ttftMs: number;
  interTokenMs: number;
  cutAfter?: number;
  stallAfter?: number;
  malformedAfter?: number;
  malformedFirst?: boolean;
  streamErrorAfter?: number;
  omitTerminator?: boolean;
}

export type ErrorPlan = {
  type: 'error';
  error: 'rate_limit' | 'server_error' | 'unavailable' | 'context_length' | 'content_filter' | 'auth' | 'not_found';
  /** For rate_limit: suggested wait; undefined = send no retry headers. */
  retryAfterMs?: number;
  message: string;
};

export type Plan = AnswerPlan | ErrorPlan | { type: 'reset' } | { type: 'hang' };

/** What the wire module could read of the request, provider-neutral. */
export interface PlanInput {
  deployment: string;
  /** Concatenated text of all messages, used for deterministic generation and token counts. */
  promptText: string;
  maxTokens: number | undefined;
  stream: boolean;
  /** Tool names offered, if any. */
  tools: string[];
  /** 'none' | 'auto' | 'required' | a tool name. */
  toolChoice: string | undefined;
  /** The last message is a tool result (so answer in text). */
  lastIsToolResult: boolean;
  /** The per-request fault header value, if any. */
  faultHeader: string | undefined;
  /** Text of a trailing assistant message: the model is asked to continue it (a prefill). */
  prefill?: string;
}

export type AttemptOutcome =
  | 'ok'
  | 'error'
  | 'reset'
  | 'hang'
  | 'cut'
  | 'stalled'
  | 'aborted' // the client (Treaty) closed the connection before the answer completed
  | 'rejected'; // auth / signature / routing errors before any plan

export interface AttemptRecord {
  seq: number;
  provider: EmulatedProvider;
  deployment: string;
  stream: boolean;
  startedAt: number;
  endedAt?: number;
  status?: number;
  outcome?: AttemptOutcome;
  fault?: FaultName;
  promptTokens?: number;
  /** Completion tokens actually sent before the attempt ended. */
  completionTokensSent: number;
  requestId?: string;
  /** The prefill the request carried, logged so tests can see what a continuation was sent. */
  prefill?: string;
}
