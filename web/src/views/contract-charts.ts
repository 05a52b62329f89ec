// The contract charts: commitment burn-down (plan, actual, forecast to term end, shortfall),
// preferred share per period against its floor, and exclusivity / early-access windows.

import { h } from '../dom';
import { day, fig, lastDay, pct, usd, usdShort } from '../format';
import type { Agreement, Clause, Commitment, Share } from '../types';
import { barChart } from '../charts/bars';
import { dateTicks, legend, niceMax } from '../charts/frame';
import { lineChart } from '../charts/line';
import { timeline, type Window } from '../charts/timeline';
import { empty, facts } from './common';

const PLAN = '#0b63a8';
const ACTUAL = '#c2410c';
const TARGET = '#334155';

export function burnDown(c: Commitment, width: number, now: number): HTMLElement {
  const last = c.points[c.points.length - 1];
  const plan: [number, number][] = c.points.map((p) => [p.t, p.planUsd]);
  const actual: [number, number][] = c.points.map((p) => [p.t, p.actualUsd]);
  // The API gives the plan to date; past today the plan runs on to the full amount at term end.
  const planAhead: [number, number][] = last ? [[last.t, last.planUsd], [c.term.end, c.amountUsd]] : [[c.term.start, 0], [c.term.end, c.amountUsd]];
  const from: [number, number] = last ? [last.t, last.actualUsd] : [now, c.toDateUsd ?? 0];
  const forecast: [number, number][] = c.forecastAtEndUsd === null || c.forecastAtEndUsd === undefined ? [] : [from, [c.term.end, c.forecastAtEndUsd]];
  const yMax = niceMax(Math.max(c.amountUsd, c.forecastAtEndUsd ?? 0, last?.actualUsd ?? 0) * 1.05);
  const axis = dateTicks(c.term.start, c.term.end, Math.max(2, Math.floor(width / 90)));
  const shortfall = c.shortfallUsd ?? null;
  return h(
    'article',
    { class: 'subpanel', 'data-commitment': c.clauseId },
    h('h3', {}, c.clauseId, h('span', { class: 'muted' }, ` · ${c.party} · ${day(c.term.start)} → ${lastDay(c.term.end)}`)),
    facts([
      ['Commitment', fig(c.amountUsd, usd, 'amountUsd')],
      ['Spent to date', fig(c.toDateUsd, usd, 'toDateUsd')],
      ['Plan to date', fig(c.planToDateUsd, usd, 'planToDateUsd')],
      ['Forecast at term end', fig(c.forecastAtEndUsd, usd, 'forecastAtEndUsd')],
      ['Projected shortfall', h('span', { class: shortfall && shortfall > 0 ? 'bad-text' : '' }, fig(shortfall, usd, 'shortfallUsd'))],
    ]),
    h(
      'div',
      { class: 'chart-wrap' },
      lineChart({
        id: `burn-${c.clauseId}`,
        title: `Commitment burn-down for ${c.clauseId}`,
        desc: `Cumulative spend against the plan, USD. Commitment ${usd(c.amountUsd)}; forecast at term end ${usd(c.forecastAtEndUsd)}; shortfall ${usd(shortfall)}.`,
        width,
        height: 260,
        leftMargin: 72,
        x: { min: c.term.start, max: c.term.end, ticks: axis.ticks, fmt: axis.fmt, label: 'date' },
        y: { max: yMax, fmt: usdShort, label: 'cumulative spend (USD)' },
        series: [
          { key: 'plan', color: PLAN, points: plan },
          { key: 'plan-ahead', color: PLAN, dash: '2 4', points: planAhead },
          { key: 'actual', color: ACTUAL, points: actual },
          { key: 'forecast', color: ACTUAL, dash: '7 4', points: forecast },
        ],
        hlines: [{ y: c.amountUsd, label: `commitment ${usdShort(c.amountUsd)}`, color: TARGET }],
        vlines: [{ x: Math.min(Math.max(now, c.term.start), c.term.end), label: 'today' }],
      }),
    ),
    legend([
      { label: 'plan', color: PLAN },
      { label: 'plan to term end', color: PLAN, dash: '2 4' },
      { label: 'actual', color: ACTUAL },
      { label: 'forecast', color: ACTUAL, dash: '7 4' },
      { label: 'commitment', color: TARGET, dash: '4 4' },
    ]),
  );
}

