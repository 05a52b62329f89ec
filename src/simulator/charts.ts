// Which charts a simulation writes (file name → SVG text): commitment burn-down against the
// plan, daily cost, daily availability, reservation utilisation, preferred share per period
// against its floor, and cost per cloud — each with every variant, so they compare at a glance.

import { lineChart, stackedBars, type Series } from './svg.js';
import type { SimulationResult } from './types.js';

const slug = (s: string): string => s.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '').toLowerCase();
const usdFmt = (v: number): string => `$${v >= 1e6 ? `${+(v / 1e6).toFixed(2)}M` : v >= 1e3 ? `${+(v / 1e3).toFixed(1)}k` : v.toFixed(0)}`;
/** Daily series: the month (YYYY-MM) under its first day, so a year shows twelve labels that do not collide. */
const monthTick = (label: string, i: number): string | undefined => (i === 0 || label.endsWith('-01') ? label.slice(0, 7) : undefined);

/** A trailing 7-day mean, so weekly cycles do not hide the trend. */
function week(values: readonly (number | null)[]): (number | null)[] {
  return values.map((_, i) => {
    const w = values.slice(Math.max(0, i - 6), i + 1).filter((v): v is number => v !== null);
    return w.length ? w.reduce((a, b) => a + b, 0) / w.length : null;
  });
}

export function charts(r: SimulationResult): Map<string, string> {
  const out = new Map<string, string>();
  const vs = r.variants;
  const days = vs[0]?.daily.map((d) => d.day.slice(0, 10)) ?? [];
  const refs = <T extends { ref: string }>(pick: (v: SimulationResult['variants'][number]) => readonly T[]): string[] => [...new Set(vs.flatMap((v) => pick(v).map((x) => x.ref)))];

  for (const ref of refs((v) => v.commitments)) {
    const series: Series[] = vs.map((v) => ({ name: v.name, values: v.commitments.find((c) => c.ref === ref)?.daily.map((d) => d.spendUsd) ?? [] }));
    const plan = vs.map((v) => v.commitments.find((c) => c.ref === ref)).find(Boolean);
    if (plan) series.push({ name: 'plan', values: plan.daily.map((d) => d.planUsd), dashed: true });
    out.set(`commitment-${slug(ref)}.svg`, lineChart({ title: `Commitment ${ref}: effective spend vs plan`, yLabel: 'USD (cumulative)', x: days, series, fmt: usdFmt, xTicks: monthTick }));
  }
  out.set('cost-daily.svg', lineChart({ title: 'Effective on-demand cost per day (7-day mean)', yLabel: 'USD per day', x: days, series: vs.map((v) => ({ name: v.name, values: week(v.daily.map((d) => d.effectiveUsd)) })), fmt: usdFmt, xTicks: monthTick }));
  out.set('availability.svg', lineChart({ title: 'Availability per day', yLabel: 'percent of requests served', x: days, series: vs.map((v) => ({ name: v.name, values: v.daily.map((d) => d.availabilityPercent) })), fmt: (x) => `${+x.toFixed(2)}%`, xTicks: monthTick, ...availabilityRange(r) }));
  for (const ref of refs((v) => v.reservations)) {
    out.set(`reservation-${slug(ref)}.svg`, lineChart({ title: `Reservation ${ref}: utilisation (7-day mean)`, yLabel: 'percent of capacity', x: days, series: vs.map((v) => ({ name: v.name, values: week(v.reservations.find((x) => x.ref === ref)?.daily.map((d) => d.utilisationPercent) ?? []) })), yMin: 0, yMax: 100, fmt: (x) => `${x.toFixed(0)}%`, xTicks: monthTick }));
  }
  for (const ref of refs((v) => v.shares)) {
    const periods = [...new Set(vs.flatMap((v) => v.shares.find((s) => s.ref === ref)?.periods.map((p) => p.key) ?? []))];
    const at = (v: SimulationResult['variants'][number], key: string) => v.shares.find((s) => s.ref === ref)?.periods.find((p) => p.key === key);
    const series: Series[] = vs.map((v) => ({ name: v.name, values: periods.map((k) => at(v, k)?.percent ?? null) }));
    series.push({ name: 'floor', values: periods.map((k) => vs.map((v) => at(v, k)?.minPercent).find((x) => x !== undefined) ?? null), dashed: true });
    out.set(`share-${slug(ref)}.svg`, lineChart({ title: `Preferred share ${ref} per period`, yLabel: 'percent to the party', x: periods, series, yMin: 0, yMax: 100, fmt: (x) => `${x.toFixed(0)}%`, xTicks: (label) => label }));
  }
  out.set('cost-by-cloud.svg', stackedBars({ title: 'Cost per cloud: on-demand (effective), reservation fees, commitment shortfall', yLabel: 'USD', groups: vs.map((v) => ({ name: v.name, stacks: costByCloud(v) })), fmt: usdFmt }));
  return out;
}

function availabilityRange(r: SimulationResult): { yMin: number; yMax: number } {
  const lows = r.variants.flatMap((v) => v.daily.map((d) => d.availabilityPercent ?? 100));
  const low = Math.min(100, ...lows);
  // Round down to a multiple of 5 (of 1 near the top) so the ticks read as plain percentages.
  return { yMin: low >= 99 ? Math.floor(low * 10 - 1) / 10 : low >= 95 ? Math.floor(low - 1) : Math.max(0, Math.floor(low / 5) * 5), yMax: 100 };
}

/** Cost per cloud, with each reservation's fee and each commitment's shortfall on its party. */
function costByCloud(v: SimulationResult['variants'][number]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of v.clouds) out[c.key] = c.effectiveUsd;
  for (const r of v.reservations) out[`${r.party} (reservation)`] = (out[`${r.party} (reservation)`] ?? 0) + r.feesUsd;
  for (const c of v.commitments) {
    const k = `${c.party} (shortfall${c.endsInHorizon ? '' : ', projected'})`;
    if (c.trueUp && c.shortfallUsd > 0) out[k] = (out[k] ?? 0) + c.shortfallUsd;
  }
  return out;
}
