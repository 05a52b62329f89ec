// Writes an upstream request's bytes: the request line, the headers and Content-Length, and
// the body. Header names and values come from adapters, some from configuration and some
// derived from what a client sent, so each is checked: a CR or LF in a value would let it
// write a second request onto the connection (request smuggling), and node:http and undici
// refuse the same things.

import { TOKEN, valueKind } from '../../wire/http1-body.js';

export class RequestHeadError extends Error {
  readonly code = 'UPSTREAM_BAD_REQUEST_HEAD';
}

export interface Http1Request {
  method: 'POST' | 'GET';
  /** Absolute path, including any query string. */
  path: string;
  headers: Record<string, string>;
  body: string | Uint8Array;
}

const PATH = /^\/[\x21-\x7e]*$/;

/**
 * The request head as a string, ending in the blank line. `latin1` is true when a header value
 * holds bytes above 0x7e: the head must then be written as latin1 on its own (written as UTF-8
 * with the body, such a byte would take two).
 */
export function requestHead(req: Http1Request, hostHeader: string): { head: string; latin1: boolean; bodyBytes: number } {
  if (req.method !== 'POST' && req.method !== 'GET') throw new RequestHeadError(`unsupported upstream method ${String(req.method)}`);
  if (!PATH.test(req.path)) throw new RequestHeadError('upstream request path must start with "/" and hold only visible ASCII');
  const bodyBytes = typeof req.body === 'string' ? Buffer.byteLength(req.body) : req.body.byteLength;
  let head = req.method + ' ' + req.path + ' HTTP/1.1\r\n';
  let host = false;
  let latin1 = false;
  const headers = req.headers;
  for (const name in headers) {
    const value = headers[name]!;
    if (!TOKEN.test(name)) throw new RequestHeadError(`invalid upstream header name ${JSON.stringify(name.slice(0, 64))}`);
    const kind = valueKind(value);
    if (kind !== 'plain') {
      if (kind === 'invalid') throw new RequestHeadError(`upstream header ${name} holds a character a header value may not (a line break, a control character or one above U+00FF)`);
      latin1 = true;
    }
    switch (name.length) {
      case 4:
        if (name.toLowerCase() === 'host') host = true;
        break;
      case 10:
        // The connection is ours to manage (kept for reuse); an upgrade is not something we ask for.
        if (name.toLowerCase() === 'connection') continue;
        break;
      case 14:
        // Written below from the body itself, so it cannot disagree with what is sent.
        if (name.toLowerCase() === 'content-length') continue;
        break;
      case 17:
        if (name.toLowerCase() === 'transfer-encoding') throw new RequestHeadError('upstream requests carry a Content-Length, not a Transfer-Encoding');
        break;
    }
    head += name + ': ' + value + '\r\n';
  }
  if (!host) head = head + 'host: ' + hostHeader + '\r\n';
  head += 'content-length: ' + bodyBytes + '\r\n\r\n';
  return { head, latin1, bodyBytes };
}
