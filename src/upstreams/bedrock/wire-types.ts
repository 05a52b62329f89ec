// The slice of the Converse wire format this adapter reads and writes. Only the fields we
// use are typed; everything read from the wire is treated as untrusted and checked.

export interface ConverseText {
  text: string;
}
export interface ConverseImage {
  image: { format: 'png' | 'jpeg' | 'gif' | 'webp'; source: { bytes: string } };
}
export interface ConverseToolUse {
  toolUse: { toolUseId: string; name: string; input: unknown };
}
export interface ConverseToolResult {
  toolResult: { toolUseId: string; content: ({ json: unknown } | ConverseText)[] };
}
export type ConverseBlock = ConverseText | ConverseImage | ConverseToolUse | ConverseToolResult;

export interface ConverseMessage {
  role: 'user' | 'assistant';
  content: ConverseBlock[];
}

export interface ConverseToolConfig {
  tools: { toolSpec: { name: string; description?: string; inputSchema: { json: Record<string, unknown> } } }[];
  toolChoice?: { auto: Record<string, never> } | { any: Record<string, never> } | { tool: { name: string } };
}

export interface ConverseRequestBody {
  messages: ConverseMessage[];
  system?: ConverseText[];
  inferenceConfig?: { maxTokens?: number; temperature?: number; topP?: number; stopSequences?: string[] };
  toolConfig?: ConverseToolConfig;
}

/** Converse `usage` as the wire carries it; any field may be missing. */
export interface ConverseUsage {
  inputTokens?: unknown;
  outputTokens?: unknown;
  totalTokens?: unknown;
  cacheReadInputTokens?: unknown;
  cacheWriteInputTokens?: unknown;
}

export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
