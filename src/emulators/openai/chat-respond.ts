// Serves one chat request once it is parsed and its deployment known: asks the engine for a
// plan, then answers, fails, resets or hangs as planned. Ends the attempt exactly once.

import type { AttemptHandle } from '../core/engine.js';
import { peerGoneSignal, resetConnection, sendJson } from '../core/http.js';
import { untilAborted, waitForCompletion } from '../core/pace.js';
import type { AnswerPlan, EmulatedDeploymentConfig, Plan } from '../core/types.js';
import { answerMeta, completionBody } from './chat-frames.js';
import type { ParsedChat } from './chat-request.js';
import { streamAnswer } from './chat-stream.js';
import type { Operation, ServeContext } from './dialect.js';

export async function serveChat(ctx: ServeContext, cfg: EmulatedDeploymentConfig, chat: ParsedChat): Promise<void> {
  const signal = peerGoneSignal(ctx.res);
  const { plan, attempt } = ctx.engine.begin(ctx.dialect.provider, { ...chat.input, deployment: cfg.name }, ctx.callerRequestId);
  try {
    if (await handledWithoutAnswer(ctx, cfg, plan, attempt, signal, 'chat')) return;
    const answer = plan as AnswerPlan;
    if (chat.stream) return await streamAnswer({ ctx, cfg, plan: answer, attempt, includeUsage: chat.includeUsage, signal });
    return await completeAnswer(ctx, cfg, answer, attempt, signal);
  } finally {
    // A write that threw must not leave the attempt open (and its concurrency slot held).
    if (!attempt.ended) attempt.end('aborted');
  }
}

/**
 * Serves the plans that are not an answer (reset, hang, error). Returns false for an answer.
 * Shared by chat and embeddings.
 */
export async function handledWithoutAnswer(ctx: ServeContext, cfg: EmulatedDeploymentConfig, plan: Plan, attempt: AttemptHandle, signal: AbortSignal, op: Operation): Promise<boolean> {
  switch (plan.type) {
    case 'reset':
      resetConnection(ctx.res);
      attempt.end('reset');
      return true;
    case 'hang':
      await untilAborted(signal);
      attempt.end('hang');
      return true;
    case 'error':
      attempt.end('error', ctx.dialect.sendPlanError(ctx, cfg, plan, op));
      return true;
    case 'answer':
      return false;
  }
}

/** A whole answer. Mid-stream faults get their nearest non-streaming equivalent. */
async function completeAnswer(ctx: ServeContext, cfg: EmulatedDeploymentConfig, plan: AnswerPlan, attempt: AttemptHandle, signal: AbortSignal): Promise<void> {
  if (!(await waitForCompletion(plan, signal))) return attempt.end('aborted');
  const headers = ctx.dialect.headers(ctx, cfg);
  if (plan.cutAfter !== undefined) {
    resetConnection(ctx.res);
    return attempt.end('cut');
  }
  if (plan.stallAfter !== undefined) {
    await untilAborted(signal);
    return attempt.end('stalled');
  }
  if (plan.streamErrorAfter !== undefined) {
    return attempt.end('error', ctx.dialect.sendPlanError(ctx, cfg, { type: 'error', error: 'server_error', message: 'in-stream error (injected)' }, 'chat'));
  }
  if (plan.malformedFirst || plan.malformedAfter !== undefined) {
    // A body cut mid-JSON: what a broken proxy in front of a real server produces.
    ctx.res.writeHead(200, { 'content-type': 'application/json', ...headers });
    ctx.res.end('{"id":"chatcmpl-broken","object":"chat.completion","choices":[{');
    return attempt.end('error', 200);
  }
  sendJson(ctx.res, 200, completionBody(answerMeta(cfg), plan, ctx.dialect), headers);
  attempt.tokenSent(plan.completionTokens);
  attempt.end('ok', 200);
}
