// The OpenAI chat/embeddings wire as it arrives from an upstream. Every field is optional and
// loosely typed on purpose: the bytes are untrusted, and OpenAI-compatible servers (vLLM,
// SGLang, Azure) each leave out or add different fields. Decoders check before they read.

export interface WireUsage {
  prompt_tokens?: unknown;
  completion_tokens?: unknown;
  total_tokens?: unknown;
  prompt_tokens_details?: { cached_tokens?: unknown } | null;
  completion_tokens_details?: { reasoning_tokens?: unknown } | null;
}

export interface WireToolCall {
  index?: unknown;
  id?: unknown;
  type?: unknown;
  function?: { name?: unknown; arguments?: unknown } | null;
}

export interface WireMessage {
  role?: unknown;
  content?: unknown;
  refusal?: unknown;
  tool_calls?: WireToolCall[] | null;
}

export interface WireChoice extends Record<string, unknown> {
  index?: unknown;
  message?: WireMessage | null;
  delta?: WireMessage | null;
  finish_reason?: unknown;
}

/** A chat.completion body or a chat.completion.chunk. */
export interface WireCompletion extends Record<string, unknown> {
  id?: unknown;
  created?: unknown;
  model?: unknown;
  system_fingerprint?: unknown;
  choices?: WireChoice[] | null;
  usage?: WireUsage | null;
}

export interface WireEmbeddings {
  model?: unknown;
  data?: { index?: unknown; embedding?: unknown }[] | null;
  usage?: { prompt_tokens?: unknown; total_tokens?: unknown } | null;
}

/** One error, whichever of the shapes it came in (see error-body.ts). */
export interface WireErrorInfo {
  message: string;
  type?: string;
  /** The string `code` (OpenAI, Azure: 'context_length_exceeded', '429', 'DeploymentNotFound'). */
  code?: string;
  /** vLLM's legacy top-level shape carries the HTTP status as a numeric `code`. */
  numericCode?: number;
  param?: string;
  /** Azure's innererror.code, e.g. 'ResponsibleAIPolicyViolation'. */
  innerCode?: string;
}
