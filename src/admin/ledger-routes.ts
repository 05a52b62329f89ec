// The ledger through the admin API: request search, one request's attempts with their
// decisions, and spend reports (JSON or CSV).

import { GatewayError } from '../domain/errors.js';
import { sendJson } from '../http/body.js';
import type { AttemptStatus, LedgerStore, SpendDimension } from '../ledger/store.js';
import type { AdminExchange, Router } from './router.js';

export interface LedgerRouteDeps {
  store: LedgerStore;
  now: () => number;
}

const STATUSES = new Set(['started', 'ok', 'failed', 'cancelled', 'interrupted', 'orphaned']);
const DIMS = new Set(['account', 'deployment', 'model', 'tenant', 'day_account']);

function int(q: URLSearchParams, name: string, def?: number): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return def;
  const n = Number(v);
  // Whole numbers only: the stores bind these as integers (a fraction used to reach them and fail as a 500).
  if (!Number.isSafeInteger(n) || n < 0) throw new GatewayError('TREATY_INVALID_REQUEST', `"${name}" must be a non-negative whole number (epoch ms for times), got "${v.slice(0, 40)}".`, { param: name });
  return n;
}

function filterOf(q: URLSearchParams) {
  const status = q.get('status') || undefined;
  if (status && !STATUSES.has(status)) throw new GatewayError('TREATY_INVALID_REQUEST', `"status" must be one of ${[...STATUSES].join(', ')}.`, { param: 'status' });
  const f: Record<string, unknown> = {};
  for (const k of ['requestId', 'clientRequestId', 'model', 'deploymentId'] as const) if (q.get(k)) f[k] = q.get(k);
  if (q.get('tenant')) f.tenantId = q.get('tenant');
  if (status) f.status = status as AttemptStatus;
  const from = int(q, 'from');
  const to = int(q, 'to');
  if (from !== undefined) f.from = from;
  if (to !== undefined) f.to = to;
  return f;
}

export function ledgerRoutes(r: Router, deps: LedgerRouteDeps): void {
  r.on('GET', '/admin/requests', async ({ res, query }: AdminExchange) => {
    const f = filterOf(query);
    const limit = Math.min(int(query, 'limit', 50)!, 1000);
    const rows = await deps.store.listAttempts({ ...f, limit, offset: int(query, 'offset', 0)! });
    sendJson(res, 200, { rows: rows.map(({ decision: _d, ...row }) => row), total: await deps.store.countAttempts(f) });
  });

  r.on('GET', '/admin/requests/:id', async ({ res, params }) => {
    const rows = await deps.store.listAttempts({ requestId: params.id!, limit: 100 });
    if (!rows.length) throw new GatewayError('TREATY_NOT_FOUND', `No request with id "${params.id}".`);
    sendJson(res, 200, { requestId: params.id, attempts: rows.map((a) => ({ ...a, decision: a.decision ? (JSON.parse(a.decision) as unknown) : null })) });
  });

  r.on('GET', '/admin/reports/spend', async ({ res, query }) => {
    const by = query.get('by') ?? 'account';
    if (!DIMS.has(by)) throw new GatewayError('TREATY_INVALID_REQUEST', `"by" must be one of ${[...DIMS].join(', ')}.`, { param: 'by' });
    const rows = await deps.store.spendBy(by as SpendDimension, int(query, 'from', 0)!, int(query, 'to', deps.now() + 1)!, query.get('tenant') ?? undefined);
    if (query.get('format') === 'csv') {
      const cols = ['day', 'key', 'attempts', 'promptTokens', 'completionTokens', 'listCostUsd', 'effectiveCostUsd', 'estimatedAttempts', 'unpricedAttempts'] as const;
      const esc = (v: unknown): string => (v === undefined || v === null ? '' : /[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));
      const csv = [cols.join(','), ...rows.map((row) => cols.map((c) => esc((row as unknown as Record<string, unknown>)[c])).join(','))].join('\n') + '\n';
      res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8', 'content-length': Buffer.byteLength(csv) });
      res.end(csv);
      return;
    }
    sendJson(res, 200, { by, rows });
  });
}
