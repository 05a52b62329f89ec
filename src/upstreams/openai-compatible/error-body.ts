// Reads an error body in any of the shapes OpenAI-compatible servers send:
//   {"error":{"message","type","param","code"}}              OpenAI, vLLM >= 0.10.1, Azure
//   {"object":"error","message","type","param","code":400}   vLLM before 0.10.1 (numeric code)
//   {"error":"text"} / {"detail":"text"} / {"message":"text"} assorted proxies and servers
// and scrubs anything that looks like a credential out of the message before it is logged.

import { isRecord } from './json.js';
import type { WireErrorInfo } from './wire-types.js';

const MAX_MESSAGE = 500;

/**
 * The error a body describes, or undefined when it is not an error object. `strict` accepts
 * only the two real shapes: use it on 200 bodies, where a loose match would misread answers.
 */
export function parseErrorBody(value: unknown, strict = false): WireErrorInfo | undefined {
  if (!isRecord(value)) return undefined;
  const err = value.error;
  if (isRecord(err)) return fromFields(err);
  if (value.object === 'error') return fromFields(value);
  if (strict) return undefined;
  for (const key of ['error', 'detail', 'message'] as const) {
    const text = value[key];
    if (typeof text === 'string' && text !== '') return { message: scrubSecrets(text) };
  }
  return undefined;
}

/** An error from a body that was not JSON (an HTML page from a proxy, plain text). */
export function errorFromText(text: string, status: number): WireErrorInfo {
  const trimmed = text.trim();
  return { message: trimmed === '' ? `HTTP ${status} with an empty body` : scrubSecrets(trimmed) };
}

function fromFields(e: Record<string, unknown>): WireErrorInfo {
  const info: WireErrorInfo = { message: scrubSecrets(typeof e.message === 'string' ? e.message : 'upstream error without a message') };
  if (typeof e.type === 'string') info.type = e.type;
  if (typeof e.code === 'string') info.code = e.code;
  if (typeof e.code === 'number') info.numericCode = e.code;
  if (typeof e.param === 'string') info.param = e.param;
  const inner = e.innererror;
  if (isRecord(inner) && typeof inner.code === 'string') info.innerCode = inner.code;
  return info;
}

/**
 * Masks API keys and bearer tokens. OpenAI already masks most of the key it echoes, but
 * compatible servers may not, and the message goes to logs and the ledger.
 */
export function scrubSecrets(message: string): string {
  const masked = message
    .replace(/\bsk-[A-Za-z0-9_*.-]{3,}/g, 'sk-***')
    .replace(/\b(Bearer|api-key:?)\s+[A-Za-z0-9._~+/=-]{8,}/gi, '$1 ***');
  return masked.length > MAX_MESSAGE ? `${masked.slice(0, MAX_MESSAGE)}…` : masked;
}
