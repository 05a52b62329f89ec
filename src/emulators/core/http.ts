// HTTP plumbing every emulated cloud shares: body reading, the "peer went away" signal, the
// emulator admin routes (faults, attempt log) and starting a server on 127.0.0.1.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { EmulatorEngine } from './engine.js';
import { buildFault } from './faults.js';
import type { EmulatedProvider, FaultSpec } from './types.js';

/** The whole body. Read by events, not `for await`: the async iterator cost this upstream's hot path a visible share per request. */
export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.once('error', reject);
    // A peer that goes away mid-body: 'end' never comes, so stop waiting.
    req.once('close', () => {
      if (!req.complete) reject(new Error('request body was cut off'));
    });
  });
}

/** Aborts when the connection closes before the response finished: Treaty gave up on us. */
export function peerGoneSignal(res: ServerResponse): AbortSignal {
  const ac = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) ac.abort();
  });
  return ac.signal;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Destroys the socket without a response: what a reset before headers looks like. */
export function resetConnection(res: ServerResponse): void {
  const socket = res.socket as Socket | null;
  // resetAndDestroy sends a TCP RST, which is what a crashed or overloaded upstream looks like.
  if (socket && typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
  else if (socket) socket.destroy();
  else res.destroy();
}

/**
 * Routes under /_emulator/ (no auth: it is a test tool bound to loopback):
 *   GET    /_emulator/attempts[?deployment=]        the attempt log
 *   DELETE /_emulator/attempts                        clear it
 *   PUT    /_emulator/deployments/{name}/faults      body [{fault, tokens?, ms?, count?}]
 *   PATCH  /_emulator/deployments/{name}             body {ttftMs?, tokensPerSec?, ...}
 * Returns the answer in progress for such a request, undefined for every other one.
 */
export function handleEmulatorAdmin(engine: EmulatorEngine, provider: EmulatedProvider, req: IncomingMessage, res: ServerResponse): Promise<void> | undefined {
  // Every request passes here: the cloud's own routes are told apart without parsing a URL or making a promise.
  return (req.url ?? '/').startsWith('/_emulator/') ? handleAdmin(engine, provider, req, res) : undefined;
}

/** The path of a request target, without its query; a target with escapes or dot segments goes through URL. */
export function pathOf(target: string | undefined): string {
  const t = target ?? '/';
  if (/[%.\\#]/.test(t)) return new URL(t, 'http://x').pathname;
  const q = t.indexOf('?');
  return q === -1 ? t : t.slice(0, q);
}

async function handleAdmin(engine: EmulatorEngine, provider: EmulatedProvider, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://x');
  const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  try {
    if (parts[1] === 'attempts' && req.method === 'GET') {
      sendJson(res, 200, { data: engine.attempts({ provider, ...(url.searchParams.get('deployment') ? { deployment: url.searchParams.get('deployment')! } : {}) }) });
    } else if (parts[1] === 'attempts' && req.method === 'DELETE') {
      engine.clearAttempts();
      sendJson(res, 200, { ok: true });
    } else if (parts[1] === 'deployments' && parts[2] && parts[3] === 'faults' && req.method === 'PUT') {
      const raw = JSON.parse((await readBody(req)).toString('utf8') || '[]') as Record<string, unknown>[];
      const faults: FaultSpec[] = raw.map((f) => buildFault(String(f.fault), f));
      if (!engine.setFaults(provider, parts[2], faults)) return sendJson(res, 404, { error: 'unknown deployment' });
      sendJson(res, 200, { ok: true, faults });
    } else if (parts[1] === 'deployments' && parts[2] && !parts[3] && req.method === 'PATCH') {
      const patch = JSON.parse((await readBody(req)).toString('utf8') || '{}') as Record<string, unknown>;
      if (!engine.patchDeployment(provider, parts[2], patch)) return sendJson(res, 404, { error: 'unknown deployment' });
      sendJson(res, 200, { ok: true });
    } else {
      sendJson(res, 404, { error: 'unknown emulator admin route' });
    }
  } catch (err) {
    sendJson(res, 400, { error: (err as Error).message });
  }
}

export interface RunningServer {
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

export async function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => Promise<void> | void,
  port = 0,
  host = '127.0.0.1',
): Promise<RunningServer> {
  const server = createServer((req, res) => {
    Promise.resolve(handler(req, res)).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: { message: `emulator bug: ${(err as Error).message}` } });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  return {
    url: `http://${host}:${addr.port}`,
    port: addr.port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
