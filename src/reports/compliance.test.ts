// The compliance reports count in the database, so they are exact however much traffic a
// period holds: a share over more than 10,000 requests, exceptions behind 10,000 ordinary
// attempts, and a reservation's spill-overs told apart from a reservation whose id it prefixes.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseContracts } from '../contracts/compile.js';
import { openLedger } from '../ledger/open.js';
import type { AttemptStart, LedgerStore } from '../ledger/store.js';
import { finish, start } from '../ledger/test-support/fixtures.js';
import { exceptionReport, reservationReport, shareReport } from './compliance.js';

const compiled = parseContracts(`contracts:
  parties:
    - { id: partner, name: Partner, accounts: [p-acct] }
    - { id: other, name: Other, accounts: [o-acct] }
  agreements:
    - id: msa
      party: partner
      term: { start: 2026-01-01, end: 2026-12-31 }
      clauses:
        - { id: share, type: preferred-share, models: [m], minPercent: 60, period: month }
        - { id: ptu, type: reservation, deployment: p-ptu, usdPerPeriod: 10, capacity: { concurrency: 4 } }
        - { id: ptu2, type: reservation, deployment: p-ptu2, usdPerPeriod: 10, capacity: { concurrency: 4 } }
`, 'reports.yaml');

const NOW = Date.parse('2026-05-20T12:00:00Z');
const decision = (over: Record<string, unknown> = {}): string => JSON.stringify({ version: 'v', at: 0, model: 'm', class: null, candidates: [], filtered: [], exceptions: [], ranked: [], ...over });

let store: LedgerStore;
beforeEach(async () => {
  store = await openLedger('sqlite::memory:');
  await store.migrate();
});
afterEach(async () => store.close());

let seq = 0;
/** `n` served attempts, written concurrently so the store commits them in large batches. */
async function served(n: number, over: (i: number) => Partial<AttemptStart>): Promise<void> {
  for (let i = 0; i < n; i += 1000) {
    await Promise.all(
      Array.from({ length: Math.min(1000, n - i) }, async (_, k) => {
        const requestId = `r${seq++}`;
        await store.beginAttempt(start({ requestId, model: 'm', decision: decision(), ...over(i + k) }));
        await store.finishAttempt(finish({ requestId }));
      }),
    );
  }
}

describe('compliance reports at volume', () => {
  it('a preferred share counts every request of the period, past 10,000', async () => {
    const t0 = Date.parse('2026-05-02T00:00:00Z');
    await served(10_500, (i) => (i % 3 === 2 ? { account: 'o-acct', deploymentId: 'o-1', startedAt: t0 + i } : { account: 'p-acct', deploymentId: 'p-1', startedAt: t0 + i }));
    const [share] = await shareReport(store, compiled, NOW);
    const may = share!.periods.at(-1)!;
    expect(may.requests).toBe(10_500);
    expect(may.percent).toBeCloseTo((100 * 7_000) / 10_500, 9);
  });

  it('exceptions behind 10,000 ordinary attempts in the window are all reported', async () => {
    const t0 = NOW - 3_600_000;
    await served(10_200, (i) => ({ startedAt: t0 + i }));
    const broke = decision({ candidates: [{ deploymentId: 'o-1', score: 1, parts: {}, flags: [], exceptions: ['msa/x'] }], exceptions: [{ clauseId: 'msa/x', reason: 'partner out' }] });
    await served(3, (i) => ({ startedAt: NOW - 10 + i, deploymentId: 'o-1', account: 'o-acct', decision: broke }));
    const r = await exceptionReport(store, t0, NOW);
    expect(r.exceptions.map((e) => [e.clauseId, e.deploymentId, e.reason])).toEqual(Array.from({ length: 3 }, () => ['msa/x', 'o-1', 'partner out']));
    expect(r).not.toHaveProperty('truncated');
  });

  it('spill-overs count attempts that found the reservation full and went elsewhere, one reservation exactly', async () => {
    const full = (ref: string): string => decision({ candidates: [{ deploymentId: 'p-ptu', score: 1, parts: {}, flags: [`reserved-full:${ref}`] }] });
    const at = NOW - 60_000;
    await served(4, () => ({ startedAt: at, deploymentId: 'p-ptu', account: 'p-acct' }));
    await served(2, () => ({ startedAt: at, deploymentId: 'o-1', account: 'o-acct', decision: full('msa/ptu') }));
    await served(1, () => ({ startedAt: at, deploymentId: 'p-ptu', account: 'p-acct', decision: full('msa/ptu') }));
    await served(5, () => ({ startedAt: at, deploymentId: 'o-1', account: 'o-acct', decision: full('msa/ptu2') }));
    const byRef = Object.fromEntries((await reservationReport(store, compiled, NOW)).map((r) => [r.clauseId, r]));
    expect(byRef['msa/ptu']).toMatchObject({ servedLastHour: 5, spilloversLastHour: 2 });
    expect(byRef['msa/ptu2']).toMatchObject({ servedLastHour: 0, spilloversLastHour: 5 });
  });
});
