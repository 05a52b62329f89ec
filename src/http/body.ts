// Reading and answering on the downstream socket: a size-capped JSON body reader and the
// one function that writes an error in OpenAI's shape.

import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../domain/errors.js';
import type { DownstreamRequest, JsonResponder } from './downstream.js';
import { BodyAbortedError, H1Request, TOO_LARGE } from './h1/request.js';

export async function readJsonBody(req: DownstreamRequest, maxBytes: number): Promise<unknown> {
  return (await readJsonBodyText(req, maxBytes)).value;
}

/** The parsed body and its exact text (Idempotency-Key compares bodies byte for byte). */
export async function readJsonBodyText(req: DownstreamRequest, maxBytes: number): Promise<{ value: unknown; text: string }> {
  const type = req.headers['content-type'] as string | undefined;
  if (type && type !== 'application/json' && !/^application\/(.+\+)?json\b/i.test(type) && !/^text\/plain\b/i.test(type)) {
    throw new GatewayError('TREATY_UNSUPPORTED_MEDIA_TYPE', `Content-Type must be application/json (got ${JSON.stringify(type.slice(0, 80))}).`);
  }
  let body: Buffer;
  if (req instanceof H1Request) {
    const b = await req.readBody(maxBytes).catch((err: unknown) => {
      // The listener already answered a body it could not read (or the client left): the
      // route stops here as a refused request, not an internal error.
      throw err instanceof BodyAbortedError ? new GatewayError('TREATY_INVALID_REQUEST', 'The request body could not be read to its end.') : err;
    });
    if (b === TOO_LARGE) throw tooLarge(maxBytes);
    body = b;
  } else {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      req.resume();
      throw tooLarge(maxBytes);
    }
    body = await collect(req, maxBytes);
  }
  const text = body.toString('utf8');
  if (text.trim() === '') throw new GatewayError('TREATY_INVALID_JSON', 'The request body is empty; send a JSON object.');
  try {
    return { value: JSON.parse(text) as unknown, text };
  } catch (err) {
    throw new GatewayError('TREATY_INVALID_JSON', `We could not parse the JSON body of your request (${(err as Error).message}). Check for a trailing comma or an unquoted key.`);
  }
}

/**
 * The body's bytes, refusing more than `maxBytes`. Read with 'data' events rather than the
 * stream's async iterator, which costs a generator and several listeners per request.
 */
function collect(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (c: Buffer): void => {
      size += c.length;
      if (size > maxBytes) {
        done();
        req.resume();
        reject(tooLarge(maxBytes));
        return;
      }
      chunks.push(c);
    };
    const onEnd = (): void => {
      done();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (err: Error): void => {
      done();
      reject(err);
    };
    // The client went away before the body ended.
    const onClose = (): void => onError(new Error('the request was aborted before its body ended'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

function tooLarge(maxBytes: number): GatewayError {
  return new GatewayError('TREATY_BODY_TOO_LARGE', `The request body is larger than ${maxBytes} bytes; send a smaller request (the limit is server.maxBodyBytes).`);
}

export function sendJson(res: JsonResponder, status: number, body: unknown, headers: Record<string, string | number> = {}): void {
  const text = JSON.stringify(body);
  if (res.headersSent) return;
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendError(res: JsonResponder, err: GatewayError, headers: Record<string, string | number> = {}): void {
  const extra: Record<string, string | number> = { ...headers };
  if (err.options.retryAfterMs !== undefined) {
    extra['retry-after'] = Math.max(1, Math.ceil(err.options.retryAfterMs / 1000));
    extra['retry-after-ms'] = Math.ceil(err.options.retryAfterMs);
  }
  sendJson(res, err.status, err.toBody(), extra);
}
