import { describe, expect, it } from 'vitest';
import { ALL, compiled, facts, healthy, S_1, T } from '../contracts/test-support/policy-fixture.js';
import { dep } from '../contracts/test-support/estate.js';
import { decide, summary } from './contracts-decide.js';
import type { ContractState } from './contracts-state.js';

interface Fake {
  spent?: number;
  share?: [number, number];
  ptu?: { inFlight: number; tokensLastMinute: number };
}
const state = (o: Fake = {}): ContractState => ({
  commitmentSpendUsd: () => o.spent ?? 600,
  shareCounts: () => ({ toParty: o.share?.[0] ?? 70, total: o.share?.[1] ?? 100 }),
  reservationUsage: () => o.ptu ?? { inFlight: 0, tokensLastMinute: 0 },
});
const DOWN = { available: false };
const partOf = (d: ReturnType<typeof decide>, id: string) => d.candidates.find((c) => c.deploymentId === id)!;

// Per request of 1,000 prompt + 500 completion tokens: partner list $0.0075 (= ref), commit
// list $0.006 → $0.0048 at its 20 % discount, self-hosted $0.0015.

describe('contract policy: hard filters at every hop', () => {
  it('keeps an exclusive model on the party inside its window, naming the clause for each filtered deployment', () => {
    const d = decide(compiled, facts({ model: 'x-model' }), ALL, state(), T, healthy());
    expect(d.ranked).toEqual(['p-ptu', 'p-std']);
    expect(d.filtered).toEqual([
      { deploymentId: 'c-1', clauseId: 'msa/x-excl', reason: 'model x-model only via partner until 2026-06-30 (exclusivity msa/x-excl)' },
      { deploymentId: 's-1', clauseId: 'msa/x-excl', reason: 'model x-model only via partner until 2026-06-30 (exclusivity msa/x-excl)' },
    ]);
    expect(d.exceptions).toEqual([]);
    expect(d.blockedBy).toBeUndefined();
    expect(decide(compiled, facts({ model: 'x-model' }), ALL, state(), Date.parse('2026-07-01T00:00:00Z'), healthy()).filtered).toEqual([]);
  });

  it('serves elsewhere with exceptions when nothing compliant is available and the clause allows it', () => {
    const d = decide(compiled, facts({ model: 'x-model' }), ALL, state(), T, healthy({ 'p-ptu': DOWN, 'p-std': DOWN }));
    expect(d.ranked).toEqual(['s-1', 'c-1']);
    expect(d.candidates.map((c) => c.exceptions)).toEqual([['msa/x-excl'], ['msa/x-excl']]);
    expect(d.exceptions).toEqual([{ clauseId: 'msa/x-excl', reason: 'no compliant deployment available; serving elsewhere as msa/x-excl allows: model x-model only via partner until 2026-06-30 (exclusivity msa/x-excl)' }]);
    expect(d.filtered).toEqual([
      { deploymentId: 'p-ptu', clauseId: null, reason: 'unavailable' },
      { deploymentId: 'p-std', clauseId: null, reason: 'unavailable' },
    ]);
  });

  it('fails closed with blockedBy when the clause does not allow serving elsewhere (early access)', () => {
    const d = decide(compiled, facts({ model: 'launch' }), ALL, state(), T, healthy({ 'p-ptu': DOWN, 'p-std': DOWN }));
    expect(d.ranked).toEqual([]);
    expect(d.exceptions).toEqual([]);
    expect(d.blockedBy).toEqual([{ clauseId: 'msa/launch', reason: 'no compliant deployment available and msa/launch fails closed: model launch only via partner until 2026-03-31 (early-access msa/launch)' }]);
  });

  it('keeps residency traffic in its regions and refuses it when they are down', () => {
    const ok = decide(compiled, facts({ tenantId: 'eu-1' }), ALL, state(), T, healthy());
    expect(ok.class).toBe('eu');
    expect(ok.ranked).toEqual(['p-ptu', 'p-std']);
    expect(ok.filtered.map((f) => [f.deploymentId, f.clauseId])).toEqual([['c-1', 'dpa/eu-res'], ['s-1', 'dpa/eu-res']]);
    const down = decide(compiled, facts({ tenantId: 'eu-1' }), ALL, state(), T, healthy({ 'p-ptu': DOWN, 'p-std': DOWN }));
    expect(down.blockedBy?.map((b) => b.clauseId)).toEqual(['dpa/eu-res']);
    expect(down.blockedBy?.[0]?.reason).toContain('region us-1 is not allowed by dpa/eu-res (allowed: east)');
  });

  it('returns nothing and no blockedBy when every deployment is simply unavailable', () => {
    const d = decide(compiled, facts(), ALL, state(), T, () => ({ available: false, outstanding: 0 }));
    expect([d.ranked, d.blockedBy, d.exceptions]).toEqual([[], undefined, []]);
  });
});

