// Embeddings on the OpenAI wire. Treaty always asks for floats: the core carries float
// vectors, and the downstream edge re-encodes base64 for clients that asked for it.

import type { EmbeddingsRequest, EmbeddingsResponse } from '../../domain/chat.js';
import { UpstreamFailureError, upstreamFailure } from '../../domain/upstream-failure.js';
import type { HeadWithHeaders } from '../retry-headers.js';
import type { ErrorClassifier } from './classify-error.js';
import { parseOkBody } from './decode-chat.js';
import { isRecord } from './json.js';
import type { WireEmbeddings } from './wire-types.js';

export function toOpenAIEmbeddingsBody(req: EmbeddingsRequest, model: string): Record<string, unknown> {
  const body: Record<string, unknown> = { model, input: req.input, encoding_format: 'float' };
  if (req.dimensions !== undefined) body.dimensions = req.dimensions;
  if (req.user !== undefined) body.user = req.user;
  return body;
}

export function decodeOpenAIEmbeddings(head: HeadWithHeaders, body: Uint8Array, classify: ErrorClassifier): EmbeddingsResponse {
  const wire = parseOkBody(head, body, classify) as WireEmbeddings;
  if (!Array.isArray(wire.data)) {
    throw new UpstreamFailureError(upstreamFailure('malformed', 'embeddings response without a data array', { status: 200 }));
  }
  const data = wire.data.filter(isRecord).map((d, i) => ({ index: typeof d.index === 'number' ? d.index : i, embedding: toVector(d.embedding) }));
  data.sort((a, b) => a.index - b.index);
  const u = wire.usage;
  const usage =
    isRecord(u) && typeof u.prompt_tokens === 'number'
      ? { promptTokens: u.prompt_tokens, totalTokens: typeof u.total_tokens === 'number' ? u.total_tokens : u.prompt_tokens }
      : undefined;
  return { model: typeof wire.model === 'string' ? wire.model : '', data, usage };
}

/** Floats as asked; a server that ignored encoding_format and sent base64 is decoded anyway. */
function toVector(raw: unknown): number[] {
  if (Array.isArray(raw) && raw.every((x) => typeof x === 'number')) return raw as number[];
  if (typeof raw === 'string') {
    const buf = Buffer.from(raw, 'base64');
    const out: number[] = [];
    for (let off = 0; off + 4 <= buf.length; off += 4) out.push(buf.readFloatLE(off));
    return out;
  }
  throw new UpstreamFailureError(upstreamFailure('malformed', 'embedding is neither a float array nor base64', { status: 200 }));
}
