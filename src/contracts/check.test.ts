import { describe, expect, it } from 'vitest';
import { checkContracts } from './check.js';
import { parseContracts } from './compile.js';
import { exitCodeFor, formatFindings, type Finding } from './findings.js';
import { dep } from './test-support/estate.js';

const deployments = [dep('p-1', 'p-acct', 'east', 2.5), dep('o-1', 'o-acct', 'west', 2), dep('c-1', 'c-acct', 'us-1', 2)];
const models = { m: ['p-1', 'o-1', 'c-1'], solo: ['c-1'] };
const NOW = Date.parse('2026-01-01T00:00:00Z');

function check(agreements: string, extra = '', now = NOW): Finding[] {
  const text = `contracts:
  parties:
    - { id: partner, name: Partner, accounts: [p-acct] }
    - { id: other, name: Other, accounts: [o-acct] }
    - { id: commit, name: Commit, accounts: [c-acct] }
  trafficClasses:
    - { id: eu, match: { tenants: [eu-*] } }
    - { id: enterprise, match: { tenants: [ent-*] } }
  agreements:
${agreements.trim().replace(/^/gm, '    ')}
${extra}`;
  return checkContracts(parseContracts(text, 'k.yaml'), { deployments, models, now });
}
const codes = (fs: Finding[]): string[] => fs.map((f) => `${f.severity} ${f.code}`);
const agreement = (id: string, party: string, clauses: string, term = '{ start: 2026-01-01, end: 2027-12-31 }'): string =>
  `- id: ${id}\n  party: ${party}\n  term: ${term}\n  clauses:\n${clauses.trim().replace(/^/gm, '    ')}`;

