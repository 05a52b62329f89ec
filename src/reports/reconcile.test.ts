// The invoice view adds reserved capacity's fixed fees to what the attempts cost, per account
// and day, so its total is the bill: a day with no traffic still owes the fee, a partial day
// owes its share, and a reservation on a deployment the config does not know is shown.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseContracts } from '../contracts/compile.js';
import { openLedger } from '../ledger/open.js';
import type { LedgerStore } from '../ledger/store.js';
import { finish, start } from '../ledger/test-support/fixtures.js';
import { reconcileReport } from './reconcile.js';

const CONTRACTS = `contracts:
  parties:
    - { id: partner, name: Partner, accounts: [p-acct] }
  agreements:
    - id: msa
      party: partner
      term: { start: 2026-01-01, end: 2026-12-31 }
      clauses:
        - { id: ptu, type: reservation, deployment: p-ptu, usdPerPeriod: 3000, period: month, capacity: { concurrency: 4 } }
        - { id: gone, type: reservation, deployment: retired, usdPerPeriod: 300, period: day, capacity: { concurrency: 1 } }
`;
const compiled = parseContracts(CONTRACTS, 'reconcile.yaml');
const accounts: Record<string, string> = { 'p-ptu': 'p-acct', 'o-1': 'o-acct' };
const accountOf = (id: string): string | undefined => accounts[id];

const DAY = 86_400_000;
const D1 = Date.parse('2026-11-10T00:00:00Z'); // November: 30 days, so $3,000 a month is $100 a day

let store: LedgerStore;
beforeEach(async () => {
  store = await openLedger('sqlite::memory:');
  await store.migrate();
});
afterEach(async () => store.close());

async function attempt(requestId: string, at: number, deploymentId: string, usd: number): Promise<void> {
  await store.beginAttempt(start({ requestId, startedAt: at, deploymentId, account: accounts[deploymentId]! }));
  await store.finishAttempt(finish({ requestId, listCostUsd: usd * 2, effectiveCostUsd: usd }));
}

describe('reconcileReport', () => {
  it('adds each day\'s share of a reservation\'s fee to the account it bills, traffic or not', async () => {
    await attempt('a', D1 + 1_000, 'p-ptu', 0.25);
    await attempt('b', D1 + 2_000, 'o-1', 0.5);
    await attempt('c', D1 + 3_000, 'o-1', 0.5);
    const rows = await reconcileReport(store, compiled, accountOf, D1, D1 + 2 * DAY);
    const pick = (day: string, account: string) => rows.find((r) => r.day === day && r.account === account);
    expect(pick('2026-11-10', 'p-acct')).toMatchObject({ attempts: 1, usageUsd: 0.25, listUsd: 0.5, reservationFeesUsd: 100, invoiceUsd: 100.25 });
    expect(pick('2026-11-10', 'o-acct')).toMatchObject({ attempts: 2, usageUsd: 1, reservationFeesUsd: 0, invoiceUsd: 1 });
    // No traffic on the 11th: the fee is still owed.
    expect(pick('2026-11-11', 'p-acct')).toMatchObject({ attempts: 0, usageUsd: 0, reservationFeesUsd: 100, invoiceUsd: 100 });
    // A reservation whose deployment the config no longer has is billed somewhere visible.
    expect(pick('2026-11-10', 'deployment:retired')?.reservationFeesUsd).toBeCloseTo(300, 9);
    expect(rows.map((r) => `${r.day} ${r.account}`)).toEqual([
      '2026-11-10 deployment:retired', '2026-11-10 o-acct', '2026-11-10 p-acct',
      '2026-11-11 deployment:retired', '2026-11-11 p-acct',
    ]);
  });

  it('charges an amended fee from its effective day, the old one before it', async () => {
    const amended = parseContracts(`${CONTRACTS}  amendments:
    - id: bigger
      agreement: msa
      effective: 2026-11-11
      supersedes:
        - { clause: ptu, with: { type: reservation, deployment: p-ptu, usdPerPeriod: 6000, period: month, capacity: { concurrency: 8 } } }
`, 'amended.yaml');
    const rows = (await reconcileReport(store, amended, accountOf, D1, D1 + 2 * DAY)).filter((r) => r.account === 'p-acct');
    expect(rows.map((r) => [r.day, r.reservationFeesUsd])).toEqual([
      ['2026-11-10', 100],
      ['2026-11-11', 200],
    ]);
  });

  it('prorates a partial day, stops at the end of the term, and adds nothing without contracts', async () => {
    const noon = D1 + DAY / 2;
    const half = await reconcileReport(store, compiled, accountOf, noon, D1 + DAY);
    expect(half.find((r) => r.account === 'p-acct')?.reservationFeesUsd).toBeCloseTo(50, 9);
    const pastTerm = await reconcileReport(store, compiled, accountOf, Date.parse('2026-12-31T12:00:00Z'), Date.parse('2027-01-02T00:00:00Z'));
    // The term ends at the start of 2026-12-31 or at its end, by the contracts' own rule: never into 2027.
    expect(pastTerm.every((r) => r.day < '2027-01-01')).toBe(true);
    await attempt('a', D1, 'p-ptu', 0.25);
    expect(await reconcileReport(store, undefined, accountOf, D1, D1 + DAY)).toEqual([
      { day: '2026-11-10', account: 'p-acct', attempts: 1, usageUsd: 0.25, listUsd: 0.5, reservationFeesUsd: 0, invoiceUsd: 0.25, estimatedAttempts: 0, unpricedAttempts: 0 },
    ]);
  });
});
