// The OpenAI embeddings surface: validate the request, and render the reply (base64 encoding
// happens here, at the edge, so upstreams always return floats to the core).

import type { EmbeddingsRequest, EmbeddingsResponse } from '../domain/chat.js';
import { invalid } from '../domain/errors.js';

const KNOWN = new Set(['model', 'input', 'encoding_format', 'dimensions', 'user']);

export function parseEmbeddingsRequest(body: unknown): EmbeddingsRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('The request body must be a JSON object.');
  const b = body as Record<string, unknown>;
  for (const k of Object.keys(b)) if (!KNOWN.has(k)) throw invalid(`Unrecognized request argument supplied: ${k}`, k);
  if (typeof b.model !== 'string' || !b.model) throw invalid('you must provide a model parameter', 'model');
  const input = b.input;
  const ok =
    (typeof input === 'string' && input.length > 0) ||
    (Array.isArray(input) && input.length > 0 && input.length <= 2048 &&
      (input.every((s) => typeof s === 'string' && s.length > 0) ||
        input.every((t) => Number.isInteger(t)) ||
        input.every((a) => Array.isArray(a) && a.length > 0 && a.every((t) => Number.isInteger(t)))));
  if (!ok) throw invalid("'input' must be a non-empty string, a list of up to 2048 non-empty strings, a token array or a list of token arrays", 'input');
  const req: EmbeddingsRequest = { model: b.model, input: input as EmbeddingsRequest['input'] };
  if (b.encoding_format !== undefined) {
    if (b.encoding_format !== 'float' && b.encoding_format !== 'base64') throw invalid("'encoding_format' must be \"float\" or \"base64\"", 'encoding_format');
    req.encodingFormat = b.encoding_format;
  }
  if (b.dimensions !== undefined) {
    if (!Number.isInteger(b.dimensions) || (b.dimensions as number) < 1) throw invalid("'dimensions' must be a positive whole number", 'dimensions');
    req.dimensions = b.dimensions as number;
  }
  if (b.user !== undefined) {
    if (typeof b.user !== 'string') throw invalid("'user' must be a string", 'user');
    req.user = b.user;
  }
  return req;
}

export function renderEmbeddings(res: EmbeddingsResponse, encoding: 'float' | 'base64'): unknown {
  return {
    object: 'list',
    data: res.data.map((d) => ({
      object: 'embedding',
      index: d.index,
      embedding: encoding === 'base64' ? Buffer.from(new Float32Array(d.embedding).buffer).toString('base64') : d.embedding,
    })),
    model: res.model,
    // OpenAI's shape requires a usage object; when the upstream sent none we say so in a
    // header instead of inventing zeros (see http/routes).
    ...(res.usage ? { usage: { prompt_tokens: res.usage.promptTokens, total_tokens: res.usage.totalTokens } } : {}),
  };
}
