// CSV views of a result, one file each: the comparison summary (the terminal table), the
// daily series of every variant, preferred shares per period, and commitment burn-down.

import { comparisonRows } from './table.js';
import type { SimulationResult } from './types.js';

const esc = (v: unknown): string => {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};
const csv = (rows: unknown[][]): string => `${rows.map((r) => r.map(esc).join(',')).join('\n')}\n`;

export function summaryCsv(r: SimulationResult): string {
  return csv([['measure', ...r.variants.map((v) => v.name)], ...comparisonRows(r).map((row) => [row[0].trim(), ...row.slice(1)])]);
}

export function dailyCsv(r: SimulationResult): string {
  const parties = [...new Set(r.variants.flatMap((v) => v.daily.flatMap((d) => Object.keys(d.byParty))))].sort();
  const rows: unknown[][] = [['variant', 'day', 'requests', 'served', 'availability_percent', 'effective_usd', ...parties.map((p) => `usd_${p}`)]];
  for (const v of r.variants) for (const d of v.daily) rows.push([v.name, d.day, Math.round(d.requests), Math.round(d.served), d.availabilityPercent?.toFixed(4), d.effectiveUsd.toFixed(2), ...parties.map((p) => (d.byParty[p] ?? 0).toFixed(2))]);
  return csv(rows);
}

export function sharesCsv(r: SimulationResult): string {
  const rows: unknown[][] = [['variant', 'clause', 'party', 'scope', 'period', 'min_percent', 'percent', 'requests', 'met', 'partial']];
  for (const v of r.variants) for (const s of v.shares) for (const p of s.periods) rows.push([v.name, s.ref, s.party, s.scope, p.key, p.minPercent, p.percent?.toFixed(2), Math.round(p.requests), p.met, p.partial]);
  return csv(rows);
}

export function commitmentsCsv(r: SimulationResult): string {
  const rows: unknown[][] = [['variant', 'clause', 'day', 'plan_usd', 'spend_usd']];
  for (const v of r.variants) for (const c of v.commitments) for (const d of c.daily) rows.push([v.name, c.ref, d.day, d.planUsd.toFixed(2), d.spendUsd.toFixed(2)]);
  return csv(rows);
}
