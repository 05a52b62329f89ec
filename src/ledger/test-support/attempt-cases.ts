// Attempt rows: write-ahead begin, guarded finish, one row per attempt, unknowns kept as
// NULL, crash recovery, listing, and group commit that is durable per caller.

import { expect, it } from 'vitest';
import type { AttemptRow } from '../store.js';
import { finish, start, T0 } from './fixtures.js';
import type { CurrentHarness } from './store-suite.js';

async function only(h: CurrentHarness, requestId = 'req-1', attemptNo = 1): Promise<AttemptRow> {
  const rows = await h().store.listAttempts({ requestId });
  const row = rows.find((r) => r.attemptNo === attemptNo);
  if (!row) throw new Error(`no row for ${requestId}#${attemptNo}`);
  return row;
}

export function attemptCases(h: CurrentHarness): void {
  it('a begun attempt is stored as started with nothing yet known about its outcome', async () => {
    await h().store.beginAttempt(start());
    expect(await only(h)).toEqual({
      ...start(),
      status: 'started',
      endedAt: null, firstByteAt: null, httpStatus: null, failureKind: null,
      promptTokens: null, completionTokens: null, cachedPromptTokens: null, cacheWriteTokens: null,
      usageSource: null, listCostUsd: null, effectiveCostUsd: null, settledFromEstimate: false,
    });
  });

  it('requests that share a client x-request-id keep rows of their own, found by that id', async () => {
    // Two tenants picked the same id; each request still has Treaty's own key.
    await h().store.beginAttempt(start({ requestId: 'req-a', clientRequestId: 'order-42', tenantId: 'tenant-a' }));
    await h().store.beginAttempt(start({ requestId: 'req-b', clientRequestId: 'order-42', tenantId: 'tenant-b' }));
    expect(await h().store.finishAttempt(finish({ requestId: 'req-b', completionTokens: 7 }))).toBe(true);
    const both = await h().store.listAttempts({ clientRequestId: 'order-42' });
    expect(both.map((r) => [r.requestId, r.tenantId, r.status])).toEqual([['req-a', 'tenant-a', 'started'], ['req-b', 'tenant-b', 'ok']]);
    expect(await h().store.listAttempts({ clientRequestId: 'order-42', tenantId: 'tenant-a' })).toHaveLength(1);
    expect((await only(h, 'req-a')).completionTokens).toBeNull();
  });

  it('a finished attempt reads back with its outcome, usage, cost and timings', async () => {
    await h().store.beginAttempt(start());
    expect(await h().store.finishAttempt(finish())).toBe(true);
    const { requestId: _r, attemptNo: _a, ...outcome } = finish();
    expect(await only(h)).toEqual({ ...start(), ...outcome, settledFromEstimate: false });
  });

  it('a second finish is refused and leaves the row as the first finish wrote it', async () => {
    await h().store.beginAttempt(start());
    await h().store.finishAttempt(finish());
    const before = await only(h);
    expect(await h().store.finishAttempt(finish({ status: 'failed', promptTokens: 999, effectiveCostUsd: 9 }))).toBe(false);
    expect(await only(h)).toEqual(before);
  });

  it('finishing an attempt that was never begun changes nothing and returns false', async () => {
    expect(await h().store.finishAttempt(finish({ requestId: 'ghost' }))).toBe(false);
    expect(await h().store.countAttempts({})).toBe(0);
  });

  it('a replayed begin neither throws nor adds a row nor overwrites the first', async () => {
    await h().store.beginAttempt(start());
    await h().store.beginAttempt(start({ deploymentId: 'dep-west' }));
    // Two replays racing into the same batch must also collapse to one row.
    await Promise.all([h().store.beginAttempt(start({ attemptNo: 2 })), h().store.beginAttempt(start({ attemptNo: 2 }))]);
    expect(await h().store.countAttempts({ requestId: 'req-1' })).toBe(2);
    expect((await only(h)).deploymentId).toBe('dep-east');
  });

  it('usage the provider did not report stays null, and an explicit zero stays zero', async () => {
    await h().store.beginAttempt(start());
    await h().store.beginAttempt(start({ attemptNo: 2 }));
    const unknown = { promptTokens: null, completionTokens: null, cachedPromptTokens: null, usageSource: null, listCostUsd: null, effectiveCostUsd: null } as const;
    await h().store.finishAttempt(finish({ status: 'interrupted', ...unknown }));
    await h().store.finishAttempt(finish({ attemptNo: 2, promptTokens: 0, completionTokens: 0, cachedPromptTokens: 0, cacheWriteTokens: 0, listCostUsd: 0, effectiveCostUsd: 0 }));
    expect(await only(h)).toMatchObject({ ...unknown, cacheWriteTokens: null });
    expect(await only(h, 'req-1', 2)).toMatchObject({ promptTokens: 0, completionTokens: 0, cachedPromptTokens: 0, cacheWriteTokens: 0, listCostUsd: 0, effectiveCostUsd: 0 });
  });

  it('figures that are not counts or amounts are rejected, not stored', async () => {
    await h().store.beginAttempt(start());
    await expect(h().store.finishAttempt(finish({ promptTokens: Number.NaN }))).rejects.toThrow(RangeError);
    await expect(h().store.finishAttempt(finish({ completionTokens: -1 }))).rejects.toThrow(RangeError);
    await expect(h().store.beginAttempt(start({ attemptNo: 0 }))).rejects.toThrow(RangeError);
    expect((await only(h)).status).toBe('started');
  });

  it('a begin and the finish of the same attempt issued back to back apply in order', async () => {
    const [, finished] = await Promise.all([h().store.beginAttempt(start()), h().store.finishAttempt(finish())]);
    expect(finished).toBe(true);
    expect((await only(h)).status).toBe('ok');
  });

  it('recoverOrphans settles only stale started rows from the estimate and flags them', async () => {
    const s = h().store;
    await s.beginAttempt(start({ requestId: 'stale-1', startedAt: T0 - 60_000, estimatedPromptTokens: 300 }));
    await s.beginAttempt(start({ requestId: 'stale-2', startedAt: T0 - 30_000, estimatedPromptTokens: 40 }));
    await s.beginAttempt(start({ requestId: 'fresh', startedAt: T0 + 5_000 }));
    await s.beginAttempt(start({ requestId: 'done', startedAt: T0 - 60_000 }));
    await s.finishAttempt(finish({ requestId: 'done' }));
    const seen: string[] = [];
    const n = await s.recoverOrphans(T0, (row) => {
      seen.push(row.requestId);
      return { promptTokens: row.estimatedPromptTokens, completionTokens: null, listCostUsd: row.estimatedPromptTokens * 1e-6, effectiveCostUsd: 0.0001 };
    });
    expect(n).toBe(2);
    expect(seen.sort()).toEqual(['stale-1', 'stale-2']);
    expect(await only(h, 'stale-1')).toMatchObject({
      status: 'orphaned', usageSource: 'estimated', settledFromEstimate: true, promptTokens: 300,
      completionTokens: null, listCostUsd: 0.0003, effectiveCostUsd: 0.0001, endedAt: null,
    });
    expect(await only(h, 'fresh')).toMatchObject({ status: 'started', settledFromEstimate: false });
    expect(await only(h, 'done')).toMatchObject({ status: 'ok', usageSource: 'reported', settledFromEstimate: false });
    // Recovery is idempotent, and an orphan is final: a late finish does not double-settle it.
    expect(await s.recoverOrphans(T0, () => { throw new Error('nothing left to settle'); })).toBe(0);
    expect(await s.finishAttempt(finish({ requestId: 'stale-1' }))).toBe(false);
  });

  it('listAttempts filters, orders by start time and pages; countAttempts agrees', async () => {
    const s = h().store;
    for (let i = 0; i < 6; i++) {
      await s.beginAttempt(start({ requestId: `r${i}`, startedAt: T0 + (5 - i) * 1000, tenantId: i % 2 ? 'tenant-b' : 'tenant-a', model: i < 3 ? 'frontier' : 'open' }));
    }
    await s.finishAttempt(finish({ requestId: 'r0' }));
    expect((await s.listAttempts({})).map((r) => r.requestId)).toEqual(['r5', 'r4', 'r3', 'r2', 'r1', 'r0']);
    expect((await s.listAttempts({ limit: 2, offset: 1 })).map((r) => r.requestId)).toEqual(['r4', 'r3']);
    expect((await s.listAttempts({ tenantId: 'tenant-b', model: 'open' })).map((r) => r.requestId)).toEqual(['r5', 'r3']);
    expect((await s.listAttempts({ from: T0 + 1000, to: T0 + 3000 })).map((r) => r.requestId)).toEqual(['r4', 'r3']);
    expect(await s.countAttempts({ status: 'started' })).toBe(5);
    expect(await s.countAttempts({ deploymentId: 'dep-east', status: 'ok' })).toBe(1);
    await expect(s.listAttempts({ limit: 10_001 })).rejects.toThrow(RangeError);
  });

  it('500 concurrent begins are each visible to a second connection when they resolve (journaled: once committed), in few transactions', async () => {
    const s = h().store;
    const second = await h().openSecond();
    await second.migrate();
    const before = s.writeStats();
    const ids = Array.from({ length: 500 }, (_, i) => `batch-${i}`);
    // Each check runs as soon as ITS begin resolved, while later batches may still be queued.
    // A journaled store made it durable in its journal (the SIGKILL test checks that); the
    // database has it once the store committed, which its own read forces.
    const seen = await Promise.all(
      ids.map((requestId) =>
        Promise.resolve(s.beginAttempt(start({ requestId }))).then(async () => {
          if (h().journaled) expect(await s.countAttempts({ requestId })).toBe(1);
          return second.countAttempts({ requestId });
        }),
      ),
    );
    expect(seen.every((n) => n === 1)).toBe(true);
    const after = s.writeStats();
    expect(after.rows - before.rows).toBe(500);
    expect(after.transactions - before.transactions).toBeLessThanOrEqual(10);
    expect(await second.countAttempts({})).toBe(500);
  });
}
