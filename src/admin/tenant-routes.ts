// Tenants and their virtual keys. A key is shown once, at creation; only its SHA-256 is
// stored. Every key route is scoped by its tenant: another tenant's key id is a 404.

import { randomBytes, randomUUID } from 'node:crypto';
import { periodStart } from '../admission/admission.js';
import { GatewayError } from '../domain/errors.js';
import { hashKey } from '../http/auth.js';
import { readJsonBody, sendJson } from '../http/body.js';
import type { AccessSettings, ApiKeyRecord, LedgerStore, Tenant } from '../ledger/store.js';
import { parseSettings } from './body.js';
import type { Router } from './router.js';

export interface TenantDeps {
  store: LedgerStore;
  now: () => number;
  /** Called after a revocation so cached lookups forget the key at once. */
  onRevoke: () => void;
}

const MAX_BODY = 64 * 1024;
const EMPTY: AccessSettings = { allowedModels: null, trafficClass: null, tags: [], rpm: null, tpm: null, budgetUsd: null, budgetPeriod: null };
const notFound = (what: string): GatewayError => new GatewayError('TREATY_NOT_FOUND', `No ${what} with that id.`);

export function tenantRoutes(r: Router, deps: TenantDeps): void {
  const { store } = deps;
  const usage = async (scope: string, s: AccessSettings) =>
    s.budgetPeriod ? await store.budgetUsage(scope, periodStart(s.budgetPeriod, deps.now())) : null;
  const withUsage = async (t: Tenant) => ({ ...t, usage: await usage(`tenant:${t.id}`, t) });
  const keyView = async (k: ApiKeyRecord) => ({ ...k, usage: await usage(`key:${k.id}`, k) });
  const tenantOr404 = async (id: string): Promise<Tenant> => (await store.getTenant(id)) ?? (() => { throw notFound('tenant'); })();

  r.on('GET', '/admin/tenants', async ({ res }) => sendJson(res, 200, { tenants: await Promise.all((await store.listTenants()).map(withUsage)) }));

  r.on('POST', '/admin/tenants', async ({ req, res }) => {
    const s = parseSettings(await readJsonBody(req, MAX_BODY), true);
    const t = await store.createTenant({ ...EMPTY, ...s, name: s.name!, id: randomUUID(), createdAt: deps.now() });
    sendJson(res, 201, await withUsage(t));
  });

  r.on('GET', '/admin/tenants/:tenant', async ({ res, params }) => sendJson(res, 200, await withUsage(await tenantOr404(params.tenant!))));

  r.on('PATCH', '/admin/tenants/:tenant', async ({ req, res, params }) => {
    const s = parseSettings(await readJsonBody(req, MAX_BODY), false);
    const t = await store.updateTenant(params.tenant!, s);
    if (!t) throw notFound('tenant');
    sendJson(res, 200, await withUsage(t));
  });

  r.on('GET', '/admin/tenants/:tenant/keys', async ({ res, params }) => {
    await tenantOr404(params.tenant!);
    sendJson(res, 200, { keys: await Promise.all((await store.listKeys(params.tenant!)).map(keyView)) });
  });

  r.on('POST', '/admin/tenants/:tenant/keys', async ({ req, res, params }) => {
    await tenantOr404(params.tenant!);
    const s = parseSettings(await readJsonBody(req, MAX_BODY), true);
    // 192 random bits, URL-safe; the `tr-` prefix lets secret scanners recognise a leak.
    const secret = `tr-${randomBytes(24).toString('base64url')}`;
    const rec = await store.createKey({ ...EMPTY, ...s, name: s.name!, id: randomUUID(), tenantId: params.tenant!, hash: hashKey(secret), prefix: secret.slice(0, 8), createdAt: deps.now() });
    sendJson(res, 201, { ...(await keyView(rec)), key: secret });
  });

  r.on('GET', '/admin/tenants/:tenant/keys/:key', async ({ res, params }) => {
    const k = await store.getKey(params.tenant!, params.key!);
    if (!k) throw notFound('key for this tenant');
    sendJson(res, 200, await keyView(k));
  });

  r.on('POST', '/admin/tenants/:tenant/keys/:key/revoke', async ({ res, params }) => {
    if (!(await store.revokeKey(params.tenant!, params.key!, deps.now()))) throw notFound('key for this tenant');
    deps.onRevoke();
    sendJson(res, 200, { ok: true });
  });
}
