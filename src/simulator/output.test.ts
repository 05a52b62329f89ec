import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { charts } from './charts.js';
import { writeOutputs } from './command.js';
import { dailyCsv, sharesCsv, summaryCsv } from './csv.js';
import { simulate } from './engine.js';
import { lineChart, stackedBars } from './svg.js';
import { renderTable } from './table.js';
import { smallInput } from './test-support/scenario.js';

const result = simulate(smallInput({ compare: 'contracts,cheapest', days: 2 }));

describe('the outputs', () => {
  it('prints the variants side by side on the terminal', () => {
    const text = renderTable(result);
    const lines = text.split('\n');
    expect(lines[0]).toBe('simulation 2026-05-30 → 2026-06-01 (2 days), step 1 min, seed 7, weight 100 real requests per simulated one; traffic: generated profile');
    expect(text).toMatch(/assumes: unlimited capacity assumed for azure-eastus-embed, vllm-embed/);
    const header = lines.find((l) => l.trim().startsWith('contracts') && l.includes('cheapest'))!;
    expect(header.indexOf('contracts')).toBeLessThan(header.indexOf('cheapest'));
    for (const row of ['availability', 'class enterprise: latency p50/p95/p99', 'reservation fees', 'commit-2026/spend-commitment: spend / plan', 'partner-msa/eastus-ptu: utilisation', 'partner-msa/enterprise-share: periods below floor', 'partner-msa/frontier-exclusivity: exceptions / breaches']) {
      expect(lines.some((l) => l.trimStart().startsWith(row)), row).toBe(true);
    }
    expect(lines.at(-2)).toMatch(/simulated requests in .* s wall, .* s CPU: .* simulated requests per CPU second$/);
  });

  it('writes CSV with one column per variant, and daily and per-period series', () => {
    expect(summaryCsv(result).split('\n')[0]).toBe('measure,contracts,cheapest');
    expect(summaryCsv(result)).toMatch(/\navailability,\d+\.\d+%,\d+\.\d+%\n/);
    const daily = dailyCsv(result).trim().split('\n');
    expect(daily[0]).toBe('variant,day,requests,served,availability_percent,effective_usd,usd_commit-cloud,usd_partner,usd_self');
    expect(daily.length).toBe(1 + 2 * 2);
    expect(sharesCsv(result)).toMatch(/^variant,clause,party,scope,period,min_percent,percent,requests,met,partial\ncontracts,partner-msa\/enterprise-share,partner,class:enterprise,2026-05,60,/);
  });

  it('draws its charts as standalone SVG, escaping text', () => {
    const svgs = charts(result);
    expect([...svgs.keys()].sort()).toEqual(['availability.svg', 'commitment-commit-2026-spend-commitment.svg', 'cost-by-cloud.svg', 'cost-daily.svg', 'reservation-partner-msa-eastus-ptu.svg', 'share-partner-msa-enterprise-share.svg']);
    for (const svg of svgs.values()) {
      expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
      expect(svg.trim().endsWith('</svg>')).toBe(true);
      expect(svg).not.toMatch(/NaN|undefined|Infinity/);
    }
    const line = lineChart({ title: 'a <b> & "c"', yLabel: 'y', x: ['1', '2', '3'], series: [{ name: 's', values: [1, null, 3] }] });
    expect(line).toContain('a &lt;b&gt; &amp; &quot;c&quot;');
    // A gap in the data breaks the line rather than drawing through it.
    expect(line.match(/<path d="([^"]*)"/)![1]!.match(/M/g)!.length).toBe(2);
    expect(stackedBars({ title: 't', yLabel: 'y', groups: [{ name: 'g', stacks: { a: 1, b: 2 } }] })).toContain('<title>g b: 2</title>');
  });

  it('writes everything into the output folder', () => {
    const dir = mkdtempSync(join(tmpdir(), 'treaty-sim-'));
    try {
      const written = writeOutputs(result, dir);
      expect(written.length).toBe(12);
      expect(readdirSync(join(dir, 'charts')).length).toBe(6);
      expect(JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')).variants.map((v: { name: string }) => v.name)).toEqual(['contracts', 'cheapest']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
