// Mid-stream continuation: when a stream breaks after text reached the client, ask another
// deployment to continue from that text (an assistant prefill) and splice its answer into
// the same downstream stream, so the client receives one complete answer.

import type { StreamEvent } from '../domain/chat.js';
import { UpstreamFailureError, type UpstreamFailure } from '../domain/upstream-failure.js';

/** Starts the continuation from the text already sent; undefined when nothing can continue. */
export type Resume = (prefill: string, cause: UpstreamFailure) => Promise<AsyncIterable<StreamEvent> | undefined>;

export async function* spliceContinuation(first: AsyncIterable<StreamEvent>, resume: Resume): AsyncGenerator<StreamEvent> {
  let text = '';
  // Only a single-choice text answer can be continued from a prefill: a half-sent tool call
  // or several choices cannot be expressed as one assistant message.
  let continuable = true;
  try {
    for await (const e of first) {
      if (e.kind === 'delta') {
        if (e.choiceIndex !== 0 || e.toolCalls || e.refusal !== undefined) continuable = false;
        if (e.content) text += e.content;
      }
      yield e;
    }
    return;
  } catch (err) {
    if (!(err instanceof UpstreamFailureError) || !err.failure.midStream || !continuable || text === '') throw err;
    let rest: AsyncIterable<StreamEvent> | undefined;
    try {
      rest = await resume(text, err.failure);
    } catch {
      rest = undefined;
    }
    // Nothing could continue: end with the real cause, never with a prefill rejection.
    if (!rest) throw err;
    for await (const e of rest) {
      if (e.kind === 'identity' || e.kind === 'meta') continue;
      if (e.kind === 'delta') {
        if (e.content === undefined && !e.toolCalls && e.refusal === undefined) continue; // a second role chunk
        const { role: _role, ...rest } = e;
        yield rest;
        continue;
      }
      yield e;
    }
  }
}
