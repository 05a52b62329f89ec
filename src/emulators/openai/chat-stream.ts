// A streamed answer: the engine's paced events written as chat.completion.chunk frames, with
// mid-stream faults (malformed frame, cut, stall, error frame, missing [DONE]) where planned.

import type { AttemptHandle } from '../core/engine.js';
import { pace, untilAborted } from '../core/pace.js';
import type { AnswerPlan, EmulatedDeploymentConfig } from '../core/types.js';
import { answerMeta, chunkFrame, piecesOf, promptFilterFrame, usageFrame, type AnswerMeta } from './chat-frames.js';
import type { ServeContext } from './dialect.js';
import { STREAM_ERROR_FRAME } from './errors.js';
import { SseWriter } from './sse-writer.js';

export interface StreamJob {
  ctx: ServeContext;
  cfg: EmulatedDeploymentConfig;
  plan: AnswerPlan;
  attempt: AttemptHandle;
  includeUsage: boolean;
  signal: AbortSignal;
}

export async function streamAnswer(job: StreamJob): Promise<void> {
  const { ctx, cfg, plan, attempt, signal } = job;
  const { res, dialect } = ctx;
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', ...dialect.headers(ctx, cfg) });
  res.flushHeaders();
  const w = new SseWriter(res, signal);
  const meta = answerMeta(cfg);
  let started = false;
  // The opening frames go out with the first real event, so a slow first token delays them
  // and malformed_first really is the first frame.
  const start = async (): Promise<void> => {
    if (started) return;
    started = true;
    const prompt = dialect.promptFilterResults?.();
    if (prompt) await w.json(promptFilterFrame(prompt));
    await w.json(chunkFrame(meta, { role: 'assistant', content: plan.toolCall ? null : '', refusal: null }, null, dialect.choiceFilterResults?.('role')));
  };

  for await (const ev of pace(plan, signal)) {
    switch (ev.type) {
      case 'malformed':
        await w.raw('data: {not json\n\n');
        break;
      case 'token':
        await start();
        if (await w.json(chunkFrame(meta, { content: ev.text }, null, dialect.choiceFilterResults?.('content')))) attempt.tokenSent();
        break;
      case 'tool_call':
        await start();
        await writeToolCall(w, meta, plan, attempt, ctx);
        break;
      case 'cut':
        await w.cut();
        return attempt.end('cut');
      case 'stall':
        await untilAborted(signal);
        return attempt.end('stalled');
      case 'stream_error':
        await w.json(STREAM_ERROR_FRAME);
        res.end();
        return attempt.end('error', 200);
      case 'end':
        await start();
        await writeEnd(w, meta, job);
        if (w.gone) return attempt.end('aborted');
        res.end();
        return attempt.end('ok', 200);
    }
  }
  // pace() returns early only when the peer went away.
  attempt.end('aborted');
}

/** The first delta names the call; the arguments follow in two or more pieces. */
async function writeToolCall(w: SseWriter, meta: AnswerMeta, plan: AnswerPlan, attempt: AttemptHandle, ctx: ServeContext): Promise<void> {
  const call = plan.toolCall!;
  const filter = ctx.dialect.choiceFilterResults?.('role');
  await w.json(chunkFrame(meta, { tool_calls: [{ index: 0, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }] }, null, filter));
  const pieces = piecesOf(call.arguments, Math.min(3, Math.max(2, call.arguments.length)));
  let sent = 0;
  for (const [i, piece] of pieces.entries()) {
    if (!(await w.json(chunkFrame(meta, { tool_calls: [{ index: 0, function: { arguments: piece } }] }, null, filter)))) return;
    // Spread the call's token count over its pieces so the log adds up to completionTokens.
    const upTo = Math.round((plan.completionTokens * (i + 1)) / pieces.length);
    attempt.tokenSent(upTo - sent);
    sent = upTo;
  }
}

async function writeEnd(w: SseWriter, meta: AnswerMeta, job: StreamJob): Promise<void> {
  const { plan, ctx } = job;
  await w.json(chunkFrame(meta, {}, plan.finishReason, ctx.dialect.choiceFilterResults?.('finish', plan.finishReason)));
  if (job.includeUsage) await w.json(usageFrame(meta, plan));
  if (!plan.omitTerminator) await w.raw('data: [DONE]\n\n');
}
