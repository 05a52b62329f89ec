import { describe, expect, it } from 'vitest';
import { C_1, compiled, facts, P_PTU, S_1, T } from '../contracts/test-support/policy-fixture.js';
import { dep } from '../contracts/test-support/estate.js';
import { periodOf } from '../contracts/time.js';
import { attribute } from './contracts-attribution.js';
import { InMemoryContractState } from './contracts-state.js';

const usage = { prompt: 1000, completion: 500 };

describe('attribution: what a served attempt means for the contracts', () => {
  it('bills commitment spend at the discount and counts it toward the commitment', () => {
    const a = attribute(compiled, facts(), C_1, T, usage);
    expect(a).toMatchObject({ classId: null, partyId: 'commit', reservationRef: null, shareScopes: [], periodKeys: ['2026-03', '2026-Q1'], listCostUsd: 0.006 });
    expect(a.commitments).toEqual([{ ref: 'deal/spend', usd: a.effectiveCostUsd }]);
    expect(a.effectiveCostUsd).toBeCloseTo(0.0048, 12);
  });

  it('carries reserved traffic at no extra cost, and counts preferred-share scopes by class', () => {
    const a = attribute(compiled, facts({ tenantId: 'acme' }), P_PTU, T, usage);
    expect(a).toMatchObject({ classId: 'enterprise', partyId: 'partner', reservationRef: 'msa/ptu', commitments: [], shareScopes: ['class:enterprise'], listCostUsd: 0.0075, effectiveCostUsd: 0 });
  });

  it('keeps an unknown price unknown', () => {
    const a = attribute(compiled, facts(), dep('u', 'c-acct', 'us-1', undefined), T, usage);
    expect([a.listCostUsd, a.effectiveCostUsd, a.commitments]).toEqual([undefined, undefined, []]);
    expect(attribute(compiled, facts(), S_1, T, usage).partyId).toBe('self');
  });
});

describe('in-memory contract state', () => {
  it('sums commitment spend on top of a seed from the ledger', () => {
    const s = new InMemoryContractState();
    s.setCommitmentSpend('deal/spend', 100);
    s.recordServed(attribute(compiled, facts(), C_1, T, usage));
    expect(s.commitmentSpendUsd('deal/spend')).toBeCloseTo(100.0048, 9);
  });

  it('counts shares per period, month and quarter alike', () => {
    const s = new InMemoryContractState();
    s.recordServed(attribute(compiled, facts({ tenantId: 'acme' }), P_PTU, T, usage));
    s.recordServed(attribute(compiled, facts({ tenantId: 'acme' }), C_1, T, usage));
    s.recordServed(attribute(compiled, facts({ tenantId: 'acme' }), C_1, Date.parse('2026-04-01T00:00:00Z'), usage));
    expect(s.shareCounts('class:enterprise', 'partner', periodOf('month', T))).toEqual({ toParty: 1, total: 2 });
    expect(s.shareCounts('class:enterprise', 'partner', periodOf('quarter', T))).toEqual({ toParty: 1, total: 2 });
    expect(s.shareCounts('class:enterprise', 'partner', periodOf('month', Date.parse('2026-04-02T00:00:00Z')))).toEqual({ toParty: 0, total: 1 });
  });

  it('tracks reservation load: in flight until ended, tokens for a sliding minute', () => {
    const s = new InMemoryContractState();
    s.reservationStart('msa/ptu', 0, 1000);
    s.reservationStart('msa/ptu', 30_000, 500);
    expect(s.reservationUsage('msa/ptu', 59_999)).toEqual({ inFlight: 2, tokensLastMinute: 1500 });
    s.reservationEnd('msa/ptu');
    expect(s.reservationUsage('msa/ptu', 60_000)).toEqual({ inFlight: 1, tokensLastMinute: 500 });
    expect(s.reservationUsage('msa/ptu', 90_000)).toEqual({ inFlight: 1, tokensLastMinute: 0 });
  });
});
