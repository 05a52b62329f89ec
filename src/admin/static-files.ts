// The dashboard's static files on the admin listener. They hold no data, so they are served
// without the admin key (the login page must load); everything they show comes from the
// admin API, which needs it. Strict security headers: nothing inline, nothing third-party.

import { readFile } from 'node:fs/promises';
import { extname, normalize, resolve, sep } from 'node:path';
import type { ServerResponse } from 'node:http';

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json', '.ico': 'image/x-icon' };

export const DASHBOARD_HEADERS: Record<string, string> = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

/** Serves `dir` (web/dist): `/` is index.html; true when it answered. */
export async function serveStatic(dir: string, method: string, pathname: string, res: ServerResponse): Promise<boolean> {
  if (method !== 'GET' && method !== 'HEAD') return false;
  if (pathname !== '/' && pathname !== '/index.html' && !pathname.startsWith('/assets/') && pathname !== '/favicon.ico') return false;
  const rel = pathname === '/' ? 'index.html' : decodeURIComponent(pathname).replace(/^\/+/, '');
  const root = resolve(dir);
  const file = resolve(root, normalize(rel));
  // Never outside the build folder (../ in the path).
  if (!file.startsWith(root + sep)) return false;
  let body: Buffer;
  try {
    body = await readFile(file);
  } catch {
    if (rel === 'index.html') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('The dashboard is not built: run npm run build:web (npm start does it).\n');
      return true;
    }
    return false;
  }
  // Hashed assets never change; index.html must always be fetched fresh.
  const cache = rel === 'index.html' ? 'no-cache' : 'public, max-age=31536000, immutable';
  res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'content-length': body.length, 'cache-control': cache, ...DASHBOARD_HEADERS });
  res.end(method === 'HEAD' ? undefined : body);
  return true;
}
