// `treaty report`: the same figures as the ledger, as a table, JSON and CSV.

import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { openLedger } from '../src/ledger/open.js';
import { KEYS, startHarness } from './support/harness.js';

const run = promisify(execFile);

describe('treaty report', () => {
  it('reports spend per account and the per-day reconciliation view, matching the ledger', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'treaty-report-'));
    const db = join(dir, 'ledger.db');
    const h = await startHarness({ ledgerUrl: `sqlite:${db}` });
    try {
      for (let i = 0; i < 6; i++) {
        const r = await request(`${h.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${KEYS.client}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: i % 2 ? 'only-bedrock' : 'only-azure', messages: [{ role: 'user', content: `report ${i}` }] }) });
        await r.body.dump();
      }
    } finally {
      await h.close();
    }
    const config = join(dir, 'treaty.yaml');
    writeFileSync(config, `auth: { disabled: true }\nledger: { url: "sqlite:${db}" }\ndeployments:\n  - { id: x, provider: openai-compatible, baseUrl: "http://127.0.0.1:9", model: m }\nmodels:\n  - { name: m, deployments: [x] }\n`);
    const cli = (args: string[]) => run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'report', ...args, '-c', config]);
    const json = JSON.parse((await cli(['spend', '--by', 'account', '--format', 'json'])).stdout) as { key: string; attempts: number; effectiveCostUsd: number }[];
    const store = await openLedger(`sqlite:${db}`);
    const rows = await store.listAttempts({ limit: 1000 });
    await store.close();
    const byAccount = (acct: string) => rows.filter((r) => r.account === acct).reduce((s, r) => s + (r.effectiveCostUsd ?? 0), 0);
    expect(json.find((r) => r.key === 'aws-commit')!.effectiveCostUsd).toBeCloseTo(byAccount('aws-commit'), 9);
    expect(json.find((r) => r.key === 'azure-partner')!.attempts).toBe(rows.filter((r) => r.account === 'azure-partner').length);
    const csv = (await cli(['reconcile', '--format', 'csv'])).stdout.trim().split('\n');
    expect(csv[0]).toContain('day');
    // The invoice view's own columns: attempts' cost, reserved capacity's fees, their sum.
    for (const col of ['usageUsd', 'reservationFeesUsd', 'invoiceUsd']) expect(csv[0]).toContain(col);
    expect(csv.length).toBeGreaterThan(1);
    const table = (await cli(['spend', '--by', 'model'])).stdout;
    expect(table).toMatch(/^key\s+attempts/m);
  }, 60_000);
});
