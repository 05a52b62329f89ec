import { describe, expect, it } from 'vitest';
import { parseContracts } from './compile.js';
import { plannedSpend } from './schedule.js';
import { inForce, segmentAt } from './timeline.js';
import type { CommitmentClause, PreferredShareClause } from './types.js';
import { contractsView } from './view.js';

const TEXT = `contracts:
  parties:
    - { id: partner, name: Partner, accounts: [p-acct] }
  trafficClasses:
    - { id: enterprise, match: { tenants: [ent-*] } }
  agreements:
    - id: msa
      party: partner
      term: { start: 2026-01-01, end: 2027-12-31 }
      clauses:
        - { id: excl, type: exclusivity, models: [frontier], window: { start: 2026-01-01, end: 2027-06-30 } }
        - { id: share, type: preferred-share, class: enterprise, minPercent: 60 }
        - id: spend
          type: commitment
          amountUsd: 1000
          schedule: periods
          periods:
            - { start: 2026-01-01, end: 2026-12-31, amountUsd: 400 }
            - { start: 2027-01-01, end: 2027-12-31, amountUsd: 600 }
  amendments:
    - id: a2
      agreement: msa
      effective: 2026-09-01
      waives: [bonus-share]
    - id: a1
      agreement: msa
      effective: 2026-06-01
      waives: [excl]
      supersedes:
        - { clause: share, with: { type: preferred-share, class: enterprise, minPercent: 70 } }
      adds:
        - { id: bonus-share, type: preferred-share, models: [frontier], minPercent: 10 }
`;

const c = parseContracts(TEXT, 'a.yaml');
const at = (iso: string): number => Date.parse(iso);
const ids = (t: number): string[] => inForce(c, t).map((x) => `${x.id}:${x.source}`).sort();

describe('amendments: in force only from their effective date', () => {
  it('applies nothing before the agreement starts or after it ends', () => {
    expect(inForce(c, at('2025-12-31T23:59:59Z'))).toEqual([]);
    expect(inForce(c, at('2028-01-01T00:00:00Z'))).toEqual([]);
  });

  it('keeps the original clauses up to the last millisecond before the effective date', () => {
    expect(ids(at('2026-05-31T23:59:59.999Z'))).toEqual(['excl:original', 'share:original', 'spend:original']);
    expect((inForce(c, at('2026-05-31T12:00:00Z')).find((x) => x.id === 'share') as PreferredShareClause).minPercent).toBe(60);
    expect(segmentAt(c, at('2026-05-31T12:00:00Z')).index.windowsByModel.get('frontier')?.map((x) => x.ref)).toEqual(['msa/excl']);
  });

  it('waives, supersedes and adds from 00:00 UTC of the effective day', () => {
    const t = at('2026-06-01T00:00:00Z');
    expect(ids(t)).toEqual(['bonus-share:added by a1', 'share:superseded by a1', 'spend:original']);
    expect((inForce(c, t).find((x) => x.id === 'share') as PreferredShareClause).minPercent).toBe(70);
    expect(segmentAt(c, t).index.windowsByModel.get('frontier')).toBeUndefined();
  });

  it('applies amendments in effective order, whatever the file order: a later one may waive what an earlier one added', () => {
    expect(ids(at('2026-09-01T00:00:00Z'))).toEqual(['share:superseded by a1', 'spend:original']);
  });

  it('opens and closes windows on their own dates inside the term', () => {
    const d = parseContracts(TEXT.replace(/ {2}amendments:[\s\S]*$/, ''), 'b.yaml');
    expect(segmentAt(d, at('2027-06-30T23:00:00Z')).index.windowsByModel.get('frontier')).toHaveLength(1);
    expect(segmentAt(d, at('2027-07-01T00:00:00Z')).index.windowsByModel.get('frontier')).toBeUndefined();
    expect(inForce(d, at('2027-07-01T00:00:00Z')).map((x) => x.id)).toContain('excl');
  });

  it('plans a periods schedule period by period, linearly inside each', () => {
    const spend = inForce(c, at('2026-03-01T00:00:00Z')).find((x) => x.id === 'spend') as CommitmentClause;
    expect(plannedSpend(spend, at('2026-01-01T00:00:00Z'))).toBe(0);
    expect(plannedSpend(spend, at('2027-01-01T00:00:00Z'))).toBeCloseTo(400, 9);
    expect(plannedSpend(spend, at('2027-07-02T12:00:00Z'))).toBeCloseTo(700, 0);
    expect(plannedSpend(spend, at('2030-01-01T00:00:00Z'))).toBe(1000);
  });

  it('leaves amendments that name missing clauses or agreements to the checker, inert', () => {
    const text = TEXT.replace('waives: [excl]', 'waives: [exclusivity]').replace('agreement: msa\n      effective: 2026-09-01', 'agreement: mas\n      effective: 2026-09-01');
    const d = parseContracts(text, 'c.yaml');
    expect(d.amendments.find((m) => m.id === 'a1')!.unknownClauses.map((u) => u.id)).toEqual(['exclusivity']);
    expect(d.amendments.find((m) => m.id === 'a2')!.unknownAgreement).toBe(true);
    expect(inForce(d, at('2026-10-01T00:00:00Z')).map((x) => x.id).sort()).toEqual(['bonus-share', 'excl', 'share', 'spend']);
  });
});

describe('the admin view of the contracts', () => {
  it('shows each clause as in force, waived or superseded at a time, with a summary', () => {
    const before = contractsView(c, at('2026-03-01T00:00:00Z')).agreements[0]!.clauses;
    expect(before.map((x) => [x.id, x.inForce, x.waivedBy, x.supersededBy])).toEqual([['excl', true, null, null], ['share', true, null, null], ['spend', true, null, null]]);
    const after = contractsView(c, at('2026-06-15T00:00:00Z'));
    expect(after.agreements[0]!.clauses.map((x) => [x.id, x.inForce, x.waivedBy, x.supersededBy, x.addedBy])).toEqual([
      ['excl', false, 'a1', null, null],
      ['share', true, null, 'a1', null],
      ['spend', true, null, null, null],
      ['bonus-share', true, null, null, 'a1'],
    ]);
    expect(after.agreements[0]!.clauses[1]!.summary).toBe('≥ 70% of class enterprise to partner per month');
    expect(after.agreements[0]!.clauses[0]!.summary).toBe('model frontier only via partner, 2026-01-01 → 2027-06-30');
    expect(JSON.parse(JSON.stringify(after))).toEqual(after);
  });
});
