// Windows on a time axis — exclusivity and early-access clauses. Each row's label sits above
// its bar (not beside it) so long clause ids fit on a phone; a waived or superseded window is
// drawn hollow and says so in words.

import { s } from '../dom';
import { dateTicks, frame, linear, svgRoot, xAxis } from './frame';
import { refLabelAt } from './line';

export interface Window {
  key: string;
  label: string;
  start: number;
  end: number;
  active: boolean;
  /** Short state shown on the chart ("waived"). */
  note: string;
  /** The longer story for the tooltip. */
  detail: string;
}

export function timeline(id: string, width: number, rows: Window[], now: number, fmt: (t: number) => string): SVGElement {
  // fmt is for full dates (tooltips); the axis uses the tick format that suits the span.
  const rowH = 40;
  const f = frame(width, rows.length * rowH + 56, 16);
  const min = Math.min(now, ...rows.map((r) => r.start));
  const max = Math.max(now, ...rows.map((r) => r.end));
  const x = linear(min, max, f.left, f.right);
  const axis = dateTicks(min, max, Math.max(2, Math.floor((f.right - f.left) / 80)));
  return svgRoot(
    f,
    id,
    'Exclusivity and early-access windows',
    `${rows.length} windows between ${fmt(min)} and ${fmt(max)}; the vertical line is today.`,
    xAxis(f, axis.ticks, x, axis.fmt, 'date'),
    s(
      'g',
      { class: 'windows' },
      rows.map((r, i) => {
        const top = f.top + i * rowH;
        const x0 = x(r.start);
        const w = Math.max(3, x(r.end) - x0);
        return s(
          'g',
          { 'data-window': r.key, 'data-start': r.start, 'data-end': r.end },
          s('text', { x: f.left, y: top + 11, class: 'tick' }, `${r.label}${r.active ? '' : ` — ${r.note}`}`),
          s('rect', { x: x0, y: top + 16, width: w, height: 14, rx: 3, fill: r.active ? '#047857' : '#ffffff', stroke: r.active ? '#047857' : '#475569', 'stroke-dasharray': r.active ? undefined : '4 2' }, s('title', {}, `${r.label} (${r.detail}): ${fmt(r.start)} → ${fmt(r.end - 1)}`)),
        );
      }),
    ),
    s('line', { x1: x(now), x2: x(now), y1: f.top, y2: f.bottom, class: 'now' }),
    s('text', { ...refLabelAt(x(now), f.right), y: f.bottom - 4, class: 'ref-label' }, 'today'),
  );
}
