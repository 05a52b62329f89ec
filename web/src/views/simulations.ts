// Simulations: the runs `treaty simulate --out <admin.simulationsDir>/<name>` wrote, and for
// one run its variants side by side (cost, availability, commitment attainment and shortfall,
// reservation use, shares, exceptions and breaches) plus each variant's commitment path.

import { enc } from '../api';
import { h, replaceContent } from '../dom';
import { count, fig, pct, usd, usdShort } from '../format';
import { lineChart } from '../charts/line';
import { dateTicks, legend, niceMax } from '../charts/frame';
import { chartWidth, empty, failure, load, section, table, td, type View } from './common';

interface Commitment { ref: string; amountUsd: number; spendUsd: number; planUsd: number; attainmentPercent: number; shortfallUsd: number; daily: { day: string; planUsd: number; spendUsd: number }[] }
interface Variant {
  name: string;
  availabilityPercent: number;
  cost: { onDemandEffectiveUsd: number; reservationFeesUsd: number; totalUsd: number; projectedShortfallUsd: number };
  commitments: Commitment[];
  reservations: { ref: string; utilisationPercent: number | null }[];
  shares: { ref: string; periods: { key: string; minPercent: number; percent: number | null }[] }[];
  exceptions: { clause: string; requests: number }[];
  breaches: { clause: string; requests: number }[];
}
interface Run { start: string; end: string; days: number; seed: number; variants: Variant[] }
interface RunList { dir: string; runs: { name: string; writtenAt: number; start: string; end: string; days: number; variants: string[] }[] }

const COLORS = ['#0b63a8', '#c2410c', '#15803d', '#7c3aed', '#334155'];
const sum = (xs: { requests: number }[]): number => xs.reduce((a, b) => a + b.requests, 0);

export const simulationsView: View = async (ctx) => {
  const region = h('div', { 'data-simulations': '' });
  ctx.root.append(region);
  const r = await load<RunList>('/admin/simulations');
  if (!r.ok) return replaceContent(region, failure(r.error, '/admin/simulations'));
  if (!r.data.runs.length) return replaceContent(region, section('Runs', 'sim-runs', empty(`No runs yet. Write one with: treaty simulate --config treaty.yaml --traffic traffic.yaml --out ${r.data.dir}/my-run`)));
  const rows = r.data.runs.map((run) =>
    h('tr', { 'data-run': run.name }, td(h('a', { href: `#/simulations/${enc(run.name)}` }, run.name)), td(`${run.start} → ${run.end}`), td(fig(run.days, count, 'days')), td(run.variants.join(', '))),
  );
  replaceContent(region, section('Runs', 'sim-runs', table('Simulation runs', [{ label: 'Run' }, { label: 'Period', nowrap: true }, { label: 'Days', num: true }, { label: 'Variants' }], rows)));
};

export const simulationDetailView: View = async (ctx) => {
  const name = ctx.params[0]!;
  const region = h('div', { 'data-simulation': name });
  ctx.root.append(region);
  const path = `/admin/simulations/${enc(name)}`;
  const r = await load<Run>(path);
  if (!r.ok) return replaceContent(region, failure(r.error, path));
  const run = r.data;
  const draw = (): void => replaceContent(region, summary(run), ...run.variants[0]!.commitments.map((c) => commitmentChart(run, c.ref, chartWidth(region))));
  draw();
  ctx.onResize(draw);
};

function summary(run: Run): HTMLElement {
  const vs = run.variants;
  const line = (label: string, cell: (v: Variant) => HTMLElement | string): HTMLTableRowElement => h('tr', {}, td(label), ...vs.map((v) => td(cell(v))));
  const rows = [
    line('Availability', (v) => fig(v.availabilityPercent, pct, 'availabilityPercent')),
    line('On-demand cost (effective)', (v) => fig(v.cost.onDemandEffectiveUsd, usd, 'onDemandEffectiveUsd')),
    line('Reservation fees', (v) => fig(v.cost.reservationFeesUsd, usd, 'reservationFeesUsd')),
    line('Total cost', (v) => fig(v.cost.totalUsd, usd, 'totalUsd')),
    line('Projected shortfall at term end', (v) => fig(v.cost.projectedShortfallUsd, usd, 'projectedShortfallUsd')),
    ...vs[0]!.commitments.map((c) => line(`${c.ref}: attainment`, (v) => fig(v.commitments.find((x) => x.ref === c.ref)?.attainmentPercent, pct, 'attainmentPercent'))),
    ...vs[0]!.reservations.map((x) => line(`${x.ref}: utilisation`, (v) => fig(v.reservations.find((y) => y.ref === x.ref)?.utilisationPercent, pct, 'utilisationPercent'))),
    ...vs[0]!.shares.map((x) =>
      line(`${x.ref}: periods below floor`, (v) => {
        const ps = v.shares.find((y) => y.ref === x.ref)?.periods ?? [];
        return `${ps.filter((p) => p.percent !== null && p.percent < p.minPercent).length} / ${ps.length}`;
      }),
    ),
    line('Clause exceptions (requests)', (v) => fig(sum(v.exceptions), count, 'exceptions')),
    line('Clause breaches (requests)', (v) => fig(sum(v.breaches), count, 'breaches')),
  ];
  return section(
    `${run.start} → ${run.end} · ${run.days} days · seed ${run.seed}`,
    'sim-summary',
    table('Variants side by side', [{ label: 'Measure' }, ...vs.map((v) => ({ label: v.name, num: true }))], rows, 'sim-compare'),
  );
}

function commitmentChart(run: Run, ref: string, width: number): HTMLElement {
  const t = (d: string): number => Date.parse(`${d}T00:00:00Z`);
  const series = run.variants.map((v, i) => {
    const c = v.commitments.find((x) => x.ref === ref);
    return { key: v.name, color: COLORS[i % COLORS.length]!, points: (c?.daily ?? []).map((d) => [t(d.day), d.spendUsd] as [number, number]) };
  });
  const first = run.variants[0]!.commitments.find((x) => x.ref === ref)!;
  const plan = { key: 'plan', color: '#64748b', dash: '2 4', points: first.daily.map((d) => [t(d.day), d.planUsd] as [number, number]) };
  const min = t(run.start);
  const max = t(run.end);
  const yMax = niceMax(Math.max(...[plan, ...series].flatMap((s) => s.points.map((p) => p[1])), 1) * 1.05);
  const axis = dateTicks(min, max, Math.max(2, Math.floor(width / 90)));
  return section(
    `Commitment ${ref}: cumulative spend by variant`,
    `sim-${ref.replace(/[^a-z0-9]/gi, '-')}`,
    h('div', { class: 'chart-wrap' }, lineChart({ id: `simc-${ref}`, title: `Spend toward ${ref} per variant`, desc: `Cumulative spend counted toward ${ref}, USD, for each variant, against the plan.`, width, height: 260, leftMargin: 72, x: { min, max, ticks: axis.ticks, fmt: axis.fmt, label: 'date' }, y: { max: yMax, fmt: usdShort, label: 'cumulative spend (USD)' }, series: [plan, ...series] })),
    legend([{ label: 'plan', color: plan.color, dash: plan.dash }, ...series.map((s) => ({ label: s.key, color: s.color }))]),
  );
}
