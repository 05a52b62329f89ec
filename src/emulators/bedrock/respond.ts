// Bedrock's JSON responses: errors as status + x-amzn-ErrorType + {"message"} (no
// Retry-After: Bedrock sends none), and the non-streaming Converse answer.

import type { ServerResponse } from 'node:http';
import { sendJson } from '../core/http.js';
import type { AnswerPlan, ErrorPlan } from '../core/types.js';

const NS_BEDROCK = 'http://internal.amazon.com/coral/com.amazon.bedrock/';
/** Authentication failures come from the shared AWS front end, with its namespace. */
const NS_CORAL = 'http://internal.amazon.com/coral/com.amazon.coral.service/';
const CORAL_ERRORS = new Set(['InvalidSignatureException', 'UnrecognizedClientException', 'IncompleteSignatureException', 'MissingAuthenticationTokenException', 'UnknownOperationException', 'SerializationException']);

export function sendError(res: ServerResponse, requestId: string, status: number, type: string, message: string): void {
  sendJson(res, status, { message }, { 'x-amzn-requestid': requestId, 'x-amzn-errortype': `${type}:${CORAL_ERRORS.has(type) ? NS_CORAL : NS_BEDROCK}` });
}

/**
 * Bedrock has no prompt-side content filter error of its own; models with built-in filters
 * (Titan, Nova Canvas) answer 400 ValidationException with this text, which is what we send.
 */
export const ERROR_RESPONSES: Record<ErrorPlan['error'], { status: number; type: string; message: string }> = {
  rate_limit: { status: 429, type: 'ThrottlingException', message: 'Too many requests, please wait before trying again.' },
  server_error: { status: 500, type: 'InternalServerException', message: 'The system encountered an unexpected error during processing. Try your request again.' },
  unavailable: { status: 503, type: 'ServiceUnavailableException', message: 'Bedrock is unable to process your request.' },
  context_length: { status: 400, type: 'ValidationException', message: 'Input is too long for requested model.' },
  content_filter: {
    status: 400,
    type: 'ValidationException',
    message: 'This request has been blocked by our content filters. Our filters automatically flagged this prompt because it may conflict with our AUP or AWS Responsible AI Policy.',
  },
  auth: { status: 403, type: 'AccessDeniedException', message: "You don't have access to the model with the specified model ID." },
  not_found: { status: 404, type: 'ResourceNotFoundException', message: 'Could not resolve the foundation model from the provided model identifier.' },
};

export const STOP_REASONS: Record<AnswerPlan['finishReason'], string> = {
  stop: 'end_turn',
  length: 'max_tokens',
  tool_calls: 'tool_use',
  // A completion cut by a filter is a guardrail intervention on Bedrock.
  content_filter: 'guardrail_intervened',
};

/** Bedrock tool-use ids look like tooluse_<22 chars>; keep the engine's id recognisable inside. */
export const toolUseId = (engineId: string): string => `tooluse_${engineId.replace(/^call_/, '')}`;

export function usageOf(plan: AnswerPlan, completionTokens = plan.completionTokens): Record<string, number> {
  return { inputTokens: plan.promptTokens, outputTokens: completionTokens, totalTokens: plan.promptTokens + completionTokens };
}

export function converseBody(plan: AnswerPlan, latencyMs: number): Record<string, unknown> {
  const content = plan.toolCall
    ? [{ toolUse: { toolUseId: toolUseId(plan.toolCall.id), name: plan.toolCall.name, input: JSON.parse(plan.toolCall.arguments) as unknown } }]
    : [{ text: plan.tokens.join('') }];
  return {
    output: { message: { role: 'assistant', content } },
    stopReason: STOP_REASONS[plan.finishReason],
    usage: usageOf(plan),
    metrics: { latencyMs },
  };
}
