import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLedger } from '../ledger/open.js';
import type { LedgerStore } from '../ledger/store.js';
import { finish, start } from '../ledger/test-support/fixtures.js';
import { runSimulate } from './command.js';
import { simulate } from './engine.js';
import { loadReplay } from './replay.js';
import { CONFIG, NO_AMENDMENT, smallInput } from './test-support/scenario.js';

const T0 = Date.UTC(2026, 6, 1);
const dir = mkdtempSync(join(tmpdir(), 'treaty-replay-'));
const url = `sqlite:${join(dir, 'ledger.db')}`;
let store: LedgerStore;

/** A past quarter in miniature: 600 served requests over 3 days, one that failed, one retried. */
async function fill(s: LedgerStore): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const requestId = `r${i}`;
    const t = T0 + i * 432_000;
    const tenantId = i % 3 === 0 ? 'acme' : i % 3 === 1 ? 'startup-a' : 'eu-bank';
    const cls = tenantId === 'acme' ? 'enterprise' : tenantId === 'eu-bank' ? 'eu' : null;
    await s.beginAttempt(start({ requestId, tenantId, keyId: null, model: 'frontier', deploymentId: 'azure-eastus-std', account: 'azure-partner', startedAt: t, decision: JSON.stringify({ class: cls }), estimatedPromptTokens: 900 }));
    await s.finishAttempt(finish({ requestId, endedAt: t + 3_000, promptTokens: 1_000, completionTokens: 300, cachedPromptTokens: 0 }));
  }
  await s.beginAttempt(start({ requestId: 'lost', model: 'frontier', startedAt: T0 + 1, estimatedPromptTokens: 500 }));
  await s.finishAttempt(finish({ requestId: 'lost', status: 'failed', endedAt: T0 + 2, promptTokens: null, completionTokens: null }));
  await s.beginAttempt(start({ requestId: 'gone-model', model: 'retired', startedAt: T0 + 3 }));
}

beforeAll(async () => {
  store = await openLedger(url);
  await store.migrate();
  await fill(store);
});

afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('replay of the ledger\'s traffic', () => {
  it('turns attempt rows into one request each: time, model, tenant, class, tokens', async () => {
    const { requests, notes } = await loadReplay(store, T0, T0 + 3 * 86_400_000, smallInput().models);
    expect(requests.length).toBe(601);
    expect(requests[0]).toMatchObject({ t: T0, weight: 1, facts: { model: 'frontier', tenantId: 'acme', trafficClass: 'enterprise', expectedTokens: { prompt: 900, completion: 256 } }, promptTokens: 1_000, completionTokens: 300 });
    // The failed one is replayed with its estimate; the one for a model no longer configured is left out.
    expect(requests.find((r) => r.promptTokens === 500)).toMatchObject({ completionTokens: 0 });
    expect(notes.join('\n')).toMatch(/1 replayed requests were never served[\s\S]*1 ledger requests name a model the config no longer has/);
  });

  it('answers "what would it have cost under another policy?" for the same requests', async () => {
    const { requests } = await loadReplay(store, T0, T0 + 3 * 86_400_000, smallInput().models);
    const base = smallInput({ compare: 'contracts,cheapest' });
    const r = simulate({ ...base, traffic: { replay: requests, label: 'ledger' }, startMs: T0, endMs: T0 + 3 * 86_400_000, initialCommitmentSpend: {} });
    const [contracts, cheapest] = r.variants;
    for (const v of r.variants) expect(v.requests.real).toBe(601);
    // So little traffic fits the prepaid capacity: the contract policy pays nothing on demand.
    expect(contracts!.clouds.map((c) => c.key)).toEqual(['partner']);
    expect(contracts!.cost.onDemandEffectiveUsd).toBe(0);
    expect(contracts!.breaches).toEqual([]);
    // The price-only baseline pays the commit cloud, and sends the EU bank out of its regions.
    expect(cheapest!.clouds.find((c) => c.key === 'commit-cloud')!.requests).toBeGreaterThan(500);
    expect(cheapest!.breaches.map((b) => b.clause)).toEqual(['customer-dpa/eu-residency']);
  });

  it('runs from the command line: treaty simulate --replay <url> --from --to', async () => {
    const out = await runSimulate({ config: CONFIG, replay: url, from: '2026-07-01', to: '2026-07-03', compare: `contracts,contracts@${NO_AMENDMENT}`, threads: 1 });
    expect(out).toMatch(/traffic: replayed 601 requests from the ledger/);
    expect(out).toMatch(/requests \(real\)\s+601\s+601/);
    // Spend to date comes from the ledger, not from an assumption.
    expect(out).not.toMatch(/assumed on plan/);
    await expect(runSimulate({ config: CONFIG, replay: url, from: '2026-07-01', threads: 1 })).rejects.toThrow('--replay needs --from and --to');
  });
});
