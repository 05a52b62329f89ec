import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../config/schema-dsl.js';
import { parseContracts } from './compile.js';

function problems(text: string): string[] {
  try {
    parseContracts(text, 'c.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('contracts compiled without errors');
}

const HEAD = `contracts:
  parties:
    - { id: partner, name: Partner, accounts: [p-acct] }
  trafficClasses:
    - { id: enterprise, match: { tenants: [ent-*] } }
  agreements:
    - id: msa
      party: partner
      term: { start: 2026-01-01, end: 2026-12-31 }
      clauses:
`;
const withClause = (clause: string): string => `${HEAD}${clause.trim().replace(/^/gm, '        ')}\n`;

describe('contract language: strict parse with file:line:col', () => {
  it('accepts the shipped examples and freezes the result', () => {
    for (const f of ['examples/contracts.yaml', 'examples/contracts-no-amendment.yaml']) {
      const c = parseContracts(readFileSync(f, 'utf8'), f);
      expect(Object.isFrozen(c)).toBe(true);
      expect(Object.isFrozen(c.agreements[0]!.clauses[0])).toBe(true);
      expect(c.version).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it('hashes content, not layout: comments and flow style keep the version, a changed number does not', () => {
    const a = parseContracts(withClause('- { id: s, type: preferred-share, class: enterprise, minPercent: 60 }\n'), 'a.yaml');
    const b = parseContracts(`# a comment\n${withClause('- id: s   # same clause, block style\n  type: preferred-share\n  minPercent: 60\n  class: enterprise\n')}`, 'b.yaml');
    const c = parseContracts(withClause('- { id: s, type: preferred-share, class: enterprise, minPercent: 61 }\n'), 'a.yaml');
    expect(b.version).toBe(a.version);
    expect(c.version).not.toBe(a.version);
  });

  it('rejects an unknown key with its position and a suggestion', () => {
    expect(problems(withClause('- { id: s, type: preferred-share, class: enterprise, minPercnt: 60 }\n'))).toEqual([
      'c.yaml:11:62: unknown key "minPercnt" in contracts.agreements[0].clauses[0]; did you mean "minPercent"?',
    ]);
  });

  it('rejects a bad enum value with a suggestion', () => {
    expect(problems(withClause('- { id: s, type: exclusivty, models: [m], window: { start: 2026-01-01, end: 2026-02-01 } }\n'))[0]).toBe(
      'c.yaml:11:26: contracts.agreements[0].clauses[0].type must be one of commitment, reservation, preferred-share, exclusivity, early-access, residency (got "exclusivty"); did you mean "exclusivity"?',
    );
  });

  it('rejects a field that belongs to another clause type, pointing at it', () => {
    const p = problems(withClause('- id: s\n  type: residency\n  class: enterprise\n  regions: [eu-1]\n  discountPercent: 10\n'));
    expect(p).toEqual(['c.yaml:15:28: "discountPercent" does not apply to a residency clause; its fields are id, onUnavailable, note, tenants, class, regions']);
  });

  it('names missing required fields and the either-or selectors', () => {
    expect(problems(withClause('- { id: s, type: commitment }\n'))).toEqual(['c.yaml:11:11: a commitment clause needs "amountUsd"']);
    expect(problems(withClause('- { id: s, type: exclusivity, window: { start: 2026-01-01, end: 2026-02-01 } }\n'))).toEqual(['c.yaml:11:11: a exclusivity clause needs "models" or "class"']);
    expect(problems(withClause('- { id: s, type: reservation, deployment: d, usdPerPeriod: 1, capacity: {} }\n'))).toEqual(['c.yaml:11:11: a reservation clause needs "capacity"']);
  });

  it('rejects unknown classes and parties with a hint', () => {
    expect(problems(withClause('- { id: s, type: preferred-share, class: enterprse, minPercent: 60 }\n'))).toEqual(['c.yaml:11:50: unknown traffic class "enterprse"; did you mean "enterprise"?']);
    expect(problems(HEAD.replace('party: partner', 'party: partnr') + '        - { id: s, type: residency, class: enterprise, regions: [x] }\n')).toEqual(['c.yaml:8:14: unknown party "partnr"; did you mean "partner"?']);
  });

  it('rejects impossible dates, inverted spans and plans that do not add up', () => {
    expect(problems(withClause('- { id: s, type: exclusivity, models: [m], window: { start: 2026-02-30, end: 2026-03-01 } }\n'))).toEqual(['c.yaml:11:69: not a real date']);
    expect(problems(withClause('- { id: s, type: exclusivity, models: [m], window: { start: 2026-05-01, end: 2026-03-01 } }\n'))).toEqual(['c.yaml:11:86: ends (2026-03-01) before it starts (2026-05-01)']);
    expect(problems(withClause('- { id: s, type: exclusivity, models: [m], window: { start: 2026-1-1, end: 2026-03-01 } }\n'))[0]).toMatch(/^c\.yaml:11:69: .*window\.start must be a UTC date YYYY-MM-DD/);
    const plan = '- id: s\n  type: commitment\n  amountUsd: 100\n  schedule: periods\n  periods:\n    - { start: 2026-01-01, end: 2026-06-30, amountUsd: 40 }\n    - { start: 2026-07-01, end: 2027-01-31, amountUsd: 50 }\n';
    expect(problems(withClause(plan))).toEqual(['c.yaml:17:15: period lies outside the term 2026-01-01 .. 2026-12-31', 'c.yaml:16:13: the periods sum to 90 USD but amountUsd is 100']);
  });

  it('rejects duplicate ids and an account shared by two parties', () => {
    const text = HEAD.replace('    - { id: partner, name: Partner, accounts: [p-acct] }\n', '    - { id: partner, name: Partner, accounts: [p-acct] }\n    - { id: other, name: Other, accounts: [p-acct] }\n') + '        - { id: s, type: residency, class: enterprise, regions: [x] }\n        - { id: s, type: residency, class: enterprise, regions: [y] }\n';
    expect(problems(text)).toEqual(['c.yaml:4:44: account "p-acct" already belongs to party "partner"; an account belongs to one party', 'c.yaml:13:17: clause id "s" is used twice; ids must be unique']);
  });

  it('requires the contracts: top-level key and reports YAML syntax errors with positions', () => {
    expect(problems('parties: []\n')[0]).toMatch(/^c\.yaml:1:1: unknown key "parties" in \(top level\)/);
    expect(problems('contracts:\n  parties: [\n')[0]).toMatch(/^c\.yaml:\d+:\d+: /);
  });

  it('requires a superseding body to keep the id of the clause it replaces', () => {
    const text = withClause('- { id: s, type: preferred-share, class: enterprise, minPercent: 60 }\n') + '  amendments:\n    - id: a1\n      agreement: msa\n      effective: 2026-06-01\n      supersedes:\n        - { clause: s, with: { id: t, type: preferred-share, class: enterprise, minPercent: 70 } }\n';
    expect(problems(text)).toEqual(['c.yaml:17:36: the new body keeps the id of the clause it replaces ("s"); leave id out']);
  });
});
