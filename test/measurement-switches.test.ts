// The two switches the benchmark uses to show what the policy engine and the attempt ledger
// cost (contracts.enabled, ledger.recordAttempts): each turns off exactly what it says, and
// says so in the log.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOYMENTS, KEYS, startHarness, type Harness } from './support/harness.js';

async function chat(h: Harness, model: string) {
  const r = await request(`${h.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model, messages: [{ role: 'user', content: 'switch test' }] }), headers: { authorization: `Bearer ${KEYS.client}`, 'content-type': 'application/json' } });
  return { status: r.statusCode, headers: r.headers, body: await r.body.text() };
}

const MODELS = '  - { name: only-azure, deployments: [az-ptu, br-a] }';

describe('ledger.recordAttempts: false', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ modelsYaml: MODELS, extraYaml: 'ledger:\n  recordAttempts: false' });
  });
  afterAll(async () => h?.close());

  it('serves as usual but writes no attempt rows, and warns at start', async () => {
    for (let i = 0; i < 3; i++) expect((await chat(h, 'only-azure')).status).toBe(200);
    // With recording on, each attempt's write-ahead row is durable before the upstream call.
    expect(h.attempts('az-ptu').length + h.attempts('br-a').length).toBe(3);
    expect(await h.gateway.ledger.listAttempts({ limit: 100 })).toEqual([]);
    expect(h.logs.some((l) => l.includes('recordAttempts is false'))).toBe(true);
  });
});

describe('contracts.enabled: false', () => {
  let h: Harness;
  beforeAll(async () => {
    // A contract that would keep the model on az-ptu, fail-closed, with the switch off.
    const file = join(mkdtempSync(join(tmpdir(), 'treaty-switch-')), 'contracts.yaml');
    writeFileSync(file, `contracts:
  parties:
    - { id: partner, name: Partner, accounts: [azure-partner] }
  agreements:
    - id: partner-msa
      party: partner
      term: { start: 2024-01-01, end: 2030-12-31 }
      clauses:
        - { id: excl, type: exclusivity, models: [only-azure], window: { start: 2024-01-01, end: 2030-12-31 }, onUnavailable: fail-closed }
`);
    h = await startHarness({
      modelsYaml: MODELS,
      resilienceYaml: '  backoffBaseMs: 1\n  backoffMaxMs: 2\n  consecutiveFailures: 1000\n  throttleK: 0',
      extraYaml: `contracts:\n  enabled: false\n  file: "${file}"\n  watchMs: 0`,
    });
  });
  afterAll(async () => h?.close());
  afterEach(() => h.estate.engine.setFaults(DEPLOYMENTS['az-ptu']!.provider, DEPLOYMENTS['az-ptu']!.name, []));

  it('routes without the policy engine: no decision header, nothing contract-related in the ledger row', async () => {
    const r = await chat(h, 'only-azure');
    expect(r.status).toBe(200);
    expect(r.headers['x-treaty-decision']).toBeUndefined();
    const [row] = await h.gateway.ledger.listAttempts({ limit: 1 });
    expect(row?.contractVersion ?? null).toBeNull();
    expect(h.logs.some((l) => l.includes('contracts.enabled is false'))).toBe(true);
  });

  it('no longer enforces the clauses: with the partner failing, the other cloud serves what the exclusivity would refuse', async () => {
    h.estate.engine.setFaults(DEPLOYMENTS['az-ptu']!.provider, DEPLOYMENTS['az-ptu']!.name, [{ fault: 'server_error' }]);
    for (let i = 0; i < 5; i++) {
      const r = await chat(h, 'only-azure');
      expect(r.status).toBe(200);
      expect(r.headers['x-treaty-deployment']).toBe('br-a');
    }
  });
});