describe('conflict checker', () => {
  it('reports exclusivities of different parties over the same model, for the overlap only', () => {
    const f = check(`${agreement('a', 'partner', '- { id: x, type: exclusivity, models: [m], window: { start: 2026-01-01, end: 2026-06-30 } }')}
${agreement('b', 'other', '- { id: y, type: early-access, models: [m], window: { start: 2026-04-01, end: 2026-12-31 } }')}`);
    // Both windows together also leave model m with nothing, for the same span.
    expect(codes(f)).toEqual(['error EXCLUSIVITY_OVERLAP', 'error NO_ELIGIBLE_DEPLOYMENT']);
    expect(f[1]!.message).toMatch(/^model m has no eligible deployment for all traffic from 2026-04-01 to 2026-06-30/);
    expect(f[0]!.message).toBe('model m is granted exclusively to both partner (a/x) and other (b/y) from 2026-04-01 to 2026-06-30: no deployment can honour both');
  });

  it('does not report windows that only touch, or windows of the same party', () => {
    const f = check(`${agreement('a', 'partner', '- { id: x, type: exclusivity, models: [m], window: { start: 2026-01-01, end: 2026-03-31 } }')}
${agreement('a2', 'partner', '- { id: z, type: exclusivity, models: [m], window: { start: 2026-02-01, end: 2026-05-31 } }')}
${agreement('b', 'other', '- { id: y, type: exclusivity, models: [m], window: { start: 2026-06-01, end: 2026-12-31 } }')}`);
    expect(codes(f)).toEqual([]);
  });

  it('reports preferred shares above 100 % for one class, until an amendment lowers one', () => {
    const f = check(`${agreement('a', 'partner', '- { id: s, type: preferred-share, class: enterprise, minPercent: 60 }')}
${agreement('b', 'other', '- { id: s, type: preferred-share, class: enterprise, minPercent: 50, period: quarter }')}`, `  amendments:
    - { id: fix, agreement: b, effective: 2026-07-01, supersedes: [{ clause: s, with: { type: preferred-share, class: enterprise, minPercent: 40 } }] }`);
    expect(codes(f)).toEqual(['error SHARES_ABOVE_100']);
    expect(f[0]!.message).toBe('preferred shares of class enterprise add up to 110% from 2026-01-01 to 2026-06-30 (a/s, b/s); no routing can honour them all');
  });

  it('reports a commitment the capacity cannot reach, saying what it assumed', () => {
    const f = check(agreement('c', 'commit', '- { id: spend, type: commitment, amountUsd: 100000, discountPercent: 20, maxUsdPerHour: { c-1: 5 } }'));
    expect(codes(f)).toEqual(['error COMMITMENT_UNREACHABLE']);
    // 5 $/h × 0.8 × 17,520 h = $70,080 over the two-year term.
    expect(f[0]!.message).toContain('needs $100,000 more from 2026-01-01, but the deployments that count toward it can take at most $70,080');
    expect(f[0]!.message).toContain('Assumed: capacity c-1 $5/h (maxUsdPerHour), at list × (1 − 20%)');
    expect(f[0]!.message).toContain('A true-up of at least $29,920 would be billed');
  });

  it('takes capacity from a reservation on a counted deployment before any hint', () => {
    const clauses = '- { id: spend, type: commitment, amountUsd: 100000, maxUsdPerHour: { c-1: 1000 } }\n- { id: pt, type: reservation, deployment: c-1, usdPerPeriod: 10, capacity: { tokensPerMinute: 1000 } }';
    const f = check(agreement('c', 'commit', clauses));
    // 1,000 tok/min × 60 × (0.75 × $2 + 0.25 × $8) / 1e6 = $0.21/h.
    expect(codes(f)).toEqual(['error COMMITMENT_UNREACHABLE']);
    expect(f[0]!.message).toContain('c-1 $0/h (reservation c/pt, 1000 tokens/min at 75% prompt tokens)');
  });

  it('warns instead when capacity is unknown, and errs when nothing counts toward it', () => {
    expect(codes(check(agreement('c', 'commit', '- { id: spend, type: commitment, amountUsd: 100 }')))).toEqual(['warning COMMITMENT_UNVERIFIED']);
    const none = check(agreement('c', 'commit', '- { id: spend, type: commitment, amountUsd: 100, countsToward: { accounts: [nobody] } }'));
    expect(none.map((x) => x.message)).toEqual(['c/spend: no configured deployment counts toward it (accounts nobody, deployments —), so nothing can be spent toward $100']);
  });

  it('counts only eligible time: an exclusivity of another party on the only model makes the commitment unreachable', () => {
    const commit = agreement('c', 'commit', '- { id: spend, type: commitment, amountUsd: 100000, maxUsdPerHour: { c-1: 10 } }');
    expect(codes(check(commit))).toEqual([]);
    const f = check(`${commit}\n${agreement('a', 'partner', '- { id: x, type: exclusivity, models: [m, solo], window: { start: 2026-01-01, end: 2026-12-31 } }')}`);
    expect(codes(f)).toEqual(['error COMMITMENT_UNREACHABLE', 'error NO_ELIGIBLE_DEPLOYMENT']);
    expect(f[1]!.message).toMatch(/^model solo has no eligible deployment for all traffic from 2026-01-01 to 2026-12-31/);
    expect(f[0]!.refs).toEqual(['c/spend', 'a/x']);
    expect(f[0]!.message).toContain('c-1 is ineligible 2026-01-01 → 2026-12-31 because of a/x');
  });

  it('reports rules that leave a model with no eligible deployment: an error when they fail closed, a warning when they serve elsewhere', () => {
    const closed = check(agreement('d', 'partner', '- { id: r, type: residency, class: eu, regions: [mars] }'));
    expect(codes(closed)).toEqual(['error NO_ELIGIBLE_DEPLOYMENT', 'error NO_ELIGIBLE_DEPLOYMENT']);
    expect(closed.map((x) => x.message.split(' (')[0])).toEqual(['model m has no eligible deployment for class eu from 2026-01-01 to 2027-12-31', 'model solo has no eligible deployment for class eu from 2026-01-01 to 2027-12-31']);
    const open = check(agreement('d', 'partner', '- { id: r, type: residency, tenants: [acme], regions: [mars], onUnavailable: serve-elsewhere }'));
    expect(codes(open)).toEqual(['warning NO_ELIGIBLE_DEPLOYMENT', 'warning NO_ELIGIBLE_DEPLOYMENT']);
    expect(open[0]!.message).toContain('for tenant acme');
    expect(open[0]!.message).toContain('every such request will be served elsewhere as an exception');
  });

  it('reports amendments naming clauses or agreements that do not exist, with hints', () => {
    const f = check(agreement('a', 'partner', '- { id: share, type: preferred-share, class: enterprise, minPercent: 60 }'), `  amendments:
    - { id: m1, agreement: a, effective: 2026-03-01, waives: [shre] }
    - { id: m2, agreement: b, effective: 2026-03-01, waives: [share] }
    - { id: m3, agreement: a, effective: 2029-03-01, waives: [share] }`);
    expect(f.map((x) => `${x.severity} ${x.code}: ${x.message}`)).toEqual([
      'error AMENDMENT_UNKNOWN_CLAUSE: amendment m1 names clause "shre", which agreement a does not have; did you mean "share"?; that part has no effect',
      'error AMENDMENT_UNKNOWN_AGREEMENT: amendment m2 amends agreement "b", which does not exist; did you mean "a"?; it has no effect',
      'warning AMENDMENT_OUTSIDE_TERM: amendment m3 takes effect 2029-03-01, outside the term of a (2026-01-01 → 2027-12-31)',
    ]);
  });

  it('reports clauses naming deployments or models the config lacks, and reservations on another party', () => {
    const f = check(agreement('a', 'partner', `
- { id: r1, type: reservation, deployment: p-2, usdPerPeriod: 1, capacity: { concurrency: 1 } }
- { id: r2, type: reservation, deployment: o-1, usdPerPeriod: 1, capacity: { concurrency: 1 } }
- { id: s, type: preferred-share, models: [mm], minPercent: 10 }`));
    expect(f.map((x) => `${x.code}: ${x.message}`)).toEqual([
      'UNKNOWN_DEPLOYMENT: a/r1: deployment names deployment "p-2", which the config does not declare; did you mean "p-1"?',
      'RESERVATION_NOT_OWNED: a/r2: deployment o-1 bills to account o-acct, which is not partner\'s',
      'UNKNOWN_MODEL: a/s: model "mm" is not served by any pool in the config; did you mean "m"?',
    ]);
  });

  it('formats findings for a terminal and exits 1 on errors (or warnings with strict)', () => {
    const warn: Finding = { severity: 'warning', code: 'UNKNOWN_MODEL', message: 'w', where: 'k.yaml:3:4', refs: [] };
    const err: Finding = { severity: 'error', code: 'SHARES_ABOVE_100', message: 'e', refs: [] };
    expect(formatFindings([warn, err])).toBe('error SHARES_ABOVE_100: e\nk.yaml:3:4: warning UNKNOWN_MODEL: w\ncontracts: 1 error, 1 warning\n');
    expect([exitCodeFor([]), exitCodeFor([warn]), exitCodeFor([warn], { strict: true }), exitCodeFor([err])]).toEqual([0, 0, 1, 1]);
  });
});
