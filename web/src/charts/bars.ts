// A bar per period against a floor line: preferred share (percent of a traffic class that
// went to the party) with the contract's minimum. A bar under the floor is drawn hatched and
// labelled, so the shortfall does not rely on colour alone.

import { s } from '../dom';
import { frame, linear, niceTicks, svgRoot, yAxis } from './frame';

export interface Bar {
  label: string;
  value: number | null;
  tooltip: string;
}

export interface BarChartSpec {
  id: string;
  title: string;
  desc: string;
  width: number;
  bars: Bar[];
  floor: number;
  floorLabel: string;
  yMax: number;
  fmt: (v: number) => string;
  yLabel: string;
  xLabel: string;
}

export function barChart(spec: BarChartSpec): SVGElement {
  const f = frame(spec.width, 240);
  const y = linear(0, spec.yMax, f.bottom, f.top);
  const slot = (f.right - f.left) / Math.max(1, spec.bars.length);
  const bw = Math.min(48, slot * 0.7);
  // Label every period when they fit, else every k-th, so labels never overlap.
  const every = Math.max(1, Math.ceil(spec.bars.length / Math.floor((f.right - f.left) / 56)));
  return svgRoot(
    f,
    spec.id,
    spec.title,
    spec.desc,
    s('defs', {}, s('pattern', { id: `${spec.id}-hatch`, width: 6, height: 6, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' }, s('rect', { width: 6, height: 6, fill: '#fde2e1' }), s('line', { x1: 0, y1: 0, x2: 0, y2: 6, stroke: '#b91c1c', 'stroke-width': 3 }))),
    yAxis(f, niceTicks(0, spec.yMax, 4), y, spec.fmt, spec.yLabel),
    s('line', { x1: f.left, x2: f.right, y1: f.bottom, y2: f.bottom, class: 'domain' }),
    s(
      'g',
      { class: 'bars' },
      spec.bars.map((b, i) => {
        const cx = f.left + slot * (i + 0.5);
        const v = b.value ?? 0;
        const under = b.value !== null && b.value < spec.floor;
        return s(
          'g',
          { 'data-bar': i, 'data-value': b.value === null ? 'null' : b.value },
          s('rect', { x: cx - bw / 2, y: y(v), width: bw, height: Math.max(0, f.bottom - y(v)), fill: under ? `url(#${spec.id}-hatch)` : '#0b63a8', stroke: under ? '#b91c1c' : 'none' }, s('title', {}, b.tooltip)),
          i % every === 0 ? s('text', { x: cx, y: f.bottom + 16, 'text-anchor': 'middle', class: 'tick' }, b.label) : null,
          b.value === null ? s('text', { x: cx, y: f.bottom - 4, 'text-anchor': 'middle', class: 'tick' }, '—') : null,
        );
      }),
    ),
    s('line', { x1: f.left, x2: f.right, y1: y(spec.floor), y2: y(spec.floor), stroke: '#b91c1c', 'stroke-width': 2, 'stroke-dasharray': '6 3', 'data-floor': spec.floor }),
    s('text', { x: f.right - 4, y: y(spec.floor) - 5, 'text-anchor': 'end', fill: '#b91c1c', class: 'ref-label' }, spec.floorLabel),
    s('text', { class: 'label', x: (f.left + f.right) / 2, y: f.height - 4, 'text-anchor': 'middle' }, spec.xLabel),
  );
}
