// Helpers for the h1 server's tests: a server on a free port (closed by stopServer), a raw
// socket client that sees every byte, and an echoing handler.

import { connect, type AddressInfo, type Socket } from 'node:net';
import { TOO_LARGE } from './request.js';
import { createH1Server, type H1Handler, type H1Server, type H1ServerOptions } from './server.js';

let server: H1Server | undefined;

/** The server listen() started (for the test's own calls on it). */
export function current(): H1Server {
  if (!server) throw new Error('no server: call listen() first');
  return server;
}

/** Closes the server listen() started, its connections first; for afterEach. */
export async function stopServer(): Promise<void> {
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
}

export async function listen(handler: H1Handler, opts: Partial<H1ServerOptions> = {}): Promise<number> {
  server = createH1Server({ maxBodyBytes: 64 * 1024, keepAliveTimeoutMs: 5_000, headersTimeoutMs: 6_000, errorBody: (status, message) => JSON.stringify({ error: { status, message } }), sweepIntervalMs: 0, ...opts }, handler);
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

/** A raw client: everything the server sends, as text, and whether the server closed. */
export async function raw(port: number): Promise<{ socket: Socket; text: () => string; closed: Promise<void>; until: (re: RegExp) => Promise<string> }> {
  const socket = connect(port, '127.0.0.1');
  let text = '';
  const waiters: (() => void)[] = [];
  socket.on('data', (d: Buffer) => {
    text += d.toString('latin1');
    for (const w of waiters.splice(0)) w();
  });
  const closed = new Promise<void>((r) => socket.on('close', () => {
    for (const w of waiters.splice(0)) w();
    r();
  }));
  await new Promise<void>((r) => socket.once('connect', r));
  const until = async (re: RegExp): Promise<string> => {
    while (!re.test(text)) {
      if (socket.destroyed) throw new Error(`closed before ${re}: ${JSON.stringify(text)}`);
      await new Promise<void>((r) => waiters.push(r));
    }
    return text;
  };
  return { socket, text: () => text, closed, until };
}

/** Answers `{"url":…,"body":…}` after reading the body. */
export const echo: H1Handler = (req, res) => {
  void req.readBody(1 << 20).then((b) => {
    const body = JSON.stringify({ url: req.url, method: req.method, body: b === TOO_LARGE ? 'too large' : b.toString() });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
};

export const count = (s: string, re: RegExp): number => s.match(new RegExp(re, 'g'))?.length ?? 0;
