// What the routes see of a client's request and its answer, whichever server carries them:
// Treaty's own HTTP/1.1 listener (h1/) or node:http's (server.downstreamServer: node).

import type { IncomingMessage } from 'node:http';
import type { H1Request } from './h1/request.js';

export type DownstreamRequest = IncomingMessage | H1Request;

/** The part of an answer the routes and the stream writer use. */
export interface DownstreamResponse {
  statusCode: number;
  readonly headersSent: boolean;
  /** The connection is gone (or the answer was cut). */
  readonly destroyed: boolean;
  readonly writableFinished: boolean;
  writeHead(statusCode: number, headers?: Record<string, string | number> | (string | number)[]): unknown;
  /** False when the client is slow to read: wait for drained(). */
  write(text: string): boolean;
  end(body?: string | Buffer): unknown;
  /** Sends what is buffered now rather than at the turn's end. */
  uncork(): void;
  destroy(): unknown;
  /** Resolves when the client can take more, or is gone. */
  drained(): Promise<void>;
}

/** The part of an answer sendJson and sendError use (the admin API's node:http responses too). */
export interface JsonResponder {
  readonly headersSent: boolean;
  writeHead(statusCode: number, headers?: Record<string, string | number>): unknown;
  end(body?: string): unknown;
}
