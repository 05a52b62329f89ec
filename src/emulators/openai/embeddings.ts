// POST …/embeddings: deterministic unit vectors from the engine's generator, as floats or as
// base64 of little-endian float32 (what the OpenAI SDK asks for by default).

import { generateEmbedding } from '../core/generator.js';
import { FAULT_HEADER } from '../core/faults.js';
import { peerGoneSignal, sendJson } from '../core/http.js';
import { waitForCompletion } from '../core/pace.js';
import type { EmulatedDeploymentConfig } from '../core/types.js';
import { handledWithoutAnswer } from './chat-respond.js';
import type { ServeContext } from './dialect.js';
import { invalidRequest, sendOpenAIError } from './errors.js';

const DEFAULT_DIMENSIONS = 1536;
const MAX_INPUTS = 2048;

export async function serveEmbeddings(ctx: ServeContext, cfg: EmulatedDeploymentConfig, body: Record<string, unknown>): Promise<void> {
  const refuse = (message: string, param: string | null): void => {
    ctx.engine.reject(ctx.dialect.provider, cfg.name, 400, false);
    sendOpenAIError(ctx.res, 400, invalidRequest(message, param), ctx.dialect.headers(ctx, cfg), cfg.legacyErrorShape);
  };
  if (!cfg.embeddings) return refuse(`The embeddings operation does not work with the specified model, ${cfg.model}. Please choose different model and try again.`, 'model');
  const inputs = inputsOf(body.input);
  if (typeof inputs === 'string') return refuse(inputs, 'input');
  const dims = body.dimensions ?? DEFAULT_DIMENSIONS;
  if (typeof dims !== 'number' || !Number.isInteger(dims) || dims < 1 || dims > 3072) return refuse("Invalid value for 'dimensions': expected an integer between 1 and 3072.", 'dimensions');
  const format = body.encoding_format ?? 'float';
  if (format !== 'float' && format !== 'base64') return refuse("Invalid value for 'encoding_format': expected 'float' or 'base64'.", 'encoding_format');

  const signal = peerGoneSignal(ctx.res);
  const fault = ctx.req.headers[FAULT_HEADER];
  const { plan, attempt } = ctx.engine.begin(
    ctx.dialect.provider,
    { deployment: cfg.name, promptText: inputs.join('\n'), maxTokens: 0, stream: false, tools: [], toolChoice: undefined, lastIsToolResult: false, faultHeader: Array.isArray(fault) ? fault.join(',') : fault },
    ctx.callerRequestId,
  );
  try {
    if (await handledWithoutAnswer(ctx, cfg, plan, attempt, signal, 'embeddings')) return;
    if (plan.type !== 'answer' || !(await waitForCompletion({ ...plan, tokens: [] }, signal))) return attempt.end('aborted');
    const data = inputs.map((text, index) => {
      const v = generateEmbedding(text, dims);
      return { object: 'embedding', index, embedding: format === 'base64' ? toBase64(v) : v };
    });
    sendJson(ctx.res, 200, { object: 'list', data, model: cfg.model, usage: { prompt_tokens: plan.promptTokens, total_tokens: plan.promptTokens } }, ctx.dialect.headers(ctx, cfg));
    attempt.end('ok', 200);
  } finally {
    if (!attempt.ended) attempt.end('aborted');
  }
}

/** The texts to embed, or the reason the input is invalid. Token arrays embed their ids' text. */
function inputsOf(input: unknown): string[] | string {
  const bad = "'input' must be a non-empty string, an array of strings, or an array of token arrays.";
  if (typeof input === 'string') return input === '' ? bad : [input];
  if (!Array.isArray(input) || input.length === 0) return bad;
  if (input.length > MAX_INPUTS) return `'input' may hold at most ${MAX_INPUTS} items.`;
  if (input.every((x) => typeof x === 'number')) return [input.join(' ')];
  const out: string[] = [];
  for (const item of input) {
    if (typeof item === 'string' && item !== '') out.push(item);
    else if (Array.isArray(item) && item.length > 0 && item.every((x) => typeof x === 'number')) out.push(item.join(' '));
    else return bad;
  }
  return out;
}

function toBase64(v: number[]): string {
  const buf = Buffer.alloc(v.length * 4);
  v.forEach((x, i) => buf.writeFloatLE(x, i * 4));
  return buf.toString('base64');
}
