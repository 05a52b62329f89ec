// Field-level translations shared by the whole-body and the streamed decoders: usage,
// finish reasons, tool calls and the "everything else" extras carried through verbatim.

import type { FinishReason, ToolCall, ToolCallDelta, Usage } from '../../domain/chat.js';
import { isRecord } from './json.js';
import type { WireToolCall, WireUsage } from './wire-types.js';

/**
 * Usage as reported, or undefined when the upstream did not report it. Never zero-filled:
 * a missing count is unknown, and the ledger estimates and flags it (design habit 8).
 */
export function toUsage(u: WireUsage | null | undefined): Usage | undefined {
  if (!isRecord(u)) return undefined;
  return fromRecord(u as WireUsage);
}

function fromRecord(u: WireUsage): Usage | undefined {
  const prompt = u.prompt_tokens;
  const completion = u.completion_tokens;
  if (!isCount(prompt) || !isCount(completion)) return undefined;
  // The total is derived, not defaulted: it follows from the two reported counts.
  const usage: Usage = { promptTokens: prompt, completionTokens: completion, totalTokens: isCount(u.total_tokens) ? u.total_tokens : prompt + completion };
  const cached = u.prompt_tokens_details?.cached_tokens;
  if (isCount(cached)) usage.cachedPromptTokens = cached;
  const reasoning = u.completion_tokens_details?.reasoning_tokens;
  if (isCount(reasoning)) usage.reasoningTokens = reasoning;
  return usage;
}

const FINISH: Record<string, FinishReason> = {
  stop: 'stop',
  length: 'length',
  tool_calls: 'tool_calls',
  content_filter: 'content_filter',
  function_call: 'function_call',
  // Spellings seen from OpenAI-compatible servers that mean the same thing.
  eos: 'stop',
  eos_token: 'stop',
  stop_sequence: 'stop',
  end_turn: 'stop',
  max_tokens: 'length',
  tool_call: 'tool_calls',
};

/** null while the choice is still going; unknown values count as 'stop' (tolerate new enums). */
export function toFinishReason(raw: unknown): FinishReason | null {
  if (typeof raw !== 'string' || raw === '') return null;
  return FINISH[raw] ?? 'stop';
}

export function toToolCalls(raw: unknown): ToolCall[] | undefined {
  if (!Array.isArray(raw) || raw.length === 0) return undefined;
  return (raw as WireToolCall[]).map((c, i) => ({
    id: typeof c.id === 'string' ? c.id : `call_${i}`,
    type: 'function',
    function: {
      name: typeof c.function?.name === 'string' ? c.function.name : '',
      arguments: stringArguments(c.function?.arguments),
    },
  }));
}

export function toToolCallDeltas(raw: unknown): ToolCallDelta[] | undefined {
  if (!Array.isArray(raw) || raw.length === 0) return undefined;
  return (raw as WireToolCall[]).map((c, i) => {
    const d: ToolCallDelta = { index: typeof c.index === 'number' ? c.index : i };
    if (typeof c.id === 'string') d.id = c.id;
    if (c.type === 'function') d.type = 'function';
    const fn: { name?: string; arguments?: string } = {};
    if (typeof c.function?.name === 'string') fn.name = c.function.name;
    if (typeof c.function?.arguments === 'string') fn.arguments = c.function.arguments;
    if (fn.name !== undefined || fn.arguments !== undefined) d.function = fn;
    return d;
  });
}

/** Some compatible servers send arguments as an object; the canonical form is a JSON string. */
function stringArguments(a: unknown): string {
  if (typeof a === 'string') return a;
  return a === undefined || a === null ? '' : JSON.stringify(a);
}

/** The fields of `obj` other than `known`, without nulls; undefined when nothing is left. */
export function extrasOf(obj: Record<string, unknown>, known: ReadonlySet<string>): Record<string, unknown> | undefined {
  let out: Record<string, unknown> | undefined;
  // for…in, not Object.entries: no pair arrays per field (this runs on every streamed chunk).
  // The objects come from JSON.parse, so every enumerable key is an own key.
  for (const k in obj) {
    if (known.has(k)) continue;
    const v = obj[k];
    if (v === null || v === undefined) continue;
    (out ??= {})[k] = v;
  }
  return out;
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}
