// A 2xx text/event-stream of chat.completion.chunk frames → typed StreamEvents. Returns only
// when the answer is complete ([DONE], or every choice finished); every other ending throws
// an UpstreamFailureError so the proxy never mistakes a broken stream for an answer.

import type { StreamEvent, Usage } from '../../domain/chat.js';
import { UpstreamFailureError, upstreamFailure, type UpstreamFailure } from '../../domain/upstream-failure.js';
import { SseLineTooLongError, SseParser, type SseEvent } from '../../wire/sse.js';
import type { HeadWithHeaders } from '../retry-headers.js';
import type { ErrorClassifier } from './classify-error.js';
import { chunkEvents, newChunkState } from './chunk-events.js';
import { DeltaTemplate } from './delta-template.js';
import { parseErrorBody } from './error-body.js';
import { isRecord } from './json.js';
import type { WireCompletion } from './wire-types.js';

export async function* decodeOpenAIStream(
  head: HeadWithHeaders,
  body: AsyncIterable<Uint8Array>,
  classify: ErrorClassifier,
  opts: { template?: boolean } = {},
): AsyncGenerator<StreamEvent> {
  const st = newChunkState();
  const fail = (f: UpstreamFailure): UpstreamFailureError => new UpstreamFailureError({ ...f, midStream: st.sawAnswer });
  // The body is read here directly (not through another async generator): the events of one
  // read are decoded and yielded in the same turn.
  const sse = new SseParser();
  const it = body[Symbol.asyncIterator]();
  let open = true;
  const out: StreamEvent[] = [];
  // Frames that differ from the last content delta only in its text skip JSON.parse (delta-template.ts).
  const template = opts.template === false ? undefined : new DeltaTemplate();
  try {
    for (;;) {
      let r: IteratorResult<Uint8Array>;
      try {
        r = await it.next();
      } catch (err) {
        open = false;
        throw broken(err, st.sawAnswer);
      }
      let frames: readonly SseEvent[];
      if (r.done) {
        open = false;
        frames = sse.end();
      } else {
        try {
          frames = sse.push(r.value);
        } catch (err) {
          throw broken(err, st.sawAnswer);
        }
      }
      for (const ev of frames) {
        const data = ev.data.trim();
        if (data === '[DONE]') {
          yield* flushUsage(st);
          return;
        }
        if (template && ev.event === undefined) {
          const known = template.match(data);
          if (known) {
            yield known;
            continue;
          }
        }
        let chunk: unknown;
        try {
          chunk = JSON.parse(data);
        } catch {
          throw fail(upstreamFailure('malformed', `unparseable stream frame: ${data.slice(0, 80)}`, { status: 200 }));
        }
        if (!isRecord(chunk)) throw fail(upstreamFailure('malformed', 'stream frame is not a JSON object', { status: 200 }));
        const error = parseErrorBody(chunk, true) ?? (ev.event === 'error' ? parseErrorBody(chunk) : undefined);
        if (error) throw fail(classify(undefined, error, head.headers));
        chunkEvents(chunk as WireCompletion, st, out);
        if (template && ev.event === undefined) template.learn(data, chunk as WireCompletion, out);
        for (const e of out) yield e;
        out.length = 0;
      }
      if (!open) break;
    }
  } finally {
    // Stopped before the body ended ([DONE] first, a bad frame, the reader gone): free it.
    if (open) void it.return?.();
  }

  // No [DONE]: some servers close right after the last chunk. That is a complete answer only
  // if every choice we saw reached a finish_reason.
  const complete = st.seen.size > 0 && [...st.seen].every((i) => st.finished.has(i));
  if (!complete) {
    throw fail(upstreamFailure('stream_interrupted', 'upstream stream ended before the answer completed', { status: 200 }));
  }
  yield* flushUsage(st);
}

/** Usage seen on choice-carrying chunks is held until the end, so only the final count goes out. */
function* flushUsage(st: { pendingUsage: Usage | undefined }): Generator<StreamEvent> {
  if (st.pendingUsage) yield { kind: 'usage', usage: st.pendingUsage };
  st.pendingUsage = undefined;
}

/** A transport failure (reset, socket closed) or an over-long line, as a classified failure. */
function broken(err: unknown, sawAnswer: boolean): UpstreamFailureError {
  if (err instanceof UpstreamFailureError) return err;
  const kind = err instanceof SseLineTooLongError ? 'malformed' : 'stream_interrupted';
  return new UpstreamFailureError(upstreamFailure(kind, `upstream stream broke: ${(err as Error).message}`, { status: 200, midStream: sawAnswer }));
}
