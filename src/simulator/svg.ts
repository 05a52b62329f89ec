// Two small chart kinds as standalone SVG text: lines over a shared x axis, and stacked bars.
// No dependencies and no scripts, so the files open anywhere and diff as text.

export interface Series {
  name: string;
  values: readonly (number | null)[];
  dashed?: boolean;
}

const W = 1040;
const H = 380;
const M = { l: 84, r: 300, t: 40, b: 48 };
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf'];

export const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function niceMax(x: number): number {
  if (x <= 0) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(x)));
  return [1, 2, 2.5, 5, 10].map((k) => k * p).find((v) => v >= x)!;
}

export function shortNumber(x: number): string {
  const a = Math.abs(x);
  if (a >= 1e9) return `${+(x / 1e9).toFixed(2)}B`;
  if (a >= 1e6) return `${+(x / 1e6).toFixed(2)}M`;
  if (a >= 1e3) return `${+(x / 1e3).toFixed(1)}k`;
  return `${+x.toFixed(2)}`;
}

function frame(title: string, yLabel: string, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${M.l}" y="22" font-size="15" font-weight="bold">${esc(title)}</text>`,
    `<text transform="translate(16 ${(M.t + H - M.b) / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

function yAxis(lo: number, hi: number, fmt: (v: number) => string): { y: (v: number) => number; parts: string[] } {
  const y = (v: number): number => H - M.b - ((v - lo) / (hi - lo || 1)) * (H - M.t - M.b);
  const parts: string[] = [];
  for (let i = 0; i <= 5; i++) {
    const v = lo + ((hi - lo) * i) / 5;
    parts.push(`<line x1="${M.l}" x2="${W - M.r}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e5e5e5"/>`, `<text x="${M.l - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${esc(fmt(v))}</text>`);
  }
  return { y, parts };
}

function legend(names: readonly { name: string; dashed?: boolean }[]): string[] {
  return names.flatMap((s, i) => {
    const y = M.t + 8 + i * 18;
    const x = W - M.r + 14;
    return [`<line x1="${x}" x2="${x + 22}" y1="${y}" y2="${y}" stroke="${COLORS[i % COLORS.length]}" stroke-width="3"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`, `<text x="${x + 28}" y="${y + 4}">${esc(s.name)}</text>`];
  });
}

/** Lines over labelled x positions; `xTicks` says what to print under a position (undefined: nothing). */
export function lineChart(o: { title: string; yLabel: string; x: readonly string[]; series: readonly Series[]; yMin?: number; yMax?: number; fmt?: (v: number) => string; xTicks?: (label: string, i: number) => string | undefined }): string {
  const vals = o.series.flatMap((s) => s.values.filter((v): v is number => v !== null && Number.isFinite(v)));
  const lo = o.yMin ?? Math.min(0, ...vals);
  const hi = o.yMax ?? niceMax(Math.max(lo + 1e-9, ...vals));
  const { y, parts } = yAxis(lo, hi, o.fmt ?? shortNumber);
  const n = Math.max(1, o.x.length - 1);
  const x = (i: number): number => M.l + (i / n) * (W - M.l - M.r);
  const every = Math.ceil(o.x.length / 12);
  const tickOf = o.xTicks ?? ((label: string, j: number) => (j % every === 0 ? label : undefined));
  const ticks = o.x.map((label, i) => {
    const text = tickOf(label, i);
    return text === undefined ? '' : `<text x="${x(i).toFixed(1)}" y="${H - M.b + 18}" text-anchor="middle">${esc(text)}</text>`;
  }).filter(Boolean);
  const lines = o.series.map((s, k) => {
    let d = '';
    s.values.forEach((v, i) => {
      if (v === null || !Number.isFinite(v)) return;
      d += `${d && s.values[i - 1] !== null ? 'L' : 'M'}${x(i).toFixed(1)},${y(Math.min(hi, Math.max(lo, v))).toFixed(1)}`;
    });
    return `<path d="${d}" fill="none" stroke="${COLORS[k % COLORS.length]}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`;
  });
  const axes = [`<line x1="${M.l}" x2="${M.l}" y1="${M.t}" y2="${H - M.b}" stroke="#999"/>`, `<line x1="${M.l}" x2="${W - M.r}" y1="${H - M.b}" y2="${H - M.b}" stroke="#999"/>`];
  return frame(o.title, o.yLabel, [...parts, ...axes, ...ticks, ...lines, ...legend(o.series)]);
}

/** One stacked bar per group (e.g. per variant), stacks by key (e.g. per cloud). */
export function stackedBars(o: { title: string; yLabel: string; groups: readonly { name: string; stacks: Readonly<Record<string, number>> }[]; fmt?: (v: number) => string }): string {
  const keys = [...new Set(o.groups.flatMap((g) => Object.keys(g.stacks)))].sort();
  const hi = niceMax(Math.max(1e-9, ...o.groups.map((g) => Object.values(g.stacks).reduce((a, b) => a + Math.max(0, b), 0))));
  const { y, parts } = yAxis(0, hi, o.fmt ?? shortNumber);
  const slot = (W - M.l - M.r) / Math.max(1, o.groups.length);
  const bars = o.groups.flatMap((g, i) => {
    let base = 0;
    const x = M.l + i * slot + slot * 0.2;
    const out = keys.map((k, j) => {
      const v = Math.max(0, g.stacks[k] ?? 0);
      const r = `<rect x="${x.toFixed(1)}" y="${y(base + v).toFixed(1)}" width="${(slot * 0.6).toFixed(1)}" height="${(y(base) - y(base + v)).toFixed(1)}" fill="${COLORS[j % COLORS.length]}"><title>${esc(`${g.name} ${k}: ${shortNumber(v)}`)}</title></rect>`;
      base += v;
      return r;
    });
    out.push(`<text x="${(x + slot * 0.3).toFixed(1)}" y="${H - M.b + 18}" text-anchor="middle">${esc(g.name)}</text>`);
    return out;
  });
  return frame(o.title, o.yLabel, [...parts, ...bars, ...legend(keys.map((name) => ({ name })))]);
}
