// ConverseStream: an answer plan rendered as event-stream frames, paced by the core, with
// the mid-stream faults as Bedrock would show them. The attempt is ended exactly once on
// every path, and writes wait for 'drain' so a slow reader sees real backpressure.

import type { ServerResponse } from 'node:http';
import type { AttemptHandle } from '../core/engine.js';
import { pace, untilAborted } from '../core/pace.js';
import type { AnswerPlan } from '../core/types.js';
import { resetRequest } from './h2c.js';
import { corruptedFrame, eventFrame, exceptionFrame, padding } from './frames.js';
import { STOP_REASONS, toolUseId, usageOf } from './respond.js';

/** Writes a frame; resolves on 'drain', or at once when the peer is gone (no drain will come). */
async function write(res: ServerResponse, bytes: Uint8Array, signal: AbortSignal): Promise<void> {
  if (signal.aborted || res.write(bytes) || signal.aborted) return;
  await new Promise<void>((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** Splits tool-call arguments into at least two pieces, as the service streams them. */
function pieces(args: string): string[] {
  const size = Math.max(1, Math.ceil(args.length / 3));
  const out: string[] = [];
  for (let i = 0; i < args.length; i += size) out.push(args.slice(i, i + size));
  return out.length >= 2 ? out : [args.slice(0, 1), args.slice(1)];
}

export interface StreamContext {
  res: ServerResponse;
  plan: AnswerPlan;
  attempt: AttemptHandle;
  signal: AbortSignal;
  requestId: string;
  startedAt: number;
}

export async function streamAnswer(ctx: StreamContext): Promise<void> {
  const { res, plan, attempt, signal } = ctx;
  res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': ctx.requestId });
  res.flushHeaders();
  let seq = 0;
  const event = (type: string, payload: Record<string, unknown>): Promise<void> => write(res, eventFrame(type, { ...payload, p: padding(seq++) }), signal);
  let started = false;
  let textOpen = false;
  const start = async (): Promise<void> => {
    if (!started) await event('messageStart', { role: 'assistant' });
    started = true;
  };

  for await (const ev of pace(plan, signal)) {
    if (signal.aborted) break;
    switch (ev.type) {
      case 'token':
        await start();
        textOpen = true;
        await event('contentBlockDelta', { contentBlockIndex: 0, delta: { text: ev.text } });
        attempt.tokenSent();
        break;
      case 'tool_call': {
        await start();
        await event('contentBlockStart', { contentBlockIndex: 0, start: { toolUse: { toolUseId: toolUseId(ev.id), name: ev.name } } });
        for (const input of pieces(ev.arguments)) await event('contentBlockDelta', { contentBlockIndex: 0, delta: { toolUse: { input } } });
        await event('contentBlockStop', { contentBlockIndex: 0 });
        attempt.tokenSent(plan.completionTokens);
        break;
      }
      case 'malformed':
        await write(res, corruptedFrame(), signal);
        break;
      case 'cut':
        resetRequest(res);
        return attempt.end('cut', 200);
      case 'stall':
        await untilAborted(signal);
        return attempt.end('stalled', 200);
      case 'stream_error':
        await write(res, exceptionFrame('throttlingException', 'Too many requests, please wait before trying again.'), signal);
        res.end();
        return attempt.end('error', 200);
      case 'end':
        if (textOpen) await event('contentBlockStop', { contentBlockIndex: 0 });
        await event('messageStop', { stopReason: STOP_REASONS[plan.finishReason] });
        // Real metadata carries the usage of what was generated; no_done drops it entirely.
        if (!plan.omitTerminator) await write(res, eventFrame('metadata', { usage: usageOf(plan), metrics: { latencyMs: Date.now() - ctx.startedAt } }), signal);
        res.end();
        return attempt.end(signal.aborted ? 'aborted' : 'ok', 200);
    }
  }
  // pace() returns early only when the peer went away.
  attempt.end('aborted', 200);
}
