// Turns an answer plan into timed events for a streaming wire module: the first token after
// ttft, then one token per inter-token interval, with mid-stream faults at their positions.

import { setTimeout as sleep } from 'node:timers/promises';
import type { AnswerPlan } from './types.js';

export type PacedEvent =
  | { type: 'token'; index: number; text: string }
  | { type: 'tool_call'; id: string; name: string; arguments: string }
  /** Emit one unparseable chunk, then carry on. */
  | { type: 'malformed' }
  /** Destroy the connection now. */
  | { type: 'cut' }
  /** Stop sending but keep the connection open until the peer goes away. */
  | { type: 'stall' }
  /** Emit the provider's in-stream error event and end. */
  | { type: 'stream_error' }
  /** The answer is complete: send finish, usage and (unless omitted) the terminator. */
  | { type: 'end' };

/** Resolves when `signal` aborts; used to keep a stalled or hung response open. */
export function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

export async function* pace(plan: AnswerPlan, signal: AbortSignal): AsyncGenerator<PacedEvent> {
  if (plan.ttftMs > 0) await sleep(plan.ttftMs, undefined, { signal }).catch(() => undefined);
  if (signal.aborted) return;
  if (plan.malformedFirst) yield { type: 'malformed' };
  if (plan.streamErrorAfter === 0) {
    yield { type: 'stream_error' };
    return;
  }
  if (plan.toolCall) {
    yield { type: 'tool_call', ...plan.toolCall };
    yield { type: 'end' };
    return;
  }
  for (let i = 0; i < plan.tokens.length; i++) {
    if (i > 0 && plan.interTokenMs > 0) await sleep(plan.interTokenMs, undefined, { signal }).catch(() => undefined);
    if (signal.aborted) return;
    if (plan.cutAfter === i) return yield { type: 'cut' };
    if (plan.stallAfter === i) return yield { type: 'stall' };
    if (plan.streamErrorAfter === i) return yield { type: 'stream_error' };
    if (plan.malformedAfter === i) yield { type: 'malformed' };
    yield { type: 'token', index: i, text: plan.tokens[i]! };
  }
  if (plan.cutAfter !== undefined && plan.cutAfter >= plan.tokens.length) return yield { type: 'cut' };
  if (plan.stallAfter !== undefined && plan.stallAfter >= plan.tokens.length) return yield { type: 'stall' };
  if (plan.streamErrorAfter !== undefined && plan.streamErrorAfter >= plan.tokens.length) return yield { type: 'stream_error' };
  yield { type: 'end' };
}

/** Waits out the non-streaming generation time, then reports whether the peer is still there. */
export async function waitForCompletion(plan: AnswerPlan, signal: AbortSignal): Promise<boolean> {
  const total = plan.ttftMs + plan.interTokenMs * Math.max(0, plan.tokens.length - 1);
  if (total > 0) await sleep(total, undefined, { signal }).catch(() => undefined);
  return !signal.aborted;
}
