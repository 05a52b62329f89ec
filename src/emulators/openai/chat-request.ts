// Reads an OpenAI chat request as far as the engine needs it, and refuses what OpenAI
// refuses (no messages, an unknown role, stream_options without stream).

import type { IncomingMessage } from 'node:http';
import { FAULT_HEADER } from '../core/faults.js';
import type { PlanInput } from '../core/types.js';

export interface ParsedChat {
  /** The body's `model`, if it named one. */
  model: string | undefined;
  stream: boolean;
  includeUsage: boolean;
  /** Everything but `deployment`, which the caller resolves (model name or Azure deployment). */
  input: Omit<PlanInput, 'deployment'>;
}

export type ChatParseResult = { ok: true; chat: ParsedChat } | { ok: false; message: string; param: string | null };

const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool', 'function']);

export function parseChatRequest(body: unknown, req: IncomingMessage): ChatParseResult {
  if (!isRecord(body)) return fail('The request body must be a JSON object.', null);
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length === 0) return fail("'messages' must be a non-empty array.", 'messages');
  for (const [i, m] of messages.entries()) {
    if (!isRecord(m) || typeof m.role !== 'string' || !ROLES.has(m.role)) return fail(`Invalid value for 'messages[${i}].role'.`, `messages[${i}].role`);
  }
  const stream = body.stream === true;
  if (body.stream_options !== undefined && body.stream_options !== null && !stream) {
    return fail("The 'stream_options' parameter is only allowed when 'stream' is enabled.", 'stream_options');
  }
  const maxTokens = numberOr(body.max_completion_tokens) ?? numberOr(body.max_tokens);
  const fault = req.headers[FAULT_HEADER];
  return {
    ok: true,
    chat: {
      model: typeof body.model === 'string' ? body.model : undefined,
      stream,
      includeUsage: stream && isRecord(body.stream_options) && body.stream_options.include_usage === true,
      input: {
        promptText: (messages as Record<string, unknown>[]).map(textOf).join('\n'),
        maxTokens,
        stream,
        tools: toolNames(body.tools),
        toolChoice: toolChoiceOf(body.tool_choice),
        lastIsToolResult: (messages.at(-1) as Record<string, unknown>).role === 'tool',
        faultHeader: Array.isArray(fault) ? fault.join(',') : fault,
        ...((messages.at(-1) as Record<string, unknown>).role === 'assistant' ? { prefill: textOf(messages.at(-1) as Record<string, unknown>) } : {}),
      },
    },
  };
}

function textOf(m: Record<string, unknown>): string {
  if (typeof m.content === 'string') return m.content;
  if (!Array.isArray(m.content)) return '';
  return m.content.map((p: unknown) => (isRecord(p) && typeof p.text === 'string' ? p.text : '')).join('');
}

function toolNames(tools: unknown): string[] {
  if (!Array.isArray(tools)) return [];
  return tools.flatMap((t: unknown) => (isRecord(t) && isRecord(t.function) && typeof t.function.name === 'string' ? [t.function.name] : []));
}

function toolChoiceOf(choice: unknown): string | undefined {
  if (typeof choice === 'string') return choice;
  if (isRecord(choice) && isRecord(choice.function) && typeof choice.function.name === 'string') return choice.function.name;
  return undefined;
}

function numberOr(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function fail(message: string, param: string | null): ChatParseResult {
  return { ok: false, message, param };
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