export function shareChart(sh: Share, width: number): HTMLElement {
  const label = (t: number): string => day(t).slice(0, 7);
  const current = sh.periods[sh.periods.length - 1];
  return h(
    'article',
    { class: 'subpanel', 'data-share': sh.clauseId },
    h('h3', {}, sh.clauseId, h('span', { class: 'muted' }, ` · ${sh.party} · class ${sh.class}`)),
    facts([
      ['Floor', fig(sh.minPercent, pct, 'minPercent')],
      ['This period', fig(current?.percent, pct, 'currentPercent')],
      ['Periods under floor', fig(sh.periods.filter((p) => p.percent !== null && p.percent !== undefined && p.percent < sh.minPercent).length, String, 'periodsUnder')],
    ]),
    sh.periods.length === 0
      ? empty('No periods yet.')
      : h(
          'div',
          { class: 'chart-wrap' },
          barChart({
            id: `share-${sh.clauseId}`,
            title: `Preferred share for ${sh.clauseId}`,
            desc: `Share of class ${sh.class} traffic that went to ${sh.party} per period, percent, against a floor of ${pct(sh.minPercent)}. Hatched bars are under the floor.`,
            width,
            bars: sh.periods.map((p) => ({ label: label(p.start), value: p.percent ?? null, tooltip: `${day(p.start)} → ${lastDay(p.end)}: ${pct(p.percent)} of ${p.requests ?? '—'} requests` })),
            floor: sh.minPercent,
            floorLabel: `floor ${pct(sh.minPercent)}`,
            yMax: 100,
            fmt: (v) => `${v} %`,
            yLabel: 'share (%)',
            xLabel: 'period start',
          }),
        ),
    legend([
      { label: 'share at or above floor', color: '#0b63a8', shape: 'box' },
      { label: 'share under floor (hatched)', color: '#b91c1c', shape: 'box' },
      { label: 'floor', color: '#b91c1c', dash: '6 3' },
    ]),
  );
}

/** An epoch-ms number or a date string from a clause body. */
function time(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string') {
    const t = Date.parse(v);
    return Number.isNaN(t) ? null : t;
  }
  return null;
}

/** A date-only end (`2026-12-31`) is inclusive in the contract language: the whole day counts. */
const inclusiveEnd = (v: unknown): number | null => {
  const t = time(v);
  return t !== null && typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) ? t + 86_400_000 : t;
};

/**
 * The window a clause covers: the compiled body's windowStartMs/windowEndMs, else the contract
 * file's spelling (window.start/end), else the agreement's term.
 */
export function clauseWindow(c: Clause, a: Agreement): { start: number; end: number } {
  const b = (c.body ?? {}) as Record<string, unknown>;
  const w = (typeof b.window === 'object' && b.window ? b.window : b) as Record<string, unknown>;
  const start = time(b.windowStartMs) ?? time(w.start) ?? time(w.from) ?? a.term.start;
  const end = time(b.windowEndMs) ?? inclusiveEnd(w.end) ?? inclusiveEnd(w.to) ?? a.term.end;
  return { start, end };
}

export function windowsChart(agreements: Agreement[], width: number, now: number): HTMLElement {
  const rows: Window[] = agreements.flatMap((a) =>
    a.clauses
      .filter((c) => /exclusiv|early/i.test(c.type))
      .map((c) => ({ key: c.id, label: c.id, ...clauseWindow(c, a), active: c.inForce, note: c.waivedBy ? 'waived' : c.supersededBy ? 'superseded' : 'not in force', detail: `${c.type}${c.waivedBy ? `, waived by ${c.waivedBy}` : c.supersededBy ? `, superseded by ${c.supersededBy}` : ''}` })),
  );
  if (!rows.length) return empty('No exclusivity or early-access clauses.');
  return h(
    'div',
    {},
    h('div', { class: 'chart-wrap' }, timeline('windows', width, rows, now, day)),
    legend([
      { label: 'in force', color: '#047857', shape: 'box' },
      { label: 'waived, superseded or not in force (hollow)', color: '#475569', dash: '4 2' },
    ]),
  );
}
