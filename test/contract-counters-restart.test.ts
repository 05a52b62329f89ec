// A restart mid-period keeps the contract counters: commitment spend to date and this period's
// preferred-share counts are re-derived from the ledger at start-up, so the live counters
// (what the router ranks with, what /admin/contracts/counters and the dashboard show) carry on
// from where the last process left them instead of starting again from zero.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LiveCounters } from '../src/governance/live-counters.js';
import { KEYS, startHarness, type Harness } from './support/harness.js';

const CONTRACTS = `contracts:
  parties:
    - { id: partner, name: Partner, accounts: [azure-partner] }
    - { id: commit, name: Commit, accounts: [aws-commit] }
  agreements:
    - id: partner-msa
      party: partner
      term: { start: 2024-01-01, end: 2030-12-31 }
      clauses:
        - { id: share, type: preferred-share, models: [frontier], minPercent: 30, period: month }
        - { id: qshare, type: preferred-share, models: [frontier], minPercent: 20, period: quarter }
    - id: commit-deal
      party: commit
      term: { start: 2024-01-01, end: 2030-12-31 }
      clauses:
        - { id: spend, type: commitment, amountUsd: 100000, discountPercent: 10 }
`;
const MODELS = '  - { name: frontier, deployments: [az-ptu, br-a] }';

let dir: string;
let ledgerUrl: string;
let contractsFile: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'treaty-counters-restart-'));
  ledgerUrl = `sqlite:${join(dir, 'ledger.db')}`;
  contractsFile = join(dir, 'contracts.yaml');
  writeFileSync(contractsFile, CONTRACTS);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const start = (): Promise<Harness> => startHarness({ contractsFile, ledgerUrl, modelsYaml: MODELS });

async function chat(h: Harness): Promise<string> {
  const r = await request(`${h.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'frontier', messages: [{ role: 'user', content: 'restart test' }] }), headers: { authorization: `Bearer ${KEYS.client}`, 'content-type': 'application/json' } });
  await r.body.text();
  expect(r.statusCode).toBe(200);
  return String(r.headers['x-treaty-deployment']);
}

async function counters(h: Harness): Promise<LiveCounters> {
  const r = await request(`${h.gateway.adminUrl}/admin/contracts/counters`, { headers: { authorization: `Bearer ${KEYS.admin}` } });
  return (await r.body.json()) as LiveCounters;
}

describe('contract counters across a restart', () => {
  it('re-derives this period\'s preferred-share counts and commitment spend from the ledger', async () => {
    const first = await start();
    let toPartner = 0;
    let before: LiveCounters;
    try {
      for (let i = 0; i < 12; i++) if ((await chat(first)) === 'az-ptu') toPartner++;
      before = await counters(first);
      expect(before.shares.map((s) => [s.clause, s.total, s.toParty])).toEqual([
        ['partner-msa/share', 12, toPartner],
        ['partner-msa/qshare', 12, toPartner],
      ]);
    } finally {
      await first.close();
    }
    expect(toPartner).toBeLessThan(12); // some went to the committed party: both counts matter

    const second = await start();
    try {
      // Before any new traffic: where the last process left off, not zero.
      const after = await counters(second);
      expect(after.shares).toEqual(before.shares);
      expect(after.commitments[0]!.spentUsd).toBeCloseTo(before.commitments[0]!.spentUsd, 9);
      expect(after.commitments[0]!.spentUsd).toBeGreaterThan(0);
      // And from there, live.
      const d = await chat(second);
      const next = await counters(second);
      expect(next.shares[0]).toMatchObject({ total: 13, toParty: toPartner + (d === 'az-ptu' ? 1 : 0) });
    } finally {
      await second.close();
    }
  });
});
