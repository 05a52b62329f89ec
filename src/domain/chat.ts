// The canonical chat types. The downstream API is OpenAI's, so the canonical request is the
// validated OpenAI body; adapters translate it into their own wire format at the edge.

export type Role = 'system' | 'developer' | 'user' | 'assistant' | 'tool';

export interface TextPart {
  type: 'text';
  text: string;
}
export interface ImagePart {
  type: 'image_url';
  image_url: { url: string; detail?: string };
}
export type ContentPart = TextPart | ImagePart;

export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface ChatMessage {
  role: Role;
  content: string | ContentPart[] | null;
  name?: string;
  tool_calls?: ToolCall[];
  tool_call_id?: string;
}

export interface ToolDefinition {
  type: 'function';
  function: { name: string; description?: string; parameters?: Record<string, unknown>; strict?: boolean };
}

export type ToolChoice = 'none' | 'auto' | 'required' | { type: 'function'; function: { name: string } };

export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; json_schema: { name: string; schema?: Record<string, unknown>; strict?: boolean; description?: string } };

/**
 * A validated OpenAI chat request. `model` is the public model name the client asked for;
 * the adapter replaces it with the deployment's upstream model id. Fields Treaty does not
 * interpret are kept in `passthrough` so OpenAI-compatible upstreams still receive them.
 */
export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  stream: boolean;
  /** The client asked for the usage chunk (stream_options.include_usage). */
  includeUsage: boolean;
  maxTokens?: number;
  /** Which of the two spellings the client used, so OpenAI-compatible upstreams get the same. */
  maxTokensField?: 'max_tokens' | 'max_completion_tokens';
  temperature?: number;
  topP?: number;
  n?: number;
  stop?: string[];
  presencePenalty?: number;
  frequencyPenalty?: number;
  seed?: number;
  logprobs?: boolean;
  topLogprobs?: number;
  logitBias?: Record<string, number>;
  tools?: ToolDefinition[];
  toolChoice?: ToolChoice;
  parallelToolCalls?: boolean;
  responseFormat?: ResponseFormat;
  user?: string;
  /** Other top-level fields, forwarded verbatim to OpenAI-shaped upstreams only. */
  passthrough: Record<string, unknown>;
}

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'function_call';

/**
 * Token usage as the provider reported it. A field that the provider did not report is
 * absent, never zero: `undefined` means "unknown", and the ledger estimates and flags it.
 */
export interface Usage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  cachedPromptTokens?: number;
  cacheWriteTokens?: number;
  reasoningTokens?: number;
}

export interface ChatChoice {
  index: number;
  message: {
    role: 'assistant';
    content: string | null;
    refusal?: string | null;
    tool_calls?: ToolCall[];
  };
  finishReason: FinishReason | null;
  /** Provider extras carried through verbatim (e.g. content_filter_results, logprobs). */
  extra?: Record<string, unknown>;
}

export interface ChatResponse {
  id: string;
  created: number;
  /** The upstream model that served. */
  model: string;
  choices: ChatChoice[];
  usage: Usage | undefined;
  systemFingerprint?: string;
  /** Top-level provider extras carried through verbatim (e.g. prompt_filter_results). */
  extra?: Record<string, unknown>;
}

export interface ToolCallDelta {
  index: number;
  id?: string;
  type?: 'function';
  function?: { name?: string; arguments?: string };
}

/**
 * One typed event of a streamed answer. Adapters turn their wire framing into these; the
 * downstream writer turns them into OpenAI chunks. Nothing re-parses strings in between.
 */
export type StreamEvent =
  | {
      kind: 'delta';
      choiceIndex: number;
      role?: 'assistant';
      content?: string;
      refusal?: string;
      toolCalls?: ToolCallDelta[];
      /** Per-choice provider extras (e.g. content_filter_results, logprobs). */
      extra?: Record<string, unknown>;
    }
  | { kind: 'finish'; choiceIndex: number; finishReason: FinishReason; extra?: Record<string, unknown> }
  | { kind: 'usage'; usage: Usage }
  /** Chunk-level extras with no choice (e.g. a provider's prompt content-filter frame). */
  | { kind: 'meta'; extra: Record<string, unknown> }
  /** The upstream model id and response id, when the wire carries them. */
  | { kind: 'identity'; id?: string; model?: string; created?: number };

export interface EmbeddingsRequest {
  model: string;
  input: string | string[] | number[] | number[][];
  encodingFormat?: 'float' | 'base64';
  dimensions?: number;
  user?: string;
}

export interface EmbeddingsResponse {
  model: string;
  /** Always float vectors in the core; base64 encoding is applied at the downstream edge. */
  data: { index: number; embedding: number[] }[];
  usage: { promptTokens: number; totalTokens: number } | undefined;
}
