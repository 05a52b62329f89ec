// The JSON an answer is made of: the whole chat.completion and the chat.completion.chunk
// frames of a stream, with the dialect's filter results where Azure puts them.

import { randomUUID } from 'node:crypto';
import type { AnswerPlan, EmulatedDeploymentConfig } from '../core/types.js';
import type { WireDialect } from './dialect.js';

export interface AnswerMeta {
  id: string;
  created: number;
  model: string;
}

const FINGERPRINT = 'fp_emulator01';

export function answerMeta(cfg: EmulatedDeploymentConfig): AnswerMeta {
  // randomUUID draws from a cached entropy pool; randomBytes went to the system for every answer.
  return { id: `chatcmpl-${randomUUID().replaceAll('-', '').slice(0, 24)}`, created: Math.floor(Date.now() / 1000), model: cfg.model };
}

export function usageOf(plan: AnswerPlan): Record<string, unknown> {
  return {
    prompt_tokens: plan.promptTokens,
    completion_tokens: plan.completionTokens,
    total_tokens: plan.promptTokens + plan.completionTokens,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}

export function completionBody(meta: AnswerMeta, plan: AnswerPlan, dialect: WireDialect): Record<string, unknown> {
  const message: Record<string, unknown> = plan.toolCall
    ? { role: 'assistant', content: null, refusal: null, tool_calls: [{ id: plan.toolCall.id, type: 'function', function: { name: plan.toolCall.name, arguments: plan.toolCall.arguments } }] }
    : { role: 'assistant', content: plan.tokens.join(''), refusal: null };
  const choice: Record<string, unknown> = { index: 0, message, logprobs: null, finish_reason: plan.finishReason };
  const filter = dialect.choiceFilterResults?.(plan.finishReason === 'content_filter' ? 'finish' : 'content', plan.finishReason);
  if (filter) choice.content_filter_results = filter;
  const body: Record<string, unknown> = { id: meta.id, object: 'chat.completion', created: meta.created, model: meta.model, system_fingerprint: FINGERPRINT, choices: [choice], usage: usageOf(plan) };
  const prompt = dialect.promptFilterResults?.();
  if (prompt) body.prompt_filter_results = prompt;
  return body;
}

export function chunkFrame(meta: AnswerMeta, delta: Record<string, unknown>, finishReason: string | null, filter?: Record<string, unknown>): Record<string, unknown> {
  const choice: Record<string, unknown> = { index: 0, delta, logprobs: null, finish_reason: finishReason };
  if (filter) choice.content_filter_results = filter;
  return { id: meta.id, object: 'chat.completion.chunk', created: meta.created, model: meta.model, system_fingerprint: FINGERPRINT, choices: [choice], usage: null };
}

export function usageFrame(meta: AnswerMeta, plan: AnswerPlan): Record<string, unknown> {
  return { id: meta.id, object: 'chat.completion.chunk', created: meta.created, model: meta.model, system_fingerprint: FINGERPRINT, choices: [], usage: usageOf(plan) };
}

/** Azure's first stream frame: no choices, no identity, only the prompt's filter results. */
export function promptFilterFrame(results: unknown[]): Record<string, unknown> {
  return { choices: [], created: 0, id: '', model: '', object: '', prompt_filter_results: results };
}

/** Splits tool-call arguments into `n` non-empty pieces, as real streams deliver them. */
export function piecesOf(s: string, n: number): string[] {
  const size = Math.max(1, Math.ceil(s.length / n));
  const out: string[] = [];
  for (let i = 0; i < s.length; i += size) out.push(s.slice(i, i + size));
  return out;
}
