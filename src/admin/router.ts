// A small method + path-pattern router for the admin API (`/admin/tenants/:tenant/keys/:key`).

import type { IncomingMessage, ServerResponse } from 'node:http';

export interface AdminExchange {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
}

export type Handler = (ex: AdminExchange) => Promise<void> | void;

interface Route {
  method: string;
  parts: string[];
  handler: Handler;
}

export class Router {
  private readonly routes: Route[] = [];

  on(method: string, pattern: string, handler: Handler): this {
    this.routes.push({ method, parts: pattern.split('/').filter(Boolean), handler });
    return this;
  }

  /** The handler and params for a request, `405` when the path exists for another method, or undefined. */
  match(method: string, path: string): { handler: Handler; params: Record<string, string> } | 405 | undefined {
    const segs = path.split('/').filter(Boolean);
    let wrongMethod = false;
    for (const r of this.routes) {
      if (r.parts.length !== segs.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < segs.length && ok; i++) {
        const p = r.parts[i]!;
        if (p.startsWith(':')) {
          try {
            params[p.slice(1)] = decodeURIComponent(segs[i]!);
          } catch {
            ok = false;
          }
        } else if (p !== segs[i]) ok = false;
      }
      if (!ok) continue;
      if (r.method !== method) {
        wrongMethod = true;
        continue;
      }
      return { handler: r.handler, params };
    }
    return wrongMethod ? 405 : undefined;
  }
}
