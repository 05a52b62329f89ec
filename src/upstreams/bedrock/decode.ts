// Converse JSON → ChatResponse, plus the stop-reason and usage mappings the stream decoder
// shares. Usage the provider did not report stays undefined: the ledger estimates and flags
// it, whereas a zero would silently under-bill.

import { randomUUID } from 'node:crypto';
import type { ChatResponse, FinishReason, ToolCall, Usage } from '../../domain/chat.js';
import { UpstreamFailureError } from '../../domain/upstream-failure.js';
import type { UpstreamResponseHead } from '../adapter.js';
import { isRecord, type ConverseUsage } from './wire-types.js';

const STOP_REASONS: Record<string, FinishReason> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  tool_use: 'tool_calls',
  guardrail_intervened: 'content_filter',
  content_filtered: 'content_filter',
};

/** Unknown stop reasons (the enum grows) finish as 'stop' and carry the raw value along. */
export function mapStopReason(raw: unknown): { finishReason: FinishReason; extra?: Record<string, unknown> } {
  const mapped = typeof raw === 'string' ? STOP_REASONS[raw] : undefined;
  return mapped ? { finishReason: mapped } : { finishReason: 'stop', extra: { stop_reason: raw ?? null } };
}

const count = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined);

/**
 * Bedrock reports cache reads and writes beside `inputTokens`, not inside it, and its
 * `totalTokens` counts them. The canonical promptTokens follows OpenAI (cached tokens are
 * part of the prompt), so prompt = input + cache read + cache write.
 */
export function mapUsage(u: unknown): Usage | undefined {
  if (!isRecord(u)) return undefined;
  const w = u as ConverseUsage;
  const input = count(w.inputTokens);
  const output = count(w.outputTokens);
  if (input === undefined || output === undefined) return undefined;
  const cacheRead = count(w.cacheReadInputTokens);
  const cacheWrite = count(w.cacheWriteInputTokens);
  const prompt = input + (cacheRead ?? 0) + (cacheWrite ?? 0);
  const usage: Usage = { promptTokens: prompt, completionTokens: output, totalTokens: count(w.totalTokens) ?? prompt + output };
  if (cacheRead !== undefined) usage.cachedPromptTokens = cacheRead;
  if (cacheWrite !== undefined) usage.cacheWriteTokens = cacheWrite;
  return usage;
}

export function responseId(head: UpstreamResponseHead): string {
  const h = head.headers['x-amzn-requestid'];
  const id = Array.isArray(h) ? h[0] : h;
  return `chatcmpl-${id ?? randomUUID()}`;
}

function malformed(message: string): UpstreamFailureError {
  return new UpstreamFailureError({ kind: 'malformed', message });
}

export function decodeChat(head: UpstreamResponseHead, bytes: Uint8Array, model: string): ChatResponse {
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw malformed('Bedrock Converse response is not valid JSON');
  }
  const message = isRecord(body) && isRecord(body.output) ? body.output.message : undefined;
  if (!isRecord(body) || !isRecord(message) || !Array.isArray(message.content)) throw malformed('Bedrock Converse response has no output.message.content');

  let text = '';
  let reasoning = '';
  const calls: ToolCall[] = [];
  for (const block of message.content as unknown[]) {
    if (!isRecord(block)) continue;
    if (typeof block.text === 'string') text += block.text;
    else if (isRecord(block.toolUse)) {
      const t = block.toolUse;
      if (typeof t.toolUseId !== 'string' || typeof t.name !== 'string') throw malformed('Bedrock toolUse block without toolUseId or name');
      calls.push({ id: t.toolUseId, type: 'function', function: { name: t.name, arguments: JSON.stringify(t.input ?? {}) } });
    } else if (isRecord(block.reasoningContent) && isRecord(block.reasoningContent.reasoningText)) {
      const r = block.reasoningContent.reasoningText.text;
      if (typeof r === 'string') reasoning += r;
    }
  }
  const stop = mapStopReason(body.stopReason);
  const extra = { ...(stop.extra ?? {}), ...(reasoning ? { reasoning_content: reasoning } : {}) };
  return {
    id: responseId(head),
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: calls.length > 0 && text === '' ? null : text, ...(calls.length > 0 ? { tool_calls: calls } : {}) },
        finishReason: stop.finishReason,
        ...(Object.keys(extra).length > 0 ? { extra } : {}),
      },
    ],
    usage: mapUsage(body.usage),
  };
}
