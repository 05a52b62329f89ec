// Three replicas rank with one set of contract counters: after load spread across them, every
// replica reports the same commitment spend, preferred-share counts and reservation use
// (GET /admin/contracts/counters, what the router ranks with) within about a sync interval,
// and the commitment spend equals what the shared ledger billed to the committed account.

import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LiveCounters } from '../../src/governance/live-counters.js';
import { ClusterHarness, until } from './support/cluster-harness.js';
import { runLoad, tally } from './support/load.js';
import { describeWithServices } from './support/services.js';

const CONTRACTS = `contracts:
  parties:
    - { id: a, name: Party A, accounts: [acct-a] }
    - { id: c, name: Party C, accounts: [acct-c] }
  agreements:
    - id: deal
      party: a
      term: { start: 2024-01-01, end: 2035-12-31 }
      clauses:
        - { id: spend, type: commitment, amountUsd: 100000, discountPercent: 10 }
    - id: msa
      party: c
      term: { start: 2024-01-01, end: 2035-12-31 }
      clauses:
        - { id: share, type: preferred-share, models: [m], minPercent: 30 }
        - { id: ptu, type: reservation, deployment: d3, usdPerPeriod: 10, capacity: { concurrency: 6 } }
`;

type Counters = LiveCounters & { version: string };
let h: ClusterHarness;

await describeWithServices('cluster: contract counters', true, () => {
  beforeAll(async () => {
    h = await new ClusterHarness({ contracts: CONTRACTS, cluster: { commandTimeoutMs: 1_000 } }).start();
  }, 60_000);
  afterAll(async () => h?.close(), 30_000);

  it('every replica sees the cluster\'s commitment spend, share counts and reservation use', async () => {
    const out = await runLoad(h, { replicas: [0, 1, 2], total: 300, concurrency: 12, stream: (i) => i % 3 === 0 });
    const ok = out.filter((o) => o.status === 200);
    expect(ok.length).toBe(300);
    const t0 = Date.now();
    const read = () => Promise.all([0, 1, 2].map(async (i) => (await h.admin<Counters>(i, 'GET', '/admin/contracts/counters')).body));
    // Agreement: every replica's share total has reached all 300 requests.
    await until(async () => (await read()).every((c) => c.shares[0]?.total === 300), 3_000, 20);
    const agreedMs = Date.now() - t0;
    const views = await read();
    const rows = (await h.ledgerRows()).filter((r) => r.status === 'ok');
    const billedA = rows.filter((r) => r.deploymentId === 'd1').reduce((s, r) => s + (r.effectiveCostUsd ?? 0), 0);
    const toC = rows.filter((r) => r.deploymentId === 'd3').length;
    console.log(JSON.stringify({ contractCounters: { agreedMs, servedBy: tally(ok, (o) => o.deployment), perReplica: tally(ok, (o) => o.replica), views: views.map((v) => ({ spent: v.commitments[0]?.spentUsd, share: v.shares[0], ptu: v.reservations[0] })), ledgerBilledA: billedA } }));
    // A booking reaches Redis within one sync interval (500 ms) and every replica within the next.
    expect(agreedMs).toBeLessThan(1_500);
    expect(Object.keys(tally(ok, (o) => o.replica))).toHaveLength(3);
    expect(billedA).toBeGreaterThan(0);
    for (const v of views) {
      // The commitment counts every replica's spend on acct-a, exactly as the ledger billed it.
      expect(v.commitments[0]!.spentUsd).toBeCloseTo(billedA, 6);
      // The share counts every replica's requests, and those that went to party C.
      expect(v.shares[0]).toMatchObject({ total: 300, toParty: toC });
      // Nothing is left in flight on the reservation once the load is over.
      expect(v.reservations[0]!.inFlight).toBe(0);
    }
  }, 60_000);
});
