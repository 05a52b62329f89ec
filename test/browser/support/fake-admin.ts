// A stand-in admin API serving the documented shapes (support/fixtures.ts), with the real
// one's auth rules (no key 401, wrong key 403) and working tenant/key writes. It lets the
// Contracts, Requests and Tenants views be tested before the gateway serves those routes,
// and gives the README screenshots data with some history. `missing` turns routes into 404s.

import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fixtures } from './fixtures.js';

export const FAKE_ADMIN_KEY = 'sk-fake-admin-0123456789abcdef';

export interface FakeAdmin {
  url: string;
  data: ReturnType<typeof fixtures>;
  close(): Promise<void>;
}

const json = (res: ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
};
const notFound = (res: ServerResponse, what: string): void => json(res, 404, { error: { message: what, type: 'not_found_error', param: null, code: 'TREATY_NOT_FOUND' } });

async function body(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = '';
  for await (const c of req) text += c;
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

export async function startFakeAdmin(opts: { missing?: string[] } = {}): Promise<FakeAdmin> {
  const data = fixtures(Date.now());
  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://x');
    const auth = req.headers.authorization;
    if (!auth) return json(res, 401, { error: { message: 'The admin API needs the admin key.', type: 'authentication_error', param: null, code: 'TREATY_UNAUTHORIZED' } });
    if (auth !== `Bearer ${FAKE_ADMIN_KEY}`) return json(res, 403, { error: { message: 'This key may not use the admin API.', type: 'permission_error', param: null, code: 'TREATY_FORBIDDEN' } });
    const p = url.pathname;
    if (opts.missing?.some((m) => p.startsWith(m))) return notFound(res, `Unknown admin route ${req.method} ${p}.`);
    const seg = p.split('/').filter(Boolean).map(decodeURIComponent);
    const get = req.method === 'GET';
    if (get && p === '/admin/estate') return json(res, 200, { ...data.estate, now: Date.now() });
    if (get && p === '/admin/traffic') return json(res, 200, { ...data.traffic, now: Date.now() });
    if (get && p === '/admin/contracts') return json(res, 200, data.contracts);
    if (get && seg[1] === 'reports' && seg[2] && seg[2] in data.reports) return json(res, 200, data.reports[seg[2] as keyof typeof data.reports]);
    if (get && p === '/admin/requests') {
      const q = url.searchParams;
      const rows = data.rows.filter((r) => (!q.get('requestId') || r.requestId === q.get('requestId')) && (!q.get('tenant') || r.tenantId === q.get('tenant')) && (!q.get('model') || r.model === q.get('model')) && (!q.get('status') || r.status === q.get('status')));
      const offset = Number(q.get('offset') ?? 0);
      return json(res, 200, { rows: rows.slice(offset, offset + Number(q.get('limit') ?? 50)), total: rows.length });
    }
    if (get && seg[1] === 'requests' && seg.length === 3) return seg[2]! in data.details ? json(res, 200, data.details[seg[2]!]) : notFound(res, `No request "${seg[2]}".`);
    if (seg[1] === 'deployments' && seg[3] === 'health' && req.method === 'POST') {
      const d = data.estate.deployments.find((x) => x.id === seg[2]);
      if (!d) return notFound(res, `No deployment "${seg[2]}".`);
      Object.assign(d, { state: 'available', until: null, reason: null });
      return json(res, 200, { ok: true });
    }
    if (seg[1] === 'tenants') return tenants(req, res, seg.slice(2), data);
    return notFound(res, `Unknown admin route ${req.method} ${p}.`);
  };
  const server = createServer((req, res) => void route(req, res).catch((e: unknown) => json(res, 500, { error: { message: String(e) } })));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    data,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

async function tenants(req: IncomingMessage, res: ServerResponse, seg: string[], data: ReturnType<typeof fixtures>): Promise<void> {
  const post = req.method === 'POST';
  if (seg.length === 0) {
    if (!post) return json(res, 200, { tenants: data.tenants });
    const b = await body(req);
    if (!b.name) return json(res, 400, { error: { message: 'name is required', type: 'invalid_request_error', param: 'name', code: null } });
    const t = { id: String(b.name).toLowerCase().replace(/\W+/g, '-'), name: String(b.name), allowedModels: null, trafficClass: null, tags: [], rpm: null, tpm: null, budgetUsd: null, budgetPeriod: null, ...b, usage: { spentUsd: 0, reservedUsd: 0 } };
    data.tenants.push(t as (typeof data.tenants)[number]);
    data.keys[t.id] = [];
    return json(res, 201, t);
  }
  const t = data.tenants.find((x) => x.id === seg[0]);
  if (!t) return notFound(res, `No tenant "${seg[0]}".`);
  if (seg.length === 1) return json(res, 200, t);
  const keys = data.keys[t.id]!;
  if (seg.length === 2 && !post) return json(res, 200, { keys });
  if (seg.length === 2) {
    const b = await body(req);
    const secret = `tr-${randomBytes(16).toString('hex')}`;
    const k = { id: `key_${randomBytes(2).toString('hex')}`, name: String(b.name), prefix: `${secret.slice(0, 7)}…`, createdAt: Date.now(), revokedAt: null, allowedModels: null, rpm: null, tpm: null, budgetUsd: null, budgetPeriod: null, ...b, usage: { spentUsd: 0, reservedUsd: 0 } };
    keys.push(k);
    return json(res, 201, { ...k, key: secret });
  }
  const k = keys.find((x) => x.id === seg[2]);
  if (!k) return notFound(res, `No key "${seg[2]}" for tenant "${t.id}".`);
  if (seg[3] === 'revoke' && post) {
    k.revokedAt = Date.now();
    return json(res, 200, { ok: true });
  }
  return notFound(res, 'Unknown admin route.');
}
