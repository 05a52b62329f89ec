// Builds the dashboard with Vite's JS API into a temp folder (each test file its own, so two
// vitest workers never race on web/dist) and serves it with /admin/* proxied to the admin
// listener: the app talks to same-origin /admin/… exactly as it will when the admin listener
// serves it, with no CORS. The headers are the ones the admin listener should send too.

import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

export async function buildDashboard(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'treaty-web-'));
  await build({ configFile: join(ROOT, 'web/vite.config.ts'), logLevel: 'warn', build: { outDir: dir, emptyOutDir: true } });
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json' };

/** Security headers for the dashboard's static files: nothing inline, nothing third-party. */
export const DASHBOARD_HEADERS: Record<string, string> = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

function proxy(req: IncomingMessage, res: ServerResponse, target: URL): void {
  const up = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } }, (r) => {
    res.writeHead(r.statusCode ?? 502, r.headers);
    r.pipe(res);
  });
  up.on('error', () => {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: 'admin API unreachable', type: 'proxy_error', param: null, code: null } }));
  });
  req.pipe(up);
}

async function serveFile(dir: string, pathname: string, res: ServerResponse): Promise<void> {
  const rel = pathname === '/' ? 'index.html' : decodeURIComponent(pathname).replace(/^\/+/, '');
  const file = resolve(dir, normalize(rel));
  // Never serve outside the build folder (../ in the path).
  if (file !== dir && !file.startsWith(dir + sep)) return void res.writeHead(404).end();
  try {
    const body = await readFile(file);
    // Hashed assets never change; index.html must always be fetched fresh.
    const cache = rel === 'index.html' ? 'no-cache' : 'public, max-age=31536000, immutable';
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': cache, ...DASHBOARD_HEADERS });
    res.end(body);
  } catch {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  }
}

export async function serveDashboard(dir: string, adminUrl: string): Promise<{ url: string; close(): Promise<void> }> {
  const target = new URL(adminUrl);
  const root = resolve(dir);
  const server = createServer((req, res) => {
    const { pathname } = new URL(req.url ?? '/', 'http://x');
    if (pathname.startsWith('/admin/')) return proxy(req, res, target);
    if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405).end();
    void serveFile(root, pathname, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
