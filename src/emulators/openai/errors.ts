// OpenAI's error responses, and vLLM's legacy top-level shape for deployments that emulate
// a vLLM before 0.10.1 ({"object":"error",…,"code":400} with a numeric code).

import type { ServerResponse } from 'node:http';
import { sendJson } from '../core/http.js';

export interface OpenAIErrorFields {
  message: string;
  type: string;
  code: string | null;
  param?: string | null;
}

const VLLM_TYPES: Record<number, string> = {
  400: 'BadRequestError',
  401: 'Unauthorized',
  404: 'NotFoundError',
  429: 'RateLimitError',
  500: 'InternalServerError',
  503: 'ServiceUnavailableError',
};

export function openAIErrorBody(status: number, e: OpenAIErrorFields, legacy: boolean): unknown {
  if (legacy) return { object: 'error', message: e.message, type: VLLM_TYPES[status] ?? 'BadRequestError', param: e.param ?? null, code: status };
  return { error: { message: e.message, type: e.type, param: e.param ?? null, code: e.code } };
}

export function sendOpenAIError(res: ServerResponse, status: number, e: OpenAIErrorFields, headers: Record<string, string>, legacy = false): number {
  sendJson(res, status, openAIErrorBody(status, e, legacy), headers);
  return status;
}

export const invalidRequest = (message: string, param: string | null = null): OpenAIErrorFields => ({ message, type: 'invalid_request_error', code: null, param });

/** Echo only the shape of a wrong key, as OpenAI does: never the key itself. */
export function maskKey(key: string): string {
  if (key.length <= 8) return '***';
  return `${key.slice(0, 3)}...${key.slice(-4)}`;
}

/** The 401 OpenAI sends for a missing or wrong bearer key. */
export function authError(presented: string | undefined): OpenAIErrorFields {
  if (!presented) {
    return {
      message: "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
      type: 'invalid_request_error',
      code: null,
    };
  }
  return {
    message: `Incorrect API key provided: ${maskKey(presented)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
    type: 'invalid_request_error',
    code: 'invalid_api_key',
  };
}

export const modelNotFound = (model: string): OpenAIErrorFields => ({
  message: `The model \`${model}\` does not exist or you do not have access to it.`,
  type: 'invalid_request_error',
  code: 'model_not_found',
  param: 'model',
});

/** The frame OpenAI sends when it fails after the 200 (wire doc §a). */
export const STREAM_ERROR_FRAME = {
  error: { message: 'The server had an error processing your request.', type: 'server_error', param: null, code: null },
};
