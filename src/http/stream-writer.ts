// Writes a streamed answer downstream as OpenAI SSE. Once the first byte is out there is no
// failover: a failure ends the stream with an OpenAI error event and never with [DONE] or a
// finish_reason the upstream did not send.

import type { ServerResponse } from 'node:http';
import { once } from 'node:events';
import type { StreamEvent, Usage } from '../domain/chat.js';
import { errorSpec } from '../domain/errors.js';
import { UpstreamFailureError } from '../domain/upstream-failure.js';
import type { ChunkRenderer } from '../wire/chat-response.js';
import { sseData } from '../wire/sse.js';

export interface StreamOutcome {
  complete: boolean;
  usage: Usage | undefined;
  error?: string;
}

export async function writeStream(
  res: ServerResponse,
  events: AsyncIterable<StreamEvent>,
  opts: { headers: Record<string, string | number>; renderer: ChunkRenderer; includeUsage: boolean },
): Promise<StreamOutcome> {
  let usage: Usage | undefined;
  let headersOut = false;
  /** Writes one event; returns a promise only when the client is slow (so most events cost no await). */
  const send = (text: string): Promise<unknown> | undefined => {
    if (!headersOut) {
      res.writeHead(200, { ...opts.headers, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
      headersOut = true;
    }
    // Backpressure: a slow client slows the upstream read instead of growing our memory.
    if (res.write(text) || res.destroyed) return undefined;
    return Promise.race([once(res, 'drain'), once(res, 'close')]);
  };
  const write = async (text: string): Promise<void> => {
    await send(text);
  };
  // Frames that carry no choice (e.g. a content-filter preamble) may arrive before the
  // upstream's id and model; hold them until the first real chunk so every chunk agrees.
  let early: StreamEvent[] | undefined = [];
  try {
    for await (const e of events) {
      if (res.destroyed) break;
      if (e.kind === 'identity') {
        opts.renderer.identify(e.id, e.model);
        continue;
      }
      if (e.kind === 'usage') {
        usage = e.usage;
        continue;
      }
      if (early && e.kind === 'meta') {
        early.push(e);
        continue;
      }
      if (early) {
        for (const m of early) await write(sseData(opts.renderer.render(m)!));
        early = undefined;
      }
      const json = opts.renderer.render(e);
      if (json === undefined) continue;
      const slow = send(sseData(json));
      if (slow) await slow;
    }
    for (const m of early ?? []) await write(sseData(opts.renderer.render(m)!));
    if (res.destroyed) return { complete: false, usage, error: 'client disconnected' };
    // Usage goes last, after every finish, as OpenAI sends it; only to clients who asked.
    if (opts.includeUsage && usage) await write(sseData(opts.renderer.renderUsage(usage)));
    await write('data: [DONE]\n\n');
    res.end();
    return { complete: true, usage };
  } catch (err) {
    const failure = err instanceof UpstreamFailureError ? err.failure : undefined;
    const spec = errorSpec('TREATY_UPSTREAM_STREAM_INTERRUPTED');
    const message = failure
      ? `The upstream stream failed after the response started (${failure.kind}); the answer above is incomplete.`
      : 'The stream failed after the response started; the answer above is incomplete.';
    if (!res.destroyed) {
      await write(sseData(JSON.stringify({ error: { message, type: spec.type, param: null, code: spec.openaiCode } }))).catch(() => undefined);
      res.end();
    }
    return { complete: false, usage, error: failure?.kind ?? 'stream_error' };
  }
}
