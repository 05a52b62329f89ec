// Tenants and virtual keys (scoping, revocation) and schema migrations.

import { expect, it } from 'vitest';
import type { KeyInput } from '../store.js';
import { start, T0, tenant } from './fixtures.js';
import type { CurrentHarness } from './store-suite.js';

function key(over: Partial<KeyInput> = {}): KeyInput {
  return {
    id: 'key-1', tenantId: 'tenant-a', name: 'ci', hash: 'a'.repeat(64), prefix: 'tr-abc',
    allowedModels: ['frontier'], tags: ['batch'], trafficClass: 'batch', rpm: 60, tpm: 100_000,
    budgetUsd: 12.5, budgetPeriod: 'day', createdAt: T0,
    ...over,
  };
}

export function accountCases(h: CurrentHarness): void {
  it('a tenant round-trips with its limits, and gets an id when none is given', async () => {
    const s = h().store;
    const a = await s.createTenant(tenant({ id: 'tenant-a', allowedModels: ['frontier', 'open'], trafficClass: 'interactive', tags: ['eu', 'gold'], rpm: 100, tpm: 50_000, budgetUsd: 250.75, budgetPeriod: 'month', createdAt: T0 }));
    expect(await s.getTenant('tenant-a')).toEqual(a);
    expect(a).toMatchObject({ allowedModels: ['frontier', 'open'], tags: ['eu', 'gold'], budgetUsd: 250.75, budgetPeriod: 'month', createdAt: T0 });
    const b = await s.createTenant(tenant({ name: 'Tenant B', createdAt: T0 + 1 }));
    expect(b.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(b).toMatchObject({ allowedModels: null, trafficClass: null, rpm: null, budgetUsd: null });
    expect((await s.listTenants()).map((t) => t.id)).toEqual(['tenant-a', b.id]);
    expect(await s.getTenant('nobody')).toBeUndefined();
  });

  it('updating a tenant changes only the fields given', async () => {
    const s = h().store;
    await s.createTenant(tenant({ id: 'tenant-a', rpm: 100, tags: ['x'] }));
    const u = await s.updateTenant('tenant-a', { name: 'Renamed', budgetUsd: 5, budgetPeriod: 'day', allowedModels: ['open'] });
    expect(u).toMatchObject({ name: 'Renamed', rpm: 100, tags: ['x'], budgetUsd: 5, budgetPeriod: 'day', allowedModels: ['open'] });
    expect(await s.getTenant('tenant-a')).toEqual(u);
    expect(await s.updateTenant('nobody', { name: 'x' })).toBeUndefined();
  });

  it('a budget without a period is refused, on create and on update', async () => {
    const s = h().store;
    await expect(s.createTenant(tenant({ budgetUsd: 5 }))).rejects.toThrow(/budgetPeriod/);
    await s.createTenant(tenant({ id: 'tenant-a' }));
    await expect(s.updateTenant('tenant-a', { budgetPeriod: 'day' })).rejects.toThrow(/budgetPeriod/);
  });

  it('a key is found by its hash, scoped to its tenant, and never carries the hash back', async () => {
    const s = h().store;
    await s.createTenant(tenant({ id: 'tenant-a' }));
    await s.createTenant(tenant({ id: 'tenant-b', name: 'B' }));
    const k = await s.createKey(key());
    await s.createKey(key({ id: 'key-b', tenantId: 'tenant-b', hash: 'b'.repeat(64) }));
    expect(k).toEqual({ id: 'key-1', tenantId: 'tenant-a', name: 'ci', prefix: 'tr-abc', allowedModels: ['frontier'], tags: ['batch'], trafficClass: 'batch', rpm: 60, tpm: 100_000, budgetUsd: 12.5, budgetPeriod: 'day', createdAt: T0, revokedAt: null });
    expect(await s.findKeyByHash('a'.repeat(64))).toEqual(k);
    expect(await s.findKeyByHash('c'.repeat(64))).toBeUndefined();
    expect(await s.getKey('tenant-a', 'key-1')).toEqual(k);
    // Another tenant's id looks exactly like a missing one (G20: cross-tenant ids are 404s).
    expect(await s.getKey('tenant-b', 'key-1')).toBeUndefined();
    expect((await s.listKeys('tenant-a')).map((x) => x.id)).toEqual(['key-1']);
    expect((await s.listKeys('tenant-b')).map((x) => x.id)).toEqual(['key-b']);
  });

  it('a revoked key stops authenticating at once; revocation is scoped and keeps its first time', async () => {
    const s = h().store;
    await s.createTenant(tenant({ id: 'tenant-a' }));
    await s.createTenant(tenant({ id: 'tenant-b', name: 'B' }));
    await s.createKey(key());
    expect(await s.revokeKey('tenant-b', 'key-1', T0 + 5)).toBe(false);
    expect(await s.findKeyByHash('a'.repeat(64))).toBeDefined();
    expect(await s.revokeKey('tenant-a', 'key-1', T0 + 10)).toBe(true);
    expect(await s.findKeyByHash('a'.repeat(64))).toBeUndefined();
    expect(await s.revokeKey('tenant-a', 'key-1', T0 + 20)).toBe(true);
    expect((await s.getKey('tenant-a', 'key-1'))?.revokedAt).toBe(T0 + 10);
    expect((await s.listKeys('tenant-a'))[0]?.revokedAt).toBe(T0 + 10);
    expect(await s.revokeKey('tenant-a', 'nope', T0)).toBe(false);
  });

  it('a key for an unknown tenant, or with a hash already in use, is refused', async () => {
    const s = h().store;
    await expect(s.createKey(key({ tenantId: 'nobody' }))).rejects.toThrow();
    await s.createTenant(tenant({ id: 'tenant-a' }));
    await s.createKey(key());
    await expect(s.createKey(key({ id: 'key-2' }))).rejects.toThrow();
    expect(await s.listKeys('tenant-a')).toHaveLength(1);
  });

  it('migrating again, and from a second instance, changes nothing and keeps the data', async () => {
    const s = h().store;
    await s.createTenant(tenant({ id: 'tenant-a' }));
    await s.beginAttempt(start());
    await s.migrate();
    // A journaled store commits its writes a few ms later; its own read commits them now.
    if (h().journaled) expect(await s.countAttempts({})).toBe(1);
    const second = await h().openSecond();
    // Sequential: two SQLite stores in ONE process must not write concurrently (the driver
    // is synchronous, so one would block the thread the other needs to commit).
    await second.migrate();
    expect(await second.getTenant('tenant-a')).toBeDefined();
    expect(await second.countAttempts({})).toBe(1);
  });
}
