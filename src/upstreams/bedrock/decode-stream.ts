// ConverseStream events → typed StreamEvents. The answer is complete at messageStop, but the
// usage arrives after it in `metadata`, so the decoder keeps reading to the end of the body;
// an end before messageStop is an interrupted stream, an end after it without metadata is
// a complete answer whose usage is simply unknown.

import type { StreamEvent } from '../../domain/chat.js';
import { UpstreamFailureError, type FailureKind } from '../../domain/upstream-failure.js';
import type { UpstreamResponseHead } from '../adapter.js';
import { mapStopReason, mapUsage, responseId } from './decode.js';
import { scrub, streamExceptionKind } from './errors.js';
import { FrameError, readFrames, type EventFrame } from './event-frames.js';
import { isRecord } from './wire-types.js';

interface StreamState {
  /** contentBlockIndex → OpenAI tool_calls index (the ordinal of the toolUse block). */
  toolIndex: Map<number, number>;
  stopped: boolean;
  answered: boolean;
}

function fail(kind: FailureKind, message: string, state: StreamState, extra: { providerCode?: string } = {}): UpstreamFailureError {
  return new UpstreamFailureError({ kind, message, midStream: state.answered, status: 200, ...extra });
}

function payloadOf(frame: EventFrame, state: StreamState): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(frame.body).toString('utf8'));
  } catch {
    throw fail('malformed', `event ${frame.headers[':event-type'] ?? '?'} has a payload that is not JSON`, state);
  }
  if (!isRecord(v)) throw fail('malformed', 'event payload is not a JSON object', state);
  return v;
}

function* onEvent(type: string, p: Record<string, unknown>, state: StreamState): Generator<StreamEvent> {
  switch (type) {
    case 'messageStart':
      yield { kind: 'delta', choiceIndex: 0, role: 'assistant' };
      return;
    case 'contentBlockStart': {
      const tool = isRecord(p.start) && isRecord(p.start.toolUse) ? p.start.toolUse : undefined;
      if (!tool || typeof p.contentBlockIndex !== 'number') return;
      const index = state.toolIndex.size;
      state.toolIndex.set(p.contentBlockIndex, index);
      state.answered = true;
      yield { kind: 'delta', choiceIndex: 0, toolCalls: [{ index, id: String(tool.toolUseId ?? ''), type: 'function', function: { name: String(tool.name ?? ''), arguments: '' } }] };
      return;
    }
    case 'contentBlockDelta': {
      const d = isRecord(p.delta) ? p.delta : {};
      if (typeof d.text === 'string' && d.text !== '') {
        state.answered = true;
        yield { kind: 'delta', choiceIndex: 0, content: d.text };
      } else if (isRecord(d.toolUse) && typeof d.toolUse.input === 'string') {
        const index = typeof p.contentBlockIndex === 'number' ? state.toolIndex.get(p.contentBlockIndex) : undefined;
        if (index === undefined) throw fail('malformed', 'toolUse input delta for a block that never started', state);
        yield { kind: 'delta', choiceIndex: 0, toolCalls: [{ index, function: { arguments: d.toolUse.input } }] };
      } else if (isRecord(d.reasoningContent) && typeof d.reasoningContent.text === 'string') {
        yield { kind: 'delta', choiceIndex: 0, extra: { reasoning_content: d.reasoningContent.text } };
      }
      return;
    }
    case 'messageStop': {
      state.stopped = true;
      const stop = mapStopReason(p.stopReason);
      yield { kind: 'finish', choiceIndex: 0, finishReason: stop.finishReason, ...(stop.extra ? { extra: stop.extra } : {}) };
      return;
    }
    case 'metadata': {
      const usage = mapUsage(p.usage);
      if (usage) yield { kind: 'usage', usage };
      return;
    }
    default:
      // contentBlockStop, and event types added after this was written: nothing to say.
      return;
  }
}

/** Our own abort (deadline, client gone) stays unwrapped so the proxy can classify it as a timeout. */
const isAbort = (err: unknown): boolean => err instanceof Error && (err.name === 'AbortError' || (err as { code?: string }).code === 'UND_ERR_ABORTED');

export async function* decodeChatStream(head: UpstreamResponseHead, body: AsyncIterable<Uint8Array>, model: string): AsyncGenerator<StreamEvent> {
  const state: StreamState = { toolIndex: new Map(), stopped: false, answered: false };
  yield { kind: 'identity', id: responseId(head), model };
  try {
    for await (const frame of readFrames(body)) {
      const messageType = frame.headers[':message-type'];
      if (messageType === 'exception') {
        const type = frame.headers[':exception-type'] ?? 'unknown';
        const p = payloadOf(frame, state);
        const message = typeof p.message === 'string' ? scrub(p.message) : type;
        throw fail(streamExceptionKind(type), message, state, { providerCode: type });
      }
      if (messageType === 'error') {
        const code = frame.headers[':error-code'] ?? 'unknown';
        throw fail('server_error', scrub(frame.headers[':error-message'] ?? code), state, { providerCode: code });
      }
      if (messageType !== 'event') continue;
      yield* onEvent(frame.headers[':event-type'] ?? '', payloadOf(frame, state), state);
    }
  } catch (err) {
    if (err instanceof UpstreamFailureError || isAbort(err)) throw err;
    const corrupt = err instanceof FrameError && err.reason === 'corrupt';
    // A body cut off after messageStop only loses the metadata: the answer itself is whole.
    if (!corrupt && state.stopped) return;
    throw fail(corrupt ? 'malformed' : 'stream_interrupted', err instanceof FrameError ? err.message : `Bedrock stream broke: ${(err as Error).message}`, state);
  }
  if (!state.stopped) throw fail('stream_interrupted', 'Bedrock stream ended before messageStop', state);
}
