// A line chart over a numeric x (time in epoch ms): series as polylines, optional event marks
// on the x axis (fail-overs), horizontal reference lines (a commitment) and vertical ones (now).

import { s } from '../dom';
import { frame, linear, niceTicks, svgRoot, xAxis, yAxis } from './frame';

export interface LineSeries {
  key: string;
  color: string;
  dash?: string;
  points: [number, number][];
}

export interface LineChartSpec {
  id: string;
  title: string;
  desc: string;
  width: number;
  height?: number;
  x: { min: number; max: number; ticks: number[]; fmt: (v: number) => string; label: string };
  y: { max: number; fmt: (v: number) => string; label: string };
  series: LineSeries[];
  /** Events at an x, drawn as triangles on the axis with a tooltip, e.g. fail-overs. */
  marks?: { x: number; count: number; label: string; color: string }[];
  hlines?: { y: number; label: string; color: string }[];
  vlines?: { x: number; label: string }[];
  leftMargin?: number;
}

export function lineChart(spec: LineChartSpec): SVGElement {
  const f = frame(spec.width, spec.height ?? 280, spec.leftMargin);
  const x = linear(spec.x.min, spec.x.max, f.left, f.right);
  const y = linear(0, spec.y.max, f.bottom, f.top);
  const path = (pts: [number, number][]): string => pts.map(([px, py], i) => `${i ? 'L' : 'M'}${x(px).toFixed(1)} ${y(py).toFixed(1)}`).join(' ');
  return svgRoot(
    f,
    spec.id,
    spec.title,
    spec.desc,
    yAxis(f, niceTicks(0, spec.y.max, 4), y, spec.y.fmt, spec.y.label),
    xAxis(f, spec.x.ticks, x, spec.x.fmt, spec.x.label),
    s(
      'g',
      { class: 'refs' },
      (spec.hlines ?? []).map((r) =>
        s('g', {}, s('line', { x1: f.left, x2: f.right, y1: y(r.y), y2: y(r.y), stroke: r.color, 'stroke-width': 1.5, 'stroke-dasharray': '4 4' }), s('text', { x: f.left + 4, y: y(r.y) - 4, fill: r.color, class: 'ref-label' }, r.label)),
      ),
      (spec.vlines ?? []).map((r) =>
        s('g', {}, s('line', { x1: x(r.x), x2: x(r.x), y1: f.top, y2: f.bottom, class: 'now' }), s('text', { ...refLabelAt(x(r.x), f.right), y: f.bottom - 6, class: 'ref-label' }, r.label)),
      ),
    ),
    s(
      'g',
      { class: 'series' },
      spec.series
        .filter((se) => se.points.length > 0)
        .map((se) => s('path', { d: path(se.points), fill: 'none', stroke: se.color, 'stroke-width': 2.5, 'stroke-dasharray': se.dash || undefined, 'stroke-linejoin': 'round', 'data-series': se.key })),
    ),
    s(
      'g',
      { class: 'marks' },
      (spec.marks ?? []).map((m) => {
        const cx = x(m.x);
        return s('path', { d: `M${cx} ${f.bottom - 12} L${cx + 6} ${f.bottom - 1} L${cx - 6} ${f.bottom - 1} Z`, fill: m.color, 'data-mark': m.x, 'data-value': m.count }, s('title', {}, m.label));
      }),
    ),
  );
}

/** A label beside a vertical line, flipped to its left side near the right edge so it is never cut off. */
export function refLabelAt(x: number, right: number): { x: number; 'text-anchor': string } {
  return x > right - 48 ? { x: x - 4, 'text-anchor': 'end' } : { x: x + 4, 'text-anchor': 'start' };
}
