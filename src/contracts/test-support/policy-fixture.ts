// Shared fixture for the contract policy tests: a small estate and contracts covering every
// clause type. Test-only (imported by *.test.ts).

import { parseContracts } from '../compile.js';
import { dep } from './estate.js';
import type { RequestFacts } from '../../policy/contracts-classify.js';
import type { Health } from '../../policy/contracts-rank.js';

export const POLICY_CONTRACTS = `contracts:
  parties:
    - { id: partner, name: Partner, accounts: [p-acct] }
    - { id: commit, name: Commit, accounts: [c-acct] }
    - { id: self, name: Own, accounts: [s-acct] }
  trafficClasses:
    - { id: eu, match: { tenants: [eu-*] } }
    - { id: enterprise, match: { tenants: [acme, ent-*], tags: [enterprise] } }
    - { id: batch-open, match: { keys: [batch-*], models: [open], combine: all } }
  agreements:
    - id: msa
      party: partner
      term: { start: 2026-01-01, end: 2026-12-31 }
      clauses:
        - { id: x-excl, type: exclusivity, models: [x-model], window: { start: 2026-01-01, end: 2026-06-30 }, onUnavailable: serve-elsewhere }
        - { id: launch, type: early-access, models: [launch], window: { start: 2026-01-01, end: 2026-03-31 } }
        - { id: share, type: preferred-share, class: enterprise, minPercent: 60 }
        - { id: ptu, type: reservation, deployment: p-ptu, usdPerPeriod: 100, capacity: { concurrency: 2, tokensPerMinute: 10000 } }
    - id: deal
      party: commit
      term: { start: 2026-01-01, end: 2026-12-31 }
      clauses:
        - { id: spend, type: commitment, amountUsd: 3650, discountPercent: 20 }
    - id: dpa
      party: self
      term: { start: 2026-01-01, end: 2026-12-31 }
      clauses:
        - { id: eu-res, type: residency, class: eu, regions: [east] }
`;

export const compiled = parseContracts(POLICY_CONTRACTS, 'policy.yaml');
export const P_PTU = dep('p-ptu', 'p-acct', 'east', 2.5);
export const P_STD = dep('p-std', 'p-acct', 'east', 2.5);
export const C_1 = dep('c-1', 'c-acct', 'us-1', 2);
export const S_1 = dep('s-1', 's-acct', 'on-prem', 0.5);
export const ALL = [P_PTU, P_STD, C_1, S_1];
/** 2026-03-02 00:00 UTC: day 60 of the commitment's term, so its plan is $600 (of $3,650). */
export const T = Date.parse('2026-03-02T00:00:00Z');

export const facts = (over: Partial<RequestFacts> = {}): RequestFacts => ({ model: 'm', tenantId: 'gen', keyId: null, tags: [], expectedTokens: { prompt: 1000, completion: 500 }, ...over });
export const healthy = (over: Record<string, Partial<Health>> = {}) => (id: string): Health => ({ available: true, latencyMs: 500, outstanding: 0, ...over[id] });
