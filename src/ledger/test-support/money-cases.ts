// Spend reports, commitment spend-to-date, budget reservations under concurrency (G17) and
// Idempotency-Key states (G19).

import { expect, it } from 'vitest';
import type { AttemptFinish, AttemptStart, LedgerStore } from '../store.js';
import { finish, start, T0 } from './fixtures.js';
import type { CurrentHarness } from './store-suite.js';

const DAY = 86_400_000;

async function attempt(s: LedgerStore, st: Partial<AttemptStart>, fin?: Partial<AttemptFinish>): Promise<void> {
  await s.beginAttempt(start(st));
  if (fin) await s.finishAttempt(finish({ requestId: st.requestId ?? 'req-1', attemptNo: st.attemptNo ?? 1, ...fin }));
}

/** Two accounts, three deployments, two tenants; one estimate, one unpriced, one in flight. */
async function seed(s: LedgerStore): Promise<void> {
  await attempt(s, { requestId: 'a', account: 'acct-east', deploymentId: 'dep-east', model: 'frontier', tenantId: 'tenant-a' },
    { promptTokens: 100, completionTokens: 10, listCostUsd: 0.3, effectiveCostUsd: 0.1 });
  await attempt(s, { requestId: 'b', account: 'acct-east', deploymentId: 'dep-east-2', model: 'open', tenantId: 'tenant-b', startedAt: T0 + 1 },
    { promptTokens: 200, completionTokens: 20, listCostUsd: 0.6, effectiveCostUsd: 0.2 });
  await attempt(s, { requestId: 'c', account: 'acct-west', deploymentId: 'dep-west', model: 'frontier', tenantId: 'tenant-a', startedAt: T0 + DAY },
    { promptTokens: 300, completionTokens: 30, usageSource: 'estimated', listCostUsd: 0.9, effectiveCostUsd: 0.7 });
  await attempt(s, { requestId: 'd', account: 'acct-west', deploymentId: 'dep-west', model: 'frontier', tenantId: null, startedAt: T0 + DAY },
    { promptTokens: 5, completionTokens: null, listCostUsd: null, effectiveCostUsd: null });
  await attempt(s, { requestId: 'e', account: 'acct-west', deploymentId: 'dep-west', model: 'frontier', tenantId: 'tenant-a', startedAt: T0 + DAY });
  // Outside every report window below.
  await attempt(s, { requestId: 'old', account: 'acct-east', startedAt: T0 - 10 * DAY }, { listCostUsd: 100, effectiveCostUsd: 100 });
}

