// The Simulations view: a run written by `treaty simulate --out` shows up, and its side-by-side
// figures are the ones in the run's result.json.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSimulate } from '../../src/simulator/command.js';
import { runBrowserTests } from './support/chromium.js';
import { screenshots, startDashboard, type Dashboard } from './support/dashboard.js';
import { startDemoStack, type DemoStack } from './support/demo-stack.js';

describe.skipIf(!runBrowserTests)('dashboard: simulations', () => {
  let stack: DemoStack;
  let dash: Dashboard;
  beforeAll(async () => {
    stack = await startDemoStack();
    dash = await startDashboard(stack.adminUrl);
    await runSimulate({ config: stack.configFile, traffic: 'examples/traffic.yaml', horizon: '7d', seed: 3, step: '1m', compare: 'contracts,cheapest', out: join(stack.simulationsDir, 'week'), format: 'json', threads: 1 });
  }, 120_000);
  afterAll(async () => {
    await dash?.close();
    await stack?.close();
  });

  it('lists the run and shows each variant\'s figures exactly as the run recorded them', async () => {
    const result = JSON.parse(await readFile(join(stack.simulationsDir, 'week', 'result.json'), 'utf8')) as { variants: { name: string; cost: { totalUsd: number }; availabilityPercent: number }[] };
    const page = await dash.open('#/simulations', stack.adminKey);
    await page.waitForSelector('tr[data-run="week"] a');
    await page.click('tr[data-run="week"] a');
    await page.waitForSelector('table.sim-compare');
    const totals = await page.$$eval('table.sim-compare [data-field="totalUsd"]', (els) => els.map((e) => Number((e as unknown as { dataset: Record<string, string> }).dataset.value)));
    expect(totals).toEqual(result.variants.map((v) => v.cost.totalUsd));
    const avail = await page.$$eval('table.sim-compare [data-field="availabilityPercent"]', (els) => els.map((e) => Number((e as unknown as { dataset: Record<string, string> }).dataset.value)));
    expect(avail).toEqual(result.variants.map((v) => v.availabilityPercent));
    expect(await page.$$eval('svg', (els) => els.length)).toBeGreaterThan(0);
    await screenshots(page, 'simulations', 'table.sim-compare');
    await page.close();
  });
});
