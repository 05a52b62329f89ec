// Reads a POST body as JSON without throwing: the servers answer bad JSON the way the cloud does.

import type { IncomingMessage } from 'node:http';
import { readBody } from '../core/http.js';

export type JsonBody = { ok: true; value: unknown } | { ok: false };

export async function readJson(req: IncomingMessage): Promise<JsonBody> {
  const text = (await readBody(req)).toString('utf8');
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

export const INVALID_JSON_MESSAGE =
  "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)";