export function moneyCases(h: CurrentHarness): void {
  it('spend by account, deployment, model and tenant sums known figures and counts the rest', async () => {
    const s = h().store;
    await seed(s);
    const from = T0;
    const to = T0 + 2 * DAY;
    expect(await s.spendBy('account', from, to)).toEqual([
      { key: 'acct-east', attempts: 2, promptTokens: 300, completionTokens: 30, listCostUsd: 0.9, effectiveCostUsd: 0.3, estimatedAttempts: 0, unpricedAttempts: 0 },
      { key: 'acct-west', attempts: 3, promptTokens: 305, completionTokens: 30, listCostUsd: 0.9, effectiveCostUsd: 0.7, estimatedAttempts: 1, unpricedAttempts: 2 },
    ]);
    expect((await s.spendBy('deployment', from, to)).map((r) => [r.key, r.attempts])).toEqual([['dep-east', 1], ['dep-east-2', 1], ['dep-west', 3]]);
    expect((await s.spendBy('model', from, to)).map((r) => [r.key, r.effectiveCostUsd])).toEqual([['frontier', 0.8], ['open', 0.2]]);
    const byTenant = await s.spendBy('tenant', from, to);
    expect(byTenant.map((r) => [r.key, r.attempts, r.effectiveCostUsd])).toEqual(
      expect.arrayContaining([[null, 1, 0], ['tenant-a', 3, 0.8], ['tenant-b', 1, 0.2]]),
    );
    expect(byTenant).toHaveLength(3);
    expect((await s.spendBy('model', from, to, 'tenant-b')).map((r) => r.key)).toEqual(['open']);
  });

  it('spend by day and account splits at UTC midnight, ready to match an invoice export', async () => {
    const s = h().store;
    await seed(s);
    const rows = await s.spendBy('day_account', T0 - 20 * DAY, T0 + 2 * DAY);
    expect(rows.map((r) => [r.day, r.key, r.attempts, r.effectiveCostUsd])).toEqual([
      ['2025-01-05', 'acct-east', 1, 100],
      ['2025-01-15', 'acct-east', 2, 0.3],
      ['2025-01-16', 'acct-west', 3, 0.7],
    ]);
  });

  it('spend to date sums effective cost of the given accounts inside the window', async () => {
    const s = h().store;
    await seed(s);
    expect(await s.spendToDate(['acct-east'], T0, T0 + DAY)).toBe(0.3);
    expect(await s.spendToDate(['acct-east', 'acct-west'], T0, T0 + 2 * DAY)).toBe(1);
    expect(await s.spendToDate(['acct-east'], T0 - 20 * DAY, T0 + 2 * DAY)).toBe(100.3);
    expect(await s.spendToDate([], T0, T0 + DAY)).toBe(0);
    expect(await s.spendToDate(['acct-none'], T0, T0 + DAY)).toBe(0);
  });

  it('served counts group ok attempts by model, deployment, account and the class their decision recorded', async () => {
    const s = h().store;
    const dec = (cls: string | null): string => JSON.stringify({ version: 'v', class: cls, candidates: [], ranked: [] });
    await attempt(s, { requestId: 'e1', decision: dec('enterprise') }, {});
    await attempt(s, { requestId: 'e2', decision: dec('enterprise'), startedAt: T0 + 5 }, {});
    await attempt(s, { requestId: 'e3', decision: dec('enterprise'), deploymentId: 'dep-west', account: 'acct-west', startedAt: T0 + 6 }, {});
    await attempt(s, { requestId: 'n1', decision: dec(null), startedAt: T0 + 7 }, {});
    await attempt(s, { requestId: 'x1', decision: null, model: 'open', startedAt: T0 + 8 }, {});
    // Not served: failed, still in flight, and one outside the window.
    await attempt(s, { requestId: 'f1', decision: dec('enterprise'), startedAt: T0 + 9 }, { status: 'failed', httpStatus: 503, failureKind: 'overloaded', promptTokens: null, completionTokens: null, cachedPromptTokens: null, usageSource: null, listCostUsd: null, effectiveCostUsd: null });
    await attempt(s, { requestId: 'i1', decision: dec('enterprise'), startedAt: T0 + 10 });
    await attempt(s, { requestId: 'late', decision: dec('enterprise'), startedAt: T0 + DAY }, {});
    const got = await s.servedCounts(T0, T0 + DAY);
    const key = (c: { model: string; deploymentId: string; account: string; classId: string | null }): string => `${c.model}/${c.deploymentId}/${c.account}/${c.classId ?? '-'}`;
    expect(Object.fromEntries(got.map((c) => [key(c), c.attempts]))).toEqual({
      'frontier/dep-east/acct-east/enterprise': 2,
      'frontier/dep-west/acct-west/enterprise': 1,
      'frontier/dep-east/acct-east/-': 1,
      'open/dep-east/acct-east/-': 1,
    });
    expect(await s.servedCounts(T0 + 2 * DAY, T0 + 3 * DAY)).toEqual([]);
  });

  it('decisionContains selects by exact text in the decision: case, quotes and wildcard characters as written', async () => {
    const s = h().store;
    await attempt(s, { requestId: 'a', decision: '{"flags":["reserved-full:msa/ptu"]}' }, {});
    await attempt(s, { requestId: 'b', decision: '{"flags":["reserved-full:msa/ptu2"]}', startedAt: T0 + 1 }, {});
    await attempt(s, { requestId: 'c', decision: '{"flags":["RESERVED-FULL:msa/ptu"]}', startedAt: T0 + 2 }, {});
    await attempt(s, { requestId: 'd', decision: '{"note":"100%_done"}', startedAt: T0 + 3 }, {});
    await attempt(s, { requestId: 'e', decision: null, startedAt: T0 + 4 }, {});
    const ids = async (text: string): Promise<string[]> => (await s.listAttempts({ decisionContains: text })).map((r) => r.requestId);
    expect(await ids('"reserved-full:msa/ptu"')).toEqual(['a']);
    expect(await ids('reserved-full:msa/ptu')).toEqual(['a', 'b']);
    expect(await ids('%_')).toEqual(['d']);
    expect(await ids('_')).toEqual(['d']);
    expect(await s.countAttempts({ decisionContains: 'reserved-full', from: T0 + 1 })).toBe(1);
  });

  it('1,000 concurrent $0.10 reservations against a $5 cap grant exactly 50 and settle exactly', async () => {
    const s = h().store;
    const scope = 'tenant:a';
    const wave = () => Promise.all(Array.from({ length: 1000 }, () => s.reserveBudget(scope, T0, 0.1, 5)));
    const granted = (await wave()).filter(Boolean).length;
    expect(granted).toBe(50);
    expect(await s.budgetUsage(scope, T0)).toEqual({ spentUsd: 0, reservedUsd: 5 });
    await Promise.all(Array.from({ length: granted }, () => s.settleBudget(scope, T0, 0.1, 0.07)));
    expect(await s.budgetUsage(scope, T0)).toEqual({ spentUsd: 3.5, reservedUsd: 0 });
    // $1.50 of headroom left: exactly 15 more, never 16.
    expect((await wave()).filter(Boolean).length).toBe(15);
    expect(await s.budgetUsage(scope, T0)).toEqual({ spentUsd: 3.5, reservedUsd: 1.5 });
    // Scopes and periods are independent.
    expect(await s.reserveBudget(scope, T0 + DAY, 0.1, 5)).toBe(true);
    expect(await s.reserveBudget('key:k', T0, 0.1, 5)).toBe(true);
  });

  it('a reservation held by a request that died is released by recovery at what its attempts cost, once', async () => {
    const s = h().store;
    // Three requests reserve $1 each against a $3 cap: the cap is now fully reserved.
    for (const id of ['live', 'dead-priced', 'dead-unknown']) expect(await s.reserveBudget('tenant:a', T0, 1, 3, { requestId: id, at: T0 })).toBe(true);
    expect(await s.reserveBudget('tenant:a', T0, 0.5, 3, { requestId: 'late', at: T0 })).toBe(false);
    // One finishes normally; a second settle of it changes nothing.
    await s.settleBudget('tenant:a', T0, 1, 0.25, 'live');
    await s.settleBudget('tenant:a', T0, 1, 0.25, 'live');
    expect(await s.budgetUsage('tenant:a', T0)).toEqual({ spentUsd: 0.25, reservedUsd: 2 });
    // The process dies. One dead request's attempt was settled (from its estimate) at $0.40;
    // the other's cost is unknown, so its whole reservation counts (never less than it may have cost).
    await attempt(h().store, { requestId: 'dead-priced' }, { effectiveCostUsd: 0.4 });
    expect(await s.releaseStaleHolds(T0 - 1)).toBe(0); // younger than the cutoff: still live
    expect(await s.releaseStaleHolds(T0 + 1)).toBe(2);
    expect(await s.budgetUsage('tenant:a', T0)).toEqual({ spentUsd: 1.65, reservedUsd: 0 });
    // Released once: a late settle from the "dead" request and a second recovery change nothing.
    await s.settleBudget('tenant:a', T0, 1, 0.1, 'dead-priced');
    expect(await s.releaseStaleHolds(T0 + 1)).toBe(0);
    expect(await s.budgetUsage('tenant:a', T0)).toEqual({ spentUsd: 1.65, reservedUsd: 0 });
    expect(await s.reserveBudget('tenant:a', T0, 1, 3, { requestId: 'next', at: T0 + 2 })).toBe(true);
  });

  it('a reservation above the cap is refused; settling never leaves a negative reservation', async () => {
    const s = h().store;
    expect(await s.reserveBudget('tenant:a', T0, 6, 5)).toBe(false);
    expect(await s.budgetUsage('tenant:a', T0)).toEqual({ spentUsd: 0, reservedUsd: 0 });
    expect(await s.reserveBudget('tenant:a', T0, 1, 5)).toBe(true);
    await s.settleBudget('tenant:a', T0, 3, 0.5);
    expect(await s.budgetUsage('tenant:a', T0)).toEqual({ spentUsd: 0.5, reservedUsd: 0 });
    // Cost booked with no prior reservation (e.g. no cap at admission) still counts.
    await s.settleBudget('tenant:b', T0, 0, 2.25);
    expect(await s.budgetUsage('tenant:b', T0)).toEqual({ spentUsd: 2.25, reservedUsd: 0 });
    await expect(s.reserveBudget('tenant:a', T0, Number.NaN, 5)).rejects.toThrow(RangeError);
  });

  it('an Idempotency-Key goes new, in flight, done with replay; another body is a mismatch', async () => {
    const s = h().store;
    expect(await s.idempotencyBegin('tenant-a', 'k1', 'h1', T0)).toEqual({ state: 'new' });
    expect(await s.idempotencyBegin('tenant-a', 'k1', 'h1', T0 + 1)).toEqual({ state: 'in-flight' });
    expect(await s.idempotencyBegin('tenant-a', 'k1', 'h2', T0 + 1)).toEqual({ state: 'mismatch' });
    // The same key in another tenant is a different key.
    expect(await s.idempotencyBegin('tenant-b', 'k1', 'h2', T0 + 1)).toEqual({ state: 'new' });
    expect(await s.idempotencyComplete('tenant-a', 'k1', 200, '{"id":"chatcmpl-1"}')).toBe(true);
    expect(await s.idempotencyBegin('tenant-a', 'k1', 'h1', T0 + 2)).toEqual({ state: 'done', status: 200, body: '{"id":"chatcmpl-1"}' });
    expect(await s.idempotencyBegin('tenant-a', 'k1', 'h2', T0 + 2)).toEqual({ state: 'mismatch' });
    // A completed key cannot be abandoned back into a repeatable one.
    await s.idempotencyAbandon('tenant-a', 'k1');
    expect((await s.idempotencyBegin('tenant-a', 'k1', 'h1', T0 + 3)).state).toBe('done');
  });

  it('an abandoned Idempotency-Key can be claimed again; of concurrent claims exactly one wins', async () => {
    const s = h().store;
    const claims = await Promise.all(Array.from({ length: 50 }, () => s.idempotencyBegin('tenant-a', 'k2', 'h', T0)));
    expect(claims.filter((c) => c.state === 'new')).toHaveLength(1);
    expect(claims.filter((c) => c.state === 'in-flight')).toHaveLength(49);
    await s.idempotencyAbandon('tenant-a', 'k2');
    expect(await s.idempotencyComplete('tenant-a', 'k2', 200, 'x')).toBe(false);
    expect(await s.idempotencyBegin('tenant-a', 'k2', 'h-other', T0 + 1)).toEqual({ state: 'new' });
  });

  it('completed keys are forgotten after the retention window; in-flight and recent ones are kept', async () => {
    const s = h().store;
    await s.idempotencyBegin('t', 'old-done', 'h1', T0);
    await s.idempotencyComplete('t', 'old-done', 200, '{"old":1}');
    await s.idempotencyBegin('t', 'old-open', 'h1', T0);
    await s.idempotencyBegin('t', 'new-done', 'h1', T0 + DAY);
    await s.idempotencyComplete('t', 'new-done', 200, '{"new":1}');
    expect(await s.pruneIdempotency(T0 + 1)).toBe(1);
    expect(await s.idempotencyBegin('t', 'new-done', 'h1', T0 + DAY)).toEqual({ state: 'done', status: 200, body: '{"new":1}' });
    expect(await s.idempotencyBegin('t', 'old-open', 'h1', T0 + 2)).toEqual({ state: 'in-flight' });
    // Forgotten: the same key is a new request again.
    expect(await s.idempotencyBegin('t', 'old-done', 'h2', T0 + DAY)).toEqual({ state: 'new' });
  });

  it('a key left in flight by a crashed request can be claimed again after the in-flight TTL', async () => {
    const s = h().store;
    expect(await s.idempotencyBegin('tenant-a', 'k3', 'h', T0)).toEqual({ state: 'new' });
    expect(await s.idempotencyBegin('tenant-a', 'k3', 'h', T0 + 60_000)).toEqual({ state: 'in-flight' });
    expect(await s.idempotencyBegin('tenant-a', 'k3', 'h', T0 + 16 * 60_000)).toEqual({ state: 'new' });
    expect(await s.idempotencyBegin('tenant-a', 'k3', 'h', T0 + 16 * 60_000 + 1)).toEqual({ state: 'in-flight' });
  });
}
