// `treaty simulate`: load the files, build the input, run, print and write the outputs.
// Edge code (files, a ledger connection); the run itself is simulate(), which does no I/O.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseContractDate } from '../contracts/time.js';
import { openLedger } from '../ledger/open.js';
import { charts } from './charts.js';
import { commitmentsCsv, dailyCsv, sharesCsv, summaryCsv } from './csv.js';
import { parseDuration } from './duration.js';
import { simulateParallel } from './parallel.js';
import { baseContractsFile, DEFAULT_ESTATE, loadGatewayConfig, loadTraffic, parseVariants } from './load.js';
import { loadReplay } from './replay.js';
import { renderTable } from './table.js';
import type { SimulationInput, SimulationResult } from './types.js';

export interface SimulateOptions {
  config: string;
  traffic?: string;
  horizon?: string;
  seed?: number;
  step?: string;
  compare?: string;
  contracts?: string;
  out?: string;
  format?: 'table' | 'json' | 'csv';
  /** Ledger URL: replay its requests of [from, to) instead of generating traffic. */
  replay?: string;
  from?: string;
  to?: string;
  /** Overrides traffic.weight. */
  weight?: number;
  /** Worker threads for a comparison (default: the cores available; 1: none). */
  threads?: number;
}

export async function buildInput(opts: SimulateOptions): Promise<SimulationInput> {
  const config = loadGatewayConfig(opts.config);
  const variants = parseVariants(opts.compare, baseContractsFile(opts.config, config, opts.contracts));
  const tf = opts.traffic ? loadTraffic(opts.traffic, config, variants) : undefined;
  const stepMs = parseDuration(opts.step ?? '1m', '--step');
  const common = {
    deployments: [...config.deployments.values()],
    models: config.models,
    resilience: config.resilience,
    maxAttempts: config.server.maxAttempts,
    requestTimeoutMs: config.server.requestTimeoutMs,
    estate: tf?.estate ?? DEFAULT_ESTATE,
    events: tf?.events ?? [],
    stepMs,
    seed: opts.seed ?? 1,
    variants,
    initialCommitmentSpend: tf?.initialCommitmentSpend ?? {},
  };
  if (opts.replay) {
    const fromMs = opts.from ? parseContractDate(opts.from, 'start') : undefined;
    const toMs = opts.to ? parseContractDate(opts.to, 'end') : undefined;
    if (fromMs === undefined || toMs === undefined || toMs <= fromMs) throw new Error('--replay needs --from and --to (UTC dates YYYY-MM-DD, --to inclusive, after --from)');
    const store = await openLedger(opts.replay);
    try {
      const { requests, notes } = await loadReplay(store, fromMs, toMs, config.models);
      // Pacing starts from what the ledger says was spent before the period, as the gateway
      // seeds it at start-up (at the terms then in force), unless the traffic file says otherwise.
      const initial: Record<string, number> = { ...common.initialCommitmentSpend };
      for (const c of variants.flatMap((v) => v.contracts?.segments.flatMap((seg) => seg.index.commitments) ?? [])) {
        if (initial[c.ref] === undefined && c.termStartMs < fromMs) initial[c.ref] = await store.spendToDate(c.countsToward.accounts, c.termStartMs, fromMs);
      }
      return { ...common, initialCommitmentSpend: initial, traffic: { replay: requests, label: notes.join('; ') }, startMs: fromMs, endMs: toMs };
    } finally {
      await store.close();
    }
  }
  if (!tf) throw new Error('give --traffic <file> (a traffic profile), or --replay <ledger URL> with --from and --to');
  const profile = opts.weight !== undefined ? { ...tf.profile, weight: opts.weight } : tf.profile;
  const startMs = profile.startMs;
  return { ...common, traffic: { profile }, startMs, endMs: startMs + parseDuration(opts.horizon ?? '365d', '--horizon') };
}

/** Writes result.json, the CSVs and the SVG charts into `dir`; returns the paths written. */
export function writeOutputs(r: SimulationResult, dir: string): string[] {
  mkdirSync(join(dir, 'charts'), { recursive: true });
  const files = new Map<string, string>([
    ['result.json', `${JSON.stringify(r, null, 2)}\n`],
    ['summary.csv', summaryCsv(r)],
    ['daily.csv', dailyCsv(r)],
    ['shares.csv', sharesCsv(r)],
    ['commitments.csv', commitmentsCsv(r)],
    ['summary.txt', renderTable(r)],
  ]);
  for (const [name, svg] of charts(r)) files.set(join('charts', name), svg);
  for (const [name, text] of files) writeFileSync(join(dir, name), text);
  return [...files.keys()].map((f) => join(dir, f));
}

/** Runs the command; the text is what goes to stdout. */
export async function runSimulate(opts: SimulateOptions): Promise<string> {
  const result = await simulateParallel(await buildInput(opts), opts.threads);
  const written = opts.out ? writeOutputs(result, opts.out) : [];
  const tail = written.length ? `wrote ${written.length} files to ${opts.out}: result.json, summary.csv, daily.csv, shares.csv, commitments.csv, charts/*.svg\n` : '';
  switch (opts.format ?? 'table') {
    case 'json':
      return `${JSON.stringify(result, null, 2)}\n`;
    case 'csv':
      return summaryCsv(result);
    default:
      return `${renderTable(result)}${tail}`;
  }
}
