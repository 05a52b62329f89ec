// The shared parts of every chart: a plot frame sized to the real pixel width (so text stays
// readable on a phone instead of being scaled down with a viewBox), linear scales with "nice"
// ticks, labelled axes with units, and an HTML legend that wraps.

import { h, s } from '../dom';

export interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/** Margins leave room for tick labels (left) and the axis title (bottom). */
export function frame(width: number, height: number, left = 64): Frame {
  const w = Math.max(280, Math.floor(width));
  return { width: w, height, left, right: w - 16, top: 12, bottom: height - 40 };
}

export type Scale = (v: number) => number;
export function linear(d0: number, d1: number, r0: number, r1: number): Scale {
  const span = d1 - d0 || 1;
  return (v) => r0 + ((v - d0) / span) * (r1 - r0);
}

/** About `n` round tick values covering [min, max] (1, 2, 2.5, 5 × 10^k steps). */
export function niceTicks(min: number, max: number, n = 5): number[] {
  if (!(max > min)) max = min + 1;
  const raw = (max - min) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((st) => st >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) ticks.push(Math.round(v / step) * step);
  return ticks;
}

/** The top of a y axis: the data maximum rounded up to the next tick, never 0 (flat lines stay visible). */
export const niceMax = (max: number): number => {
  const top = Math.max(max, 1);
  const t = niceTicks(0, top, 4);
  const step = t.length > 1 ? t[1]! - t[0]! : top;
  return Math.ceil(top / step - 1e-9) * step;
};

/** The <svg> element with an accessible name and description. */
export function svgRoot(f: Frame, id: string, title: string, desc: string, ...children: SVGElement[]): SVGElement {
  return s(
    'svg',
    { width: f.width, height: f.height, viewBox: `0 0 ${f.width} ${f.height}`, role: 'img', 'aria-labelledby': `${id}-t ${id}-d`, class: 'chart', 'data-chart': id },
    s('title', { id: `${id}-t` }, title),
    s('desc', { id: `${id}-d` }, desc),
    ...children,
  );
}

export function yAxis(f: Frame, ticks: number[], y: Scale, fmt: (v: number) => string, label: string): SVGElement {
  return s(
    'g',
    { class: 'axis y' },
    ticks.map((t) => s('g', {}, s('line', { x1: f.left, x2: f.right, y1: y(t), y2: y(t), class: 'grid' }), s('text', { x: f.left - 6, y: y(t), dy: '0.32em', 'text-anchor': 'end' }, fmt(t)))),
    s('line', { x1: f.left, x2: f.left, y1: f.top, y2: f.bottom, class: 'domain' }),
    s('text', { class: 'label', transform: `translate(12 ${(f.top + f.bottom) / 2}) rotate(-90)`, 'text-anchor': 'middle' }, label),
  );
}

export function xAxis(f: Frame, ticks: number[], x: Scale, fmt: (v: number) => string, label: string): SVGElement {
  return s(
    'g',
    { class: 'axis x' },
    s('line', { x1: f.left, x2: f.right, y1: f.bottom, y2: f.bottom, class: 'domain' }),
    // Labels at the very ends are anchored inwards so they are not cut off at the edge.
    ticks.map((t) => s('g', {}, s('line', { x1: x(t), x2: x(t), y1: f.bottom, y2: f.bottom + 5 }), s('text', { x: x(t), y: f.bottom + 18, 'text-anchor': x(t) - f.left < 24 ? 'start' : f.right - x(t) < 24 ? 'end' : 'middle' }, fmt(t)))),
    s('text', { class: 'label', x: (f.left + f.right) / 2, y: f.height - 4, 'text-anchor': 'middle' }, label),
  );
}

/** Colours with at least 4.5:1 contrast on white; dashes tell series apart without colour. */
export const PALETTE = ['#0b63a8', '#c2410c', '#047857', '#a21caf', '#854d0e', '#334155', '#be123c', '#0e7490'];
export const DASHES = ['', '6 3', '2 3', '8 3 2 3', '1 2', '10 4'];
export const seriesStyle = (i: number): { color: string; dash: string } => ({ color: PALETTE[i % PALETTE.length]!, dash: DASHES[Math.floor(i / PALETTE.length) % DASHES.length]! });

export interface LegendItem {
  label: string;
  color: string;
  dash?: string;
  /** 'line' (default), 'box' or 'mark' (a triangle). */
  shape?: 'line' | 'box' | 'mark';
  value?: Node;
  key?: string;
}

export function legend(items: LegendItem[]): HTMLElement {
  const swatch = (it: LegendItem): SVGElement =>
    s(
      'svg',
      { width: 24, height: 12, 'aria-hidden': 'true' },
      it.shape === 'box'
        ? s('rect', { x: 4, y: 1, width: 16, height: 10, fill: it.color })
        : it.shape === 'mark'
          ? s('path', { d: 'M12 1 L18 11 L6 11 Z', fill: it.color })
          : s('line', { x1: 1, x2: 23, y1: 6, y2: 6, stroke: it.color, 'stroke-width': 3, 'stroke-dasharray': it.dash || undefined }),
    );
  return h('ul', { class: 'legend' }, items.map((it) => h('li', { 'data-series': it.key ?? it.label }, swatch(it), h('span', {}, it.label), it.value ? h('span', { class: 'muted' }, ' ', it.value) : null)));
}

const DAY = 86_400_000;

/**
 * Date ticks for a span, on UTC days (contract dates are UTC): years for multi-year terms,
 * quarters or months for shorter ones, days for a few weeks — at most about `n`, with a
 * label format to match.
 */
export function dateTicks(min: number, max: number, n: number): { ticks: number[]; fmt: (t: number) => string } {
  const days = (max - min) / DAY;
  const out: number[] = [];
  const iso = (t: number): string => new Date(t).toISOString();
  if (days <= 62) {
    const step = Math.max(1, Math.ceil(days / n));
    for (let t = Math.ceil(min / DAY) * DAY; t <= max; t += step * DAY) out.push(t);
    return { ticks: out, fmt: (t) => iso(t).slice(5, 10) };
  }
  const months = days > 900 ? 12 : days > 360 ? 3 : 1;
  const d = new Date(min);
  let y = d.getUTCFullYear();
  let m = Math.ceil(d.getUTCMonth() / months) * months;
  for (let t = Date.UTC(y, m, 1); t <= max; t = Date.UTC(y, m, 1)) {
    if (t >= min) out.push(t);
    m += months;
    if (m >= 12) {
      y += Math.floor(m / 12);
      m %= 12;
    }
  }
  const every = Math.max(1, Math.ceil(out.length / n));
  const fmt = months === 12 ? (t: number) => iso(t).slice(0, 4) : (t: number) => iso(t).slice(0, 7);
  return { ticks: out.filter((_, i) => i % every === 0), fmt };
}
