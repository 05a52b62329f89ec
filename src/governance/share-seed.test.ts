// Seeded share counters must equal the live ones: the same served attempts, counted once live
// (attribute + recordServed, as each attempt finishes) and once from the ledger's grouped rows
// (tallyShares + replaceShares, at start-up), give the same counts in every scope and period.

import { describe, expect, it } from 'vitest';
import { parseContracts } from '../contracts/compile.js';
import { dep } from '../contracts/test-support/estate.js';
import { periodOf } from '../contracts/time.js';
import type { ServedCount } from '../ledger/store.js';
import { attribute } from '../policy/contracts-attribution.js';
import { classify, type RequestFacts } from '../policy/contracts-classify.js';
import { InMemoryContractState } from '../policy/contracts-state.js';
import { tallyShares } from './share-seed.js';

const compiled = parseContracts(`contracts:
  parties:
    - { id: partner, name: Partner, accounts: [p-acct] }
    - { id: other, name: Other, accounts: [o-acct] }
  trafficClasses:
    - { id: enterprise, match: { tenants: [ent-*] } }
  agreements:
    - id: msa
      party: partner
      term: { start: 2026-01-01, end: 2026-12-31 }
      clauses:
        - { id: ent, type: preferred-share, class: enterprise, minPercent: 60, period: month }
        - { id: fm, type: preferred-share, models: [frontier, mini], minPercent: 30, period: quarter }
    - id: side
      party: other
      term: { start: 2026-01-01, end: 2026-12-31 }
      clauses:
        - { id: fo, type: preferred-share, models: [frontier], minPercent: 10, period: month }
`, 'shares.yaml');

const P = dep('p-1', 'p-acct', 'east', 2);
const O = dep('o-1', 'o-acct', 'west', 1);
const U = dep('u-1', 'nobody-acct', 'west', 1); // an account no party owns
const T = Date.parse('2026-05-10T00:00:00Z');
const facts = (model: string, tenantId: string): RequestFacts => ({ model, tenantId, keyId: null, tags: [], expectedTokens: { prompt: 10, completion: 5 } });

describe('tallyShares', () => {
  it('gives the counters the live path would have counted for the same served attempts', () => {
    // Enterprise and other tenants, three models, three accounts (one of no party).
    const served: { f: RequestFacts; d: typeof P; n: number }[] = [
      { f: facts('frontier', 'ent-a'), d: P, n: 5 },
      { f: facts('frontier', 'ent-b'), d: O, n: 3 },
      { f: facts('frontier', 'gen'), d: P, n: 4 },
      { f: facts('frontier', 'gen'), d: U, n: 2 },
      { f: facts('mini', 'ent-a'), d: O, n: 6 },
      { f: facts('other-model', 'ent-a'), d: P, n: 7 },
      { f: facts('other-model', 'gen'), d: O, n: 9 },
    ];
    const live = new InMemoryContractState();
    const rows: ServedCount[] = [];
    for (const { f, d, n } of served) {
      for (let i = 0; i < n; i++) live.recordServed(attribute(compiled, f, d, T + i, f.expectedTokens));
      rows.push({ model: f.model, deploymentId: d.id, account: d.account, classId: classify(compiled, f), attempts: n });
    }
    const seeded = new InMemoryContractState();
    const month = periodOf('month', T);
    const quarter = periodOf('quarter', T);
    seeded.replaceShares(month.key, tallyShares(compiled, rows, T));
    seeded.replaceShares(quarter.key, tallyShares(compiled, rows, T));
    for (const scope of ['class:enterprise', 'models:frontier,mini', 'models:frontier']) {
      for (const party of ['partner', 'other']) {
        for (const p of [month, quarter]) expect(seeded.shareCounts(scope, party, p), `${scope} ${party} ${p.key}`).toEqual(live.shareCounts(scope, party, p));
      }
    }
    // And the figures themselves: enterprise = 5 + 3 + 6 + 7 requests, 12 to the partner;
    // frontier and mini = 5 + 3 + 4 + 2 + 6, the other party's frontier share 3 of 14.
    expect(seeded.shareCounts('class:enterprise', 'partner', month)).toEqual({ total: 21, toParty: 12 });
    expect(seeded.shareCounts('models:frontier,mini', 'partner', quarter)).toEqual({ total: 20, toParty: 9 });
    expect(seeded.shareCounts('models:frontier', 'other', month)).toEqual({ total: 14, toParty: 3 });
  });

  it('replaces a period\'s counters rather than adding to them, and leaves other periods alone', () => {
    const s = new InMemoryContractState();
    const month = periodOf('month', T);
    const before = periodOf('month', Date.parse('2026-04-10T00:00:00Z'));
    s.replaceShares(before.key, new Map([['models:frontier', new Map([['', 4], ['partner', 1]])]]));
    s.replaceShares(month.key, new Map([['models:frontier', new Map([['', 9], ['partner', 3]])]]));
    s.replaceShares(month.key, new Map([['models:frontier', new Map([['', 2]])]]));
    expect(s.shareCounts('models:frontier', 'partner', month)).toEqual({ total: 2, toParty: 0 });
    expect(s.shareCounts('models:frontier', 'partner', before)).toEqual({ total: 4, toParty: 1 });
  });

  it('counts nothing for attempts outside every share scope', () => {
    expect(tallyShares(compiled, [{ model: 'other-model', deploymentId: 'p-1', account: 'p-acct', classId: null, attempts: 10 }], T).size).toBe(0);
  });
});
