// Contract counters shared over the real Redis by three cluster nodes in this process (one per
// "replica"), through a relay the test can break: every replica sees the cluster's commitment
// spend, share counts and reservation use after a sync; bookings made while Redis is away or
// hung count exactly once when it returns (a batch delivered late is not applied twice).

import { afterAll, afterEach, expect, it } from 'vitest';
import type { ClusterNode } from '../../src/cluster/index.js';
import type { ContractSync } from '../../src/cluster/contract-sync.js';
import { C_1, compiled, facts, P_PTU, T } from '../../src/contracts/test-support/policy-fixture.js';
import { periodOf } from '../../src/contracts/time.js';
import { createLogger } from '../../src/observability/logger.js';
import { attribute } from '../../src/policy/contracts-attribution.js';
import { RelayedNodes } from './support/relayed-nodes.js';
import { describeWithServices } from './support/services.js';
import type { FaultyProxy } from './support/tcp-proxy.js';

const usage = { prompt: 1000, completion: 500 };
const commitUsd = attribute(compiled, facts(), C_1, T, usage).commitments[0]!.usd;
const relayed = new RelayedNodes();
let proxy: FaultyProxy | undefined;
let nodes: ClusterNode[] = [];

afterEach(() => relayed.stop());
afterAll(() => relayed.dropPrefixes());

/** Three replicas whose ledger says `ledgerUsd` was spent on the commitment before the boundary. */
async function replicas(ledgerUsd: number): Promise<ContractSync[]> {
  const log = createLogger('debug', (l) => process.env.DEBUG_CC && console.log(l));
  // "Now" is just after the fixture's instant: the ledger/Redis boundary (two minutes back: a
  // 60 s request timeout plus the 60 s margin) lies before the bookings below, inside the term.
  const now = () => T + 30_000;
  const ledger = { spendToDate: async () => ledgerUsd };
  const syncs: ContractSync[] = [];
  ({ nodes, proxy } = await relayed.start(3, { tag: 'cc', log, now, settings: { commandTimeoutMs: 150 }, beforeConnect: (n) => syncs.push(n.contractCounters(ledger, 60_000)) }));
  const term = compiled.agreements.flatMap((a) => a.clauses).find((c) => c.ref === 'deal/spend');
  await Promise.all(syncs.map((s) => s.setContracts([{ ref: 'deal/spend', accounts: ['c-acct'], termStartMs: term && 'termStartMs' in term ? term.termStartMs : 0 }], ['msa/ptu'])));
  return syncs;
}

const syncAll = async (s: ContractSync[]) => {
  for (const x of s) expect(await x.syncOnce()).toBe(true);
};

await describeWithServices('cluster: contract counters shared over Redis', false, () => {
  it('every replica ranks with the cluster\'s commitment spend, share counts and reservation use', async () => {
    const s = await replicas(40);
    // Replica i serves i+1 commitment requests and one partner (reserved, enterprise) request.
    s.forEach((x, i) => {
      for (let k = 0; k <= i; k++) x.counters.recordServed(attribute(compiled, facts(), C_1, T, usage), T);
      x.counters.recordServed(attribute(compiled, facts({ tenantId: 'acme' }), P_PTU, T, usage), T);
    });
    s[0]!.counters.reservationStart('msa/ptu', T, 1_000);
    s[1]!.counters.reservationStart('msa/ptu', T, 500);
    s[1]!.counters.reservationStart('msa/ptu', T, 500);
    // Before any sync each sees only its own.
    expect(s[2]!.counters.commitmentSpendUsd('deal/spend')).toBeCloseTo(40 + 3 * commitUsd, 9);
    await syncAll(s);
    await syncAll(s); // the first replicas to sync learn the later ones' batches now
    for (const x of s) {
      expect(x.counters.commitmentSpendUsd('deal/spend')).toBeCloseTo(40 + 6 * commitUsd, 9);
      expect(x.counters.shareCounts('class:enterprise', 'partner', periodOf('month', T))).toEqual({ toParty: 3, total: 3 });
      expect(x.counters.reservationUsage('msa/ptu', T + 1_000).inFlight).toBe(3);
    }
  });

  it('bookings made while Redis is down or hung count exactly once when it is back', async () => {
    const s = await replicas(0);
    await syncAll(s);
    // Down: the sync is skipped, the booking waits (and counts locally).
    proxy!.set('down');
    s[0]!.counters.recordServed(attribute(compiled, facts(), C_1, T, usage), T);
    await new Promise((r) => setTimeout(r, 200));
    expect(await s[0]!.syncOnce()).toBe(false);
    expect(s[0]!.counters.commitmentSpendUsd('deal/spend')).toBeCloseTo(commitUsd, 9);
    proxy!.set('pass');
    await until(async () => nodes.every((n) => n.status().redis === 'up'));
    // Hung: the script reaches Redis only after the replica gave up waiting for its reply.
    s[1]!.counters.recordServed(attribute(compiled, facts(), C_1, T, usage), T);
    proxy!.set('stall');
    expect(await s[1]!.syncOnce()).toBe(false);
    proxy!.set('pass');
    await until(async () => nodes.every((n) => n.status().redis === 'up'));
    await syncAll(s);
    await syncAll(s);
    for (const x of s) expect(x.counters.commitmentSpendUsd('deal/spend')).toBeCloseTo(2 * commitUsd, 9);
  });
});

async function until(f: () => Promise<boolean>, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
