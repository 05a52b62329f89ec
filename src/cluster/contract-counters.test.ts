import { describe, expect, it } from 'vitest';
import { C_1, compiled, facts, P_PTU, T } from '../contracts/test-support/policy-fixture.js';
import { periodOf } from '../contracts/time.js';
import { attribute } from '../policy/contracts-attribution.js';
import { SharedContractCounters, SPEND_BUCKET_MS, type CounterSnapshot } from './contract-counters.js';

const usage = { prompt: 1000, completion: 500 };
const served = (at = T) => attribute(compiled, facts(), C_1, at, usage);
const usd = served().commitments[0]!.usd;
const empty = (): CounterSnapshot => ({ spend: new Map(), shares: new Map(), tokens: new Map(), othersInFlight: new Map() });

describe('shared contract counters (one replica\'s view)', () => {
  it('counts its own bookings at once, before any sync', () => {
    const c = new SharedContractCounters();
    c.recordServed(served(), T);
    c.recordServed(attribute(compiled, facts({ tenantId: 'acme' }), P_PTU, T, usage), T);
    expect(c.commitmentSpendUsd('deal/spend')).toBeCloseTo(usd, 9);
    expect(c.shareCounts('class:enterprise', 'partner', periodOf('month', T))).toEqual({ toParty: 1, total: 1 });
  });

  it('replaces its bookings by the cluster totals once Redis confirms them, without counting twice', () => {
    const c = new SharedContractCounters();
    c.recordServed(served(), T);
    const d = c.takeDeltas(T, []);
    const bucket = Math.floor(T / SPEND_BUCKET_MS) * SPEND_BUCKET_MS;
    expect(d.spend).toEqual([['deal/spend', bucket, Math.round(usd * 1e9)]]);
    // While the batch is on its way it still counts.
    expect(c.commitmentSpendUsd('deal/spend')).toBeCloseTo(usd, 9);
    // Redis answers: this replica's batch plus two other replicas' spend in the same bucket.
    c.synced({ ...empty(), spend: new Map([['deal/spend', new Map([[bucket, Math.round(3 * usd * 1e9)]])]]) });
    expect(c.commitmentSpendUsd('deal/spend')).toBeCloseTo(3 * usd, 9);
  });

  it('re-sends an unconfirmed batch under the same number, so a lost reply cannot double-count', () => {
    const c = new SharedContractCounters();
    c.recordServed(served(), T);
    const first = c.takeDeltas(T, []);
    c.recordServed(served(), T + 1);
    const again = c.takeDeltas(T + 1_000, []);
    expect(again.seq).toBe(first.seq);
    expect(again.spend).toEqual(first.spend);
    // Both bookings stay visible meanwhile.
    expect(c.commitmentSpendUsd('deal/spend')).toBeCloseTo(2 * usd, 9);
    c.synced(empty());
    const next = c.takeDeltas(T + 2_000, []);
    expect(next.seq).toBe(first.seq + 1);
    expect(next.spend.map(([, , v]) => v)).toEqual([Math.round(usd * 1e9)]);
  });

  it('adds the ledger\'s spend before the boundary to the buckets from the boundary on', () => {
    const c = new SharedContractCounters();
    const boundary = Math.floor(T / SPEND_BUCKET_MS) * SPEND_BUCKET_MS;
    c.setLedgerBase('deal/spend', 100, boundary);
    // Redis still holds a bucket before the boundary: the ledger has it already.
    c.synced({ ...empty(), spend: new Map([['deal/spend', new Map([[boundary - SPEND_BUCKET_MS, 7e9], [boundary, 2e9]])]]) });
    expect(c.commitmentSpendUsd('deal/spend')).toBeCloseTo(102, 9);
  });

  it('sums reservation use over replicas: others\' in flight from Redis plus its own live count; tokens for a minute', () => {
    const c = new SharedContractCounters();
    c.reservationStart('msa/ptu', 0, 1000);
    c.reservationStart('msa/ptu', 30_000, 500);
    c.synced({ ...empty(), othersInFlight: new Map([['msa/ptu', 5]]), tokens: new Map([['msa/ptu', new Map([[10_000, 4000]])]]) });
    expect(c.reservationUsage('msa/ptu', 59_999)).toEqual({ inFlight: 7, tokensLastMinute: 5500 });
    c.reservationEnd('msa/ptu');
    expect(c.reservationUsage('msa/ptu', 71_000)).toEqual({ inFlight: 6, tokensLastMinute: 500 });
    expect(c.takeDeltas(71_000, ['msa/ptu', 'other/res']).inFlight).toEqual([['msa/ptu', 1], ['other/res', 0]]);
  });
});
