// The admin listener: its own port (loopback by default), its own key, and the admin API
// routes. Every error is OpenAI-shaped like the data plane's.

import { createServer, type Server } from 'node:http';
import { GatewayError } from '../domain/errors.js';
import { sendError } from '../http/body.js';
import type { Logger } from '../observability/logger.js';
import type { AdminAuth } from './auth.js';
import { Router, type AdminExchange } from './router.js';

export interface AdminServerDeps {
  auth: AdminAuth;
  log: Logger;
  /** Registers the routes (estate, tenants, ledger, …). */
  routes: ((r: Router) => void)[];
  /** Prometheus text exposition for GET /metrics (admin key required, like every route). */
  metrics?: () => Promise<{ contentType: string; body: string }>;
  /** Requests outside /admin (the dashboard's static files); return false if not handled. */
  fallback?: (ex: AdminExchange) => Promise<boolean> | boolean;
}

export function createAdminServer(deps: AdminServerDeps): Server {
  const router = new Router();
  for (const register of deps.routes) register(router);
  return createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://admin');
    const ex: AdminExchange = { req, res, params: {}, query: url.searchParams };
    const handle = async (): Promise<void> => {
      if (url.pathname === '/metrics' && deps.metrics) {
        deps.auth.check(req);
        const m = await deps.metrics();
        res.writeHead(200, { 'content-type': m.contentType, 'content-length': Buffer.byteLength(m.body) });
        res.end(m.body);
        return;
      }
      if (!url.pathname.startsWith('/admin/')) {
        if (deps.fallback && (await deps.fallback(ex))) return;
        throw new GatewayError('TREATY_NOT_FOUND', `Unknown admin route ${url.pathname}.`);
      }
      deps.auth.check(req);
      const m = router.match(req.method ?? 'GET', url.pathname);
      if (m === 405) throw new GatewayError('TREATY_METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${url.pathname}.`);
      if (!m) throw new GatewayError('TREATY_NOT_FOUND', `Unknown admin route ${req.method} ${url.pathname}.`);
      ex.params = m.params;
      await m.handler(ex);
    };
    handle().catch((err: unknown) => {
      const gerr = err instanceof GatewayError ? err : new GatewayError('TREATY_INTERNAL', 'The admin API hit an internal error.');
      if (!(err instanceof GatewayError)) deps.log.error('admin internal error', { err });
      if (!res.headersSent) sendError(res, gerr);
      else res.destroy();
    });
  });
}
