// The HTTP client for every upstream: one keep-alive undici Pool per origin. Timing policy
// (deadlines, first-token and idle timers) belongs to the proxy, so undici's own timeouts
// are set wide and the proxy aborts through the signal.

import { Pool } from 'undici';
import type { UpstreamHttpRequest, UpstreamResponseHead } from './adapter.js';

export interface UpstreamResponse {
  head: UpstreamResponseHead;
  body: AsyncIterable<Uint8Array>;
  /** Reads the whole body, refusing more than `limit` bytes (upstream output is untrusted). */
  readAll(limit?: number): Promise<Uint8Array>;
  /** Releases the connection without reading the rest. */
  discard(): void;
}

export interface UpstreamTransport {
  send(baseUrl: string, req: UpstreamHttpRequest, signal: AbortSignal): Promise<UpstreamResponse>;
  close(): Promise<void>;
}

export class BodyTooLargeError extends Error {}

const DEFAULT_BODY_LIMIT = 32 * 1024 * 1024;

export function createUndiciTransport(opts: { connectionsPerOrigin?: number; connectTimeoutMs?: number } = {}): UpstreamTransport {
  const pools = new Map<string, Pool>();
  // Keyed by the deployment's baseUrl as written, so the URL is parsed once, not per request.
  const poolFor = (baseUrl: string): Pool => {
    let p = pools.get(baseUrl);
    if (!p) {
      p = new Pool(new URL(baseUrl).origin, {
        connections: opts.connectionsPerOrigin ?? 256,
        connect: { timeout: opts.connectTimeoutMs ?? 10_000 },
        headersTimeout: 0,
        bodyTimeout: 0,
        keepAliveTimeout: 30_000,
        pipelining: 1,
      });
      pools.set(baseUrl, p);
    }
    return p;
  };
  return {
    async send(baseUrl, req, signal) {
      const res = await poolFor(baseUrl).request({ method: req.method, path: req.path, headers: req.headers, body: req.body, signal });
      const body = res.body;
      return {
        head: { status: res.statusCode, headers: res.headers as UpstreamResponseHead['headers'] },
        body: body as AsyncIterable<Uint8Array>,
        async readAll(limit = DEFAULT_BODY_LIMIT) {
          const chunks: Buffer[] = [];
          let size = 0;
          for await (const c of body) {
            size += (c as Buffer).length;
            if (size > limit) {
              body.destroy();
              throw new BodyTooLargeError(`upstream body exceeded ${limit} bytes`);
            }
            chunks.push(c as Buffer);
          }
          return Buffer.concat(chunks);
        },
        discard() {
          body.destroy();
        },
      };
    },
    async close() {
      await Promise.all([...pools.values()].map((p) => p.destroy()));
      pools.clear();
    },
  };
}
