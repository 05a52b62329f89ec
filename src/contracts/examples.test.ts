// The shipped examples against the demo estate (examples/treaty.yaml): without the amendment
// the checker flags the exclusivity-vs-commitment conflict; with it the set is clean.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileConfig } from '../config/compile.js';
import { PROVIDERS } from '../upstreams/registry.js';
import { checkContracts } from './check.js';
import { parseContracts } from './compile.js';
import { exitCodeFor, formatFindings } from './findings.js';
import { contractsReference } from './reference.js';

const env = { TREATY_ADMIN_KEY: 'admin', TREATY_DEMO_KEY: 'demo', AZURE_OPENAI_API_KEY: 'a', AWS_ACCESS_KEY_ID: 'b', AWS_SECRET_ACCESS_KEY: 'c', VLLM_API_KEY: 'd' };
const cfg = compileConfig({ text: readFileSync('examples/treaty.yaml', 'utf8'), file: 'examples/treaty.yaml', providers: PROVIDERS, env, hash: () => 'a'.repeat(64) });
const estate = { deployments: [...cfg.deployments.values()], models: Object.fromEntries([...cfg.models].map(([n, p]) => [n, p.deployments.map((d) => d.id)])) };
const load = (f: string) => parseContracts(readFileSync(f, 'utf8'), f);
const NOWS = ['2025-10-01', '2026-01-01', '2026-05-15'].map((d) => Date.parse(`${d}T00:00:00Z`));

describe('the shipped contracts on the demo estate', () => {
  it('flags the partner exclusivity against the commit-cloud commitment when the amendment is missing', () => {
    const c = load('examples/contracts-no-amendment.yaml');
    for (const now of NOWS) {
      const findings = checkContracts(c, { ...estate, now });
      expect(findings.map((f) => [f.severity, f.code])).toEqual([['error', 'COMMITMENT_UNREACHABLE']]);
      expect(findings[0]!.refs).toEqual(['commit-2026/spend-commitment', 'partner-msa/frontier-exclusivity']);
      expect(findings[0]!.message).toMatch(/bedrock-trn, bedrock-inf are ineligible 2026-0[15]-(01|15) → 2026-12-31 because of partner-msa\/frontier-exclusivity/);
      expect(findings[0]!.where).toMatch(/^examples\/contracts-no-amendment\.yaml:\d+:\d+$/);
      expect(exitCodeFor(findings)).toBe(1);
    }
  });

  it('is clean with the amendment (exclusivity waived from 2026-06-01, share raised to 70 %)', () => {
    const c = load('examples/contracts.yaml');
    for (const now of [...NOWS, Date.parse('2027-03-01T00:00:00Z')]) {
      const findings = checkContracts(c, { ...estate, now });
      expect(findings).toEqual([]);
      expect(exitCodeFor(findings)).toBe(0);
      expect(formatFindings(findings)).toBe('contracts: no conflicts found\n');
    }
  });

  it('uses the ledger figure for spend to date when given: far behind plan the amended set is unreachable too', () => {
    const c = load('examples/contracts.yaml');
    const now = Date.parse('2028-01-01T00:00:00Z');
    expect(checkContracts(c, { ...estate, now, spentUsd: { 'commit-2026/spend-commitment': 1_500_000 } })).toEqual([]);
    const short = checkContracts(c, { ...estate, now, spentUsd: { 'commit-2026/spend-commitment': 1_000_000 } });
    expect(short.map((f) => f.code)).toEqual(['COMMITMENT_UNREACHABLE']);
    expect(short[0]!.message).toContain('spent so far $1,000,000 (ledger)');
  });

  it('keeps docs/contracts.md generated from the schema and the example', () => {
    const expected = contractsReference({ example: readFileSync('examples/contracts.yaml', 'utf8') });
    expect(readFileSync('docs/contracts.md', 'utf8')).toBe(expected);
  });
});
