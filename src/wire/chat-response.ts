// Renders canonical chat results as OpenAI JSON: the whole completion, and the chunks of a
// stream. Every chunk of one stream shares id, created and model.

import type { ChatResponse, StreamEvent, Usage } from '../domain/chat.js';

export function renderUsage(u: Usage): Record<string, unknown> {
  const out: Record<string, unknown> = { prompt_tokens: u.promptTokens, completion_tokens: u.completionTokens, total_tokens: u.totalTokens };
  if (u.cachedPromptTokens !== undefined) out.prompt_tokens_details = { cached_tokens: u.cachedPromptTokens };
  if (u.reasoningTokens !== undefined) out.completion_tokens_details = { reasoning_tokens: u.reasoningTokens };
  return out;
}

export function renderChatResponse(r: ChatResponse): Record<string, unknown> {
  return {
    id: r.id,
    object: 'chat.completion',
    created: r.created,
    model: r.model,
    ...(r.systemFingerprint ? { system_fingerprint: r.systemFingerprint } : {}),
    choices: r.choices.map((c) => ({
      index: c.index,
      message: {
        role: 'assistant',
        content: c.message.content,
        refusal: c.message.refusal ?? null,
        ...(c.message.tool_calls?.length ? { tool_calls: c.message.tool_calls } : {}),
      },
      logprobs: null,
      finish_reason: c.finishReason,
      ...c.extra,
    })),
    // Absent usage stays absent: a zero here would be a lie finance cannot detect.
    ...(r.usage ? { usage: renderUsage(r.usage) } : {}),
    ...r.extra,
  };
}

/** Builds chunk JSON for one downstream stream. */
export class ChunkRenderer {
  constructor(
    private id: string,
    private model: string,
    private readonly created: number,
  ) {}

  private locked = false;
  /** `{"id":…,"object":…,"created":…,"model":…,"choices":[`, serialised once the identity is fixed. */
  private head: string | undefined;

  /** Adopt the upstream's id/model, unless a chunk already went out: every chunk must agree. */
  identify(id: string | undefined, model: string | undefined): void {
    if (this.locked) return;
    if (id) this.id = id;
    if (model) this.model = model;
  }

  get modelName(): string {
    return this.model;
  }

  /** JSON for one event, or undefined for events that do not become a chunk (usage is separate). */
  render(e: StreamEvent): string | undefined {
    if (e.kind !== 'usage' && e.kind !== 'identity') this.locked = true;
    switch (e.kind) {
      case 'delta': {
        // Most chunks carry only text: serialise that without building the objects (same bytes).
        if (e.content !== undefined && !e.role && e.refusal === undefined && !e.toolCalls && !e.extra) {
          return `${this.prefix()}{"index":${e.choiceIndex},"delta":{"content":${JSON.stringify(e.content)}},"logprobs":null,"finish_reason":null}]}`;
        }
        const delta: Record<string, unknown> = {};
        if (e.role) delta.role = e.role;
        if (e.content !== undefined) delta.content = e.content;
        if (e.refusal !== undefined) delta.refusal = e.refusal;
        if (e.toolCalls) delta.tool_calls = e.toolCalls;
        return this.chunk({ index: e.choiceIndex, delta, logprobs: null, finish_reason: null, ...e.extra });
      }
      case 'finish':
        return this.chunk({ index: e.choiceIndex, delta: {}, logprobs: null, finish_reason: e.finishReason, ...e.extra });
      case 'meta':
        return JSON.stringify({ id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model, choices: [], ...e.extra });
      case 'usage':
      case 'identity':
        return undefined;
    }
  }

  renderUsage(u: Usage): string {
    return JSON.stringify({ id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model, choices: [], usage: renderUsage(u) });
  }

  private prefix(): string {
    return (this.head ??= `{"id":${JSON.stringify(this.id)},"object":"chat.completion.chunk","created":${JSON.stringify(this.created)},"model":${JSON.stringify(this.model)},"choices":[`);
  }

  private chunk(choice: Record<string, unknown>): string {
    return `${this.prefix()}${JSON.stringify(choice)}]}`;
  }
}
