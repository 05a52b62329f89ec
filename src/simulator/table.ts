// The terminal view: one row per measure, one column per variant, so policies and contract
// sets read side by side. Money in whole dollars, shares and availability in percent.

import type { SimulationResult, VariantResult } from './types.js';

type Cell = string;
type Row = [string, ...Cell[]];

export const usd = (x: number): string => `$${Math.round(x).toLocaleString('en-US')}`;
const pctCell = (x: number | null, digits = 1): string => (x === null ? '-' : `${x.toFixed(digits)}%`);
const num = (x: number): string => Math.round(x).toLocaleString('en-US');
const secs = (ms: number | null): string => (ms === null ? '-' : `${(ms / 1000).toFixed(1)}s`);

/** Union of keys across variants, in first-seen order. */
function keys<T>(vs: readonly VariantResult[], pick: (v: VariantResult) => readonly T[], key: (t: T) => string): string[] {
  const out: string[] = [];
  for (const v of vs) for (const t of pick(v)) if (!out.includes(key(t))) out.push(key(t));
  return out;
}

export function comparisonRows(r: SimulationResult): Row[] {
  const vs = r.variants;
  const row = (label: string, f: (v: VariantResult) => Cell): Row => [label, ...vs.map(f)];
  const rows: Row[] = [
    row('policy', (v) => v.policy),
    row('contracts', (v) => (v.contracts ? `${v.contracts.file.split('/').pop()} ${v.contracts.version.slice(0, 8)}` : '-')),
    ['REQUESTS', ...vs.map(() => '')],
    row('  requests (real)', (v) => num(v.requests.real)),
    row('  availability', (v) => pctCell(v.availabilityPercent, 3)),
    row('  failed: blocked/unavail/upstream/budget', (v) => ['blocked', 'unavailable', 'upstream', 'budget'].map((k) => num(v.requests.failed[k] ?? 0)).join('/')),
  ];
  for (const id of keys(vs, (v) => v.classes, (c) => c.id)) {
    rows.push(row(`  class ${id}: availability`, (v) => pctCell(v.classes.find((c) => c.id === id)?.availabilityPercent ?? null, 3)));
    rows.push(row(`  class ${id}: latency p50/p95/p99`, (v) => {
      const l = v.classes.find((c) => c.id === id)?.latencyMs;
      return l ? `${secs(l.p50)}/${secs(l.p95)}/${secs(l.p99)}` : '-';
    }));
  }
  rows.push(['COST', ...vs.map(() => '')]);
  rows.push(row('  on-demand (effective)', (v) => usd(v.cost.onDemandEffectiveUsd)));
  rows.push(row('  reservation fees', (v) => usd(v.cost.reservationFeesUsd)));
  rows.push(row('  true-up (terms ended)', (v) => usd(v.cost.trueUpUsd)));
  rows.push(row('  total', (v) => usd(v.cost.totalUsd)));
  rows.push(row('  + projected shortfall at term end', (v) => usd(v.cost.projectedShortfallUsd)));
  rows.push(row('  unpriced requests', (v) => num(v.cost.unpricedRequests)));
  for (const k of keys(vs, (v) => v.clouds, (c) => c.key)) rows.push(row(`  cloud ${k}`, (v) => usd(v.clouds.find((c) => c.key === k)?.effectiveUsd ?? 0)));
  rows.push(['CONTRACTS', ...vs.map(() => '')]);
  for (const ref of keys(vs, (v) => v.commitments, (c) => c.ref)) {
    const c = (v: VariantResult) => v.commitments.find((x) => x.ref === ref);
    rows.push(row(`  ${ref}: spend / plan`, (v) => (c(v) ? `${usd(c(v)!.spendUsd)} / ${usd(c(v)!.planUsd)} (${pctCell(c(v)!.attainmentPercent, 0)})` : '-')));
    rows.push(row(`  ${ref}: at term end ${vs.map(c).find(Boolean)?.termEnd ?? ''}`, (v) => (c(v) ? `${usd(c(v)!.atTermEndUsd)}${c(v)!.endsInHorizon ? '' : ' (projected)'}` : '-')));
    rows.push(row(`  ${ref}: shortfall`, (v) => (c(v) ? usd(c(v)!.shortfallUsd) : '-')));
  }
  for (const ref of keys(vs, (v) => v.reservations, (x) => x.ref)) {
    const x = (v: VariantResult) => v.reservations.find((y) => y.ref === ref);
    rows.push(row(`  ${ref}: utilisation`, (v) => pctCell(x(v)?.utilisationPercent ?? null)));
    rows.push(row(`  ${ref}: fees / list value served`, (v) => (x(v) ? `${usd(x(v)!.feesUsd)} / ${usd(x(v)!.listValueUsd)}` : '-')));
  }
  for (const ref of keys(vs, (v) => v.shares, (x) => x.ref)) {
    const s = (v: VariantResult) => v.shares.find((y) => y.ref === ref);
    rows.push(row(`  ${ref}: periods below floor`, (v) => {
      const x = s(v);
      if (!x) return '-';
      const scored = x.periods.filter((p) => p.percent !== null);
      const worst = scored.length ? Math.min(...scored.map((p) => p.percent! - p.minPercent)) : null;
      return `${x.periodsBelowFloor}/${x.periods.length}${worst === null ? '' : ` (worst ${worst >= 0 ? '+' : ''}${worst.toFixed(1)} pts)`}`;
    }));
  }
  for (const ref of keys(vs, (v) => [...v.exceptions, ...v.breaches], (x) => x.clause)) {
    rows.push(row(`  ${ref}: exceptions / breaches`, (v) => `${num(v.exceptions.find((e) => e.clause === ref)?.requests ?? 0)} / ${num(v.breaches.find((e) => e.clause === ref)?.requests ?? 0)}`));
  }
  rows.push(['RUN', ...vs.map(() => '')]);
  rows.push(row('  simulated requests', (v) => num(v.perf.simulatedRequests)));
  rows.push(row('  wall time', (v) => `${(v.perf.wallMs / 1000).toFixed(1)}s`));
  return rows;
}

export function renderTable(r: SimulationResult): string {
  const rows = comparisonRows(r);
  const header: Row = ['', ...r.variants.map((v) => v.name)];
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((x) => (x[i] ?? '').length)));
  const line = (x: Row): string => x.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  const head = [
    `simulation ${r.start} → ${r.end} (${r.days} days), step ${r.stepMs / 60_000} min, seed ${r.seed}, weight ${r.weight} real requests per simulated one; traffic: ${r.traffic}`,
    ...r.assumptions.map((a) => `  assumes: ${a}`),
    '',
  ];
  const foot = ['', `${r.perf.simulatedRequests.toLocaleString('en-US')} simulated requests in ${(r.perf.wallMs / 1000).toFixed(1)} s wall, ${(r.perf.cpuMs / 1000).toFixed(1)} s CPU: ${r.perf.requestsPerCpuSecond.toLocaleString('en-US')} simulated requests per CPU second`];
  return `${[...head, line(header), line(widths.map((w) => '-'.repeat(w)) as Row), ...rows.map(line), ...foot].join('\n')}\n`;
}