describe('contract policy: ranking', () => {
  it('ranks a reservation with headroom first at zero cost', () => {
    const d = decide(compiled, facts(), ALL, state(), T, healthy());
    expect(d.ranked[0]).toBe('p-ptu');
    expect(partOf(d, 'p-ptu')).toMatchObject({ parts: { cost: 0, pacing: 0, share: 0 }, flags: ['reserved:msa/ptu'] });
  });

  it('spills over to the cheapest path on any cloud once the reservation is full (concurrency or tokens per minute)', () => {
    for (const ptu of [{ inFlight: 2, tokensLastMinute: 0 }, { inFlight: 0, tokensLastMinute: 9000 }]) {
      const d = decide(compiled, facts(), ALL, state({ ptu }), T, healthy());
      expect(d.ranked).toEqual(['s-1', 'c-1', 'p-std', 'p-ptu']);
      expect(partOf(d, 'p-ptu')).toMatchObject({ parts: { cost: 0.015 }, flags: ['reserved-full:msa/ptu'] });
    }
  });

  it('prices commitment spend at its discount and adds a pacing credit that grows with the gap to plan', () => {
    const pacing = (spent: number) => partOf(decide(compiled, facts(), ALL, state({ spent }), T, healthy()), 'c-1').parts;
    expect(pacing(700)).toMatchObject({ cost: 0.0048, pacing: 0 });
    expect(pacing(600).pacing).toBe(0);
    // $10 behind; the plan for the next 12.17 days is $121.67: credit = 4 × 10 / 121.67 of the price.
    expect(pacing(590).pacing).toBeCloseTo(-0.0048 * ((4 * 10) / (3650 / 30)), 9);
    expect(pacing(500)).toMatchObject({ cost: 0.0048, pacing: -0.0048 });
    const behind = decide(compiled, facts(), ALL, state({ spent: 500, ptu: { inFlight: 2, tokensLastMinute: 0 } }), T, healthy());
    expect(behind.ranked[0]).toBe('c-1');
  });

  it('drops discount and pacing outside the commitment\'s term', () => {
    const after = decide(compiled, facts(), ALL, state({ spent: 0 }), Date.parse('2027-01-05T00:00:00Z'), healthy());
    expect(partOf(after, 'c-1')).toMatchObject({ parts: { cost: 0.006, pacing: 0 }, flags: [] });
  });

  it('raises the preferred party in proportion to its deficit below the target, capped, and not at all above it', () => {
    const share = (s: [number, number]) => decide(compiled, facts({ tenantId: 'acme' }), ALL, state({ share: s }), T, healthy());
    expect(partOf(share([70, 100]), 'p-std').parts.share).toBe(0);
    expect(partOf(share([63, 100]), 'p-std').parts.share).toBeCloseTo(-0.0075 * ((20 * 0.02) / 0.65), 9);
    expect(partOf(share([50, 100]), 'p-std').parts.share).toBeCloseTo(-0.0075 * 3, 9);
    expect(partOf(share([50, 100]), 'c-1').parts.share).toBe(0);
    expect(partOf(decide(compiled, facts({ tenantId: 'gen' }), ALL, state({ share: [0, 100] }), T, healthy()), 'p-std').parts.share).toBe(0);
  });

  it('adds expected wait (outstanding × latency), except inside a reservation with room', () => {
    const d = decide(compiled, facts(), ALL, state(), T, healthy({ 'p-std': { outstanding: 3 }, 'p-ptu': { outstanding: 1 } }));
    expect(partOf(d, 'p-std').parts.latency).toBeCloseTo(0.02 * 0.0075 * 4 * 0.5, 12);
    expect(partOf(d, 'p-ptu').parts.latency).toBeCloseTo(0.02 * 0.0075 * 0.5, 12);
  });

  it('flags an unknown price instead of treating it as free', () => {
    const d = decide(compiled, facts(), [S_1, dep('u-1', 'other', 'x', undefined)], state(), T, healthy());
    expect(partOf(d, 'u-1')).toMatchObject({ parts: { cost: 0.0015 }, flags: ['price-unknown'] });
  });
});

describe('contract policy: the decision record', () => {
  it('is plain JSON and has a one-line summary for the response header', () => {
    const d = decide(compiled, facts({ model: 'x-model', tenantId: 'acme' }), ALL, state(), T, healthy());
    expect(JSON.parse(JSON.stringify(d))).toEqual(d);
    expect(d.version).toBe(compiled.version);
    expect(summary(d)).toBe(`v=${compiled.version.slice(0, 12)}; class=enterprise; pick=p-ptu(reserved); then=p-std; filtered=msa/x-excl:c-1,s-1`);
    const blocked = decide(compiled, facts({ model: 'launch' }), ALL, state(), T, healthy({ 'p-ptu': DOWN, 'p-std': DOWN }));
    expect(summary(blocked)).toBe(`v=${compiled.version.slice(0, 12)}; class=-; pick=-; filtered=unavailable:p-ptu,p-std msa/launch:c-1,s-1; blocked=msa/launch`);
  });

  it('is cheap enough for every hop: 10,000 decisions over 5 candidates, each reading the state a bounded number of times', () => {
    const five = [...ALL, dep('s-2', 's-acct', 'on-prem', 0.6)];
    const calls = { spend: 0, share: 0, reservation: 0 };
    const counting: ContractState = {
      commitmentSpendUsd: () => (calls.spend++, 590),
      shareCounts: () => (calls.share++, { toParty: 60, total: 100 }),
      reservationUsage: () => (calls.reservation++, { inFlight: 1, tokensLastMinute: 100 }),
    };
    const f = facts({ tenantId: 'acme' });
    const h = healthy();
    const first = decide(compiled, f, five, counting, T, h);
    let same = 0;
    for (let i = 0; i < 10_000; i++) if (decide(compiled, f, five, counting, T, h).ranked.join() === first.ranked.join()) same++;
    expect(same).toBe(10_000);
    expect(first.candidates).toHaveLength(5);
    // Per decision: one spend read (cached per commitment), one reservation read, one share read per partner candidate.
    expect(calls).toEqual({ spend: 10_001, share: 20_002, reservation: 10_001 });
  });
});
