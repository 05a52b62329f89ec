// `treaty report <kind>`: the ledger's reports on the terminal (table), as JSON or as CSV —
// spend by a dimension, the invoice reconciliation view (per account and day), and the
// contract reports (commitments, shares, reservations, exceptions).

import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseContracts } from '../contracts/compile.js';
import type { CompiledContracts } from '../contracts/types.js';
import { openLedger } from '../ledger/open.js';
import type { SpendDimension } from '../ledger/store.js';
import { loadConfig } from '../main.js';
import { commitmentReport, exceptionReport, reservationReport, shareReport } from '../reports/compliance.js';
import { reconcileReport } from '../reports/reconcile.js';

export const REPORT_KINDS = ['spend', 'reconcile', 'commitments', 'shares', 'reservations', 'exceptions'] as const;
export type ReportKind = (typeof REPORT_KINDS)[number];

type Row = Record<string, unknown>;

export async function runReport(kind: ReportKind, opts: { config: string; format: 'table' | 'json' | 'csv'; by: string; days: number; ledger?: string }): Promise<string> {
  const env = new Proxy(process.env, { get: (t, k) => (typeof k === 'string' ? (t[k] ?? 'unset-for-report') : undefined) });
  const config = loadConfig({ configPath: opts.config, env });
  const store = await openLedger(opts.ledger ?? config.ledger.url);
  try {
    const now = Date.now();
    const from = now - opts.days * 86_400_000;
    const contracts = (): CompiledContracts => {
      if (!config.contracts.file) throw new Error('this report needs contracts.file in the config');
      const file = resolve(dirname(opts.config), config.contracts.file);
      return parseContracts(readFileSync(file, 'utf8'), file);
    };
    let rows: Row[];
    switch (kind) {
      case 'spend':
        rows = (await store.spendBy(opts.by as SpendDimension, from, now + 1)) as unknown as Row[];
        break;
      case 'reconcile':
        // Attempts' cost plus reserved capacity's fees, per account and day: what the bill says.
        rows = (await reconcileReport(store, config.contracts.file ? contracts() : undefined, (id) => config.deployments.get(id)?.account, from, now + 1)) as unknown as Row[];
        break;
      case 'commitments':
        rows = (await commitmentReport(store, contracts(), now)).map(({ points: _p, term, ...r }) => ({ ...r, termStart: iso(term.start), termEnd: iso(term.end) }));
        break;
      case 'shares':
        rows = (await shareReport(store, contracts(), now)).flatMap(({ periods, ...s }) => periods.map((p) => ({ clauseId: s.clauseId, party: s.party, minPercent: s.minPercent, periodStart: iso(p.start), percent: p.percent, requests: p.requests, belowFloor: p.percent !== null && p.percent < s.minPercent })));
        break;
      case 'reservations':
        rows = (await reservationReport(store, contracts(), now)).map(({ capacity, ...r }) => ({ ...r, capacity: JSON.stringify(capacity) }));
        break;
      case 'exceptions':
        rows = (await exceptionReport(store, from, now)).exceptions.map((e) => ({ ...e, at: iso(e.at) }));
        break;
    }
    return render(rows, opts.format);
  } finally {
    await store.close();
  }
}

const iso = (t: number): string => new Date(t).toISOString();

export function render(rows: Row[], format: 'table' | 'json' | 'csv'): string {
  if (format === 'json') return `${JSON.stringify(rows, null, 2)}\n`;
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cell = (v: unknown): string => (v === null || v === undefined ? '' : typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(6)) : String(v));
  if (format === 'csv') {
    const esc = (s: string): string => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
    return `${[cols.join(','), ...rows.map((r) => cols.map((c) => esc(cell(r[c]))).join(','))].join('\n')}\n`;
  }
  if (!rows.length) return '(no rows)\n';
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]): string => vals.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  return `${[line(cols), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(cols.map((c) => cell(r[c]))))].join('\n')}\n`;
}
