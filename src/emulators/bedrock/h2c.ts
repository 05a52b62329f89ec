// One port that speaks HTTP/1.1 and cleartext HTTP/2 (prior knowledge). The official AWS
// SDK's Bedrock Runtime client uses an HTTP/2 handler by default, so against an http://
// endpoint it opens h2c; Treaty's undici client speaks HTTP/1.1. Each connection is routed
// by its first four bytes: the HTTP/2 preface starts "PRI ", which no HTTP/1 method does.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { constants, createServer as createH2Server, type Http2Session } from 'node:http2';
import type { Socket } from 'node:net';
import { listen, resetConnection, sendJson, type RunningServer } from '../core/http.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export async function listenHttp1AndH2c(handler: Handler, port = 0): Promise<RunningServer> {
  const running = await listen(handler, port);
  // The compatibility API's request/response mirror node:http's closely enough for the handler.
  const h2 = createH2Server((req, res) => {
    handler(req as unknown as IncomingMessage, res as unknown as ServerResponse).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res as unknown as ServerResponse, 500, { error: { message: `emulator bug: ${(err as Error).message}` } });
      else res.stream.close(constants.NGHTTP2_INTERNAL_ERROR);
    });
  });
  const sessions = new Set<Http2Session>();
  h2.on('session', (s) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
  });

  const server = running.server;
  const http1 = server.listeners('connection') as ((s: Socket) => void)[];
  server.removeAllListeners('connection');
  // Connections that have not sent four bytes yet belong to neither server, so close() must end them.
  const unrouted = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    unrouted.add(socket);
    socket.once('close', () => unrouted.delete(socket));
    const route = (): void => {
      const head = socket.read(4) as Buffer | null;
      if (head === null) {
        socket.once('readable', route);
        return;
      }
      unrouted.delete(socket);
      socket.unshift(head);
      if (head.toString('latin1') === 'PRI ') h2.emit('connection', socket);
      else for (const l of http1) l.call(server, socket);
    };
    route();
  });

  return {
    ...running,
    close: async () => {
      for (const s of sessions) s.destroy();
      for (const s of unrouted) s.destroy();
      await running.close();
    },
  };
}

/** A reset of this request: RST_STREAM on HTTP/2, a TCP reset on HTTP/1.1. */
export function resetRequest(res: ServerResponse): void {
  const stream = (res as unknown as { stream?: { close(code: number): void } }).stream;
  if (stream) stream.close(constants.NGHTTP2_INTERNAL_ERROR);
  else resetConnection(res);
}
