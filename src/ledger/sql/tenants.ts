// Tenants and their virtual keys. Every key read except findKeyByHash is scoped by tenant in
// the WHERE clause itself, so a cross-tenant id looks exactly like a missing one (G20).

import { randomUUID } from 'node:crypto';
import type { ApiKeyRecord, KeyInput, Tenant, TenantInput, TenantPatch } from '../store.js';
import type { Db } from './db.js';
import { accessToColumns, rowToKey, rowToTenant } from './rows.js';
import { checkAccess, checkBudgetPair } from './validate.js';

// Every column except the hash: records never carry it (see ApiKeyRecord).
const KEY_COLUMNS = [
  'id', 'tenant_id', 'name', 'prefix', 'created_at', 'revoked_at',
  'allowed_models', 'traffic_class', 'tags', 'rpm', 'tpm', 'budget_nano_usd', 'budget_period',
] as const;

/** Access columns of a tenant or key that sets none: every model, no limits, no budget. */
const NO_ACCESS_LIMITS = { allowed_models: null, traffic_class: null, tags: '[]', rpm: null, tpm: null, budget_nano_usd: null, budget_period: null } as const;

export async function createTenant(db: Db, t: TenantInput, now: number): Promise<Tenant> {
  checkAccess(t);
  checkBudgetPair(t);
  const row = {
    id: t.id ?? randomUUID(),
    name: t.name,
    created_at: t.createdAt ?? now,
    ...NO_ACCESS_LIMITS,
    ...accessToColumns(t),
  };
  await db.insertInto('tenants').values(row).execute();
  return rowToTenant(row);
}

export async function getTenant(db: Db, id: string): Promise<Tenant | undefined> {
  const r = await db.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst();
  return r && rowToTenant(r);
}

export async function listTenants(db: Db): Promise<Tenant[]> {
  const rows = await db.selectFrom('tenants').selectAll().orderBy('created_at').orderBy('id').execute();
  return rows.map(rowToTenant);
}

export async function updateTenant(db: Db, id: string, patch: TenantPatch): Promise<Tenant | undefined> {
  checkAccess(patch);
  const current = await getTenant(db, id);
  if (!current) return undefined;
  // Check the pair as it will be after the patch, not the patch alone.
  checkBudgetPair({ ...current, ...definedOnly(patch) });
  const set = { ...accessToColumns(patch), ...(patch.name !== undefined ? { name: patch.name } : {}) };
  if (Object.keys(set).length > 0) await db.updateTable('tenants').set(set).where('id', '=', id).execute();
  return getTenant(db, id);
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export async function createKey(db: Db, k: KeyInput): Promise<ApiKeyRecord> {
  checkAccess(k);
  checkBudgetPair(k);
  const row = {
    id: k.id,
    tenant_id: k.tenantId,
    name: k.name,
    hash: k.hash,
    prefix: k.prefix,
    created_at: k.createdAt,
    revoked_at: null,
    ...NO_ACCESS_LIMITS,
    ...accessToColumns(k),
  };
  // The foreign key rejects an unknown tenant; the unique index rejects a reused hash.
  await db.insertInto('api_keys').values(row).execute();
  return rowToKey(row);
}

export async function findKeyByHash(db: Db, hash: string): Promise<ApiKeyRecord | undefined> {
  const r = await db
    .selectFrom('api_keys')
    .select(KEY_COLUMNS)
    .where('hash', '=', hash)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return r && rowToKey(r);
}

export async function listKeys(db: Db, tenantId: string): Promise<ApiKeyRecord[]> {
  const rows = await db
    .selectFrom('api_keys')
    .select(KEY_COLUMNS)
    .where('tenant_id', '=', tenantId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map(rowToKey);
}

export async function getKey(db: Db, tenantId: string, keyId: string): Promise<ApiKeyRecord | undefined> {
  const r = await db
    .selectFrom('api_keys')
    .select(KEY_COLUMNS)
    .where('tenant_id', '=', tenantId)
    .where('id', '=', keyId)
    .executeTakeFirst();
  return r && rowToKey(r);
}

export async function revokeKey(db: Db, tenantId: string, keyId: string, at: number): Promise<boolean> {
  // Keep the first revocation time: revoking again must not rewrite history.
  await db
    .updateTable('api_keys')
    .set({ revoked_at: at })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', keyId)
    .where('revoked_at', 'is', null)
    .execute();
  return (await getKey(db, tenantId, keyId)) !== undefined;
}
