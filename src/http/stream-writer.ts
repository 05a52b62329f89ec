// Writes a streamed answer downstream as OpenAI SSE. Once the first byte is out there is no
// failover: a failure ends the stream with an OpenAI error event and never with [DONE] or a
// finish_reason the upstream did not send.

import type { StreamEvent, Usage } from '../domain/chat.js';
import { errorSpec } from '../domain/errors.js';
import { UpstreamFailureError } from '../domain/upstream-failure.js';
import type { ChunkRenderer } from '../wire/chat-response.js';
import { sseData } from '../wire/sse.js';
import type { DownstreamResponse } from './downstream.js';

export interface StreamOutcome {
  complete: boolean;
  usage: Usage | undefined;
  error?: string;
}

/** An event that carries the answer (not only a role or an annotation): what the client waits for. */
function answers(e: StreamEvent): boolean {
  return (e.kind === 'delta' && ((e.content !== undefined && e.content !== '') || e.toolCalls !== undefined || e.refusal !== undefined)) || e.kind === 'finish';
}

/** The SSE response's own headers: they override any of the caller's with the same name. */
const SSE_HEADERS: readonly (readonly [string, string])[] = [
  ['content-type', 'text/event-stream; charset=utf-8'],
  ['cache-control', 'no-cache'],
  ['connection', 'keep-alive'],
  ['x-accel-buffering', 'no'],
];
const SSE_NAMES = new Set(SSE_HEADERS.map(([k]) => k));

/**
 * The head as a flat [name, value, …] list. It is written between the first token's arrival and
 * its departure, so its cost is time to first token: a spread of the caller's object plus four
 * more keys made an object that node:http then walked slowly (6 µs warm, ~38 µs with the cold
 * caches a gateway has after waiting on its upstream), the flat list ~1.8 / ~16 µs. Same bytes.
 */
function headList(headers: Record<string, string | number>): (string | number)[] {
  const out: (string | number)[] = [];
  for (const k of Object.keys(headers)) if (!SSE_NAMES.has(k)) out.push(k, headers[k]!);
  for (const [k, v] of SSE_HEADERS) out.push(k, v);
  return out;
}

export async function writeStream(
  res: DownstreamResponse,
  events: AsyncIterable<StreamEvent>,
  opts: { headers: Record<string, string | number>; renderer: ChunkRenderer; includeUsage: boolean },
): Promise<StreamOutcome> {
  let usage: Usage | undefined;
  let headersOut = false;
  /** The first part of the answer has been written (and flushed). */
  let answering = false;
  /** Writes one event; returns a promise only when the client is slow (so most events cost no await). */
  const send = (text: string): Promise<unknown> | undefined => {
    if (!headersOut) {
      res.writeHead(200, headList(opts.headers));
      headersOut = true;
    }
    // Backpressure: a slow client slows the upstream read instead of growing our memory.
    if (res.write(text) || res.destroyed) return undefined;
    return res.drained();
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
      if (!answering && answers(e)) {
        // node:http corks the socket at a tick's first write and sends at the next tick, after
        // everything queued before it, which here is pulling the next event: re-arming the
        // idle timer and resuming the decoder until it waits on the upstream (~10 µs warm,
        // ~50 µs with the cold caches a gateway has after waiting for a first token). The first
        // token goes out now, with the head and whatever preceded it in one write; later events
        // keep node's batching (a fast upstream's burst stays a few writes, not one per chunk).
        answering = true;
        res.uncork();
      }
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
