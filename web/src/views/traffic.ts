// Traffic: attempts per minute over the last hour for each account/model series, with
// fail-overs marked on the time axis. Refreshes every 5 s. The exact figures are also in a
// table under the chart (for screen readers, and for anyone who wants the numbers).

import { h, replaceContent } from '../dom';
import { clock, count, dateTime, fig } from '../format';
import type { Traffic } from '../types';
import { legend, niceMax, seriesStyle } from '../charts/frame';
import { lineChart } from '../charts/line';
import { chartWidth, empty, failure, load, refreshBar, section, table, td, type View } from './common';

const FAILOVER = '#b91c1c';

export const trafficView: View = (ctx) => {
  const region = h('div', { 'data-traffic': '' });
  ctx.root.append(region);
  let last: Traffic | null = null;
  // The figures table survives the 5 s redraw open or closed, as the user left it.
  let tableOpen = false;

  const draw = (t: Traffic): void => {
    const totals = new Map<string, number>();
    for (const m of t.minutes) for (const [k, v] of Object.entries(m.counts)) totals.set(k, (totals.get(k) ?? 0) + v);
    const keys = [...totals.keys()].sort((a, b) => totals.get(b)! - totals.get(a)! || a.localeCompare(b));
    const failovers = t.minutes.reduce((a, m) => a + m.failovers, 0);
    const peak = Math.max(0, ...t.minutes.flatMap((m) => Object.values(m.counts)));
    const first = (t.minutes[0]?.minute ?? Math.floor(t.now / 60_000) - 59) * 60_000;
    const lastMin = (t.minutes[t.minutes.length - 1]?.minute ?? Math.floor(t.now / 60_000)) * 60_000;
    const width = chartWidth(region);
    const stepMin = width < 500 ? 20 : 10;
    const ticks = t.minutes.map((m) => m.minute).filter((m) => m % stepMin === 0).map((m) => m * 60_000);

    const chart = lineChart({
      id: 'traffic-chart',
      title: 'Attempts per minute, last hour',
      desc: `${keys.length} series (account/model); ${failovers} fail-overs marked with triangles on the time axis.`,
      width,
      height: width < 500 ? 240 : 300,
      x: { min: first, max: lastMin, ticks, fmt: clock, label: 'time (local, per minute)' },
      y: { max: niceMax(peak), fmt: (v) => count(v), label: 'attempts / min' },
      series: keys.map((k, i) => ({ key: k, ...seriesStyle(i), points: t.minutes.map((m) => [m.minute * 60_000, m.counts[k] ?? 0] as [number, number]) })),
      marks: t.minutes.filter((m) => m.failovers > 0).map((m) => ({ x: m.minute * 60_000, count: m.failovers, label: `${m.failovers} fail-over${m.failovers === 1 ? '' : 's'} at ${clock(m.minute * 60_000)}`, color: FAILOVER })),
    });

    const busy = t.minutes.filter((m) => m.failovers > 0 || Object.keys(m.counts).length > 0);
    const rows = [...busy].reverse().map((m) =>
      h('tr', { 'data-minute': String(m.minute) }, td(clock(m.minute * 60_000)), keys.map((k) => td(fig(m.counts[k] ?? 0, count, k))), td(fig(m.failovers, count, 'failovers'))),
    );

    replaceContent(
      region,
      refreshBar(() => void refresh(), `Updated ${dateTime(t.now)} · every 5 s`),
      section(
        'Attempts per minute by account and model',
        'traffic-series',
        keys.length === 0 ? empty('No traffic in the last hour.') : null,
        h('div', { class: 'chart-wrap' }, chart),
        legend([
          ...keys.map((k, i) => ({ key: k, label: k, ...seriesStyle(i), value: h('span', {}, '(', fig(totals.get(k)!, count, 'total'), ' in the hour)') })),
          { key: 'failovers', label: 'fail-overs', color: FAILOVER, shape: 'mark' as const, value: h('span', {}, '(', fig(failovers, count, 'total'), ')') },
        ]),
        busy.length
          ? h('details', { open: tableOpen, ontoggle: (ev) => (tableOpen = (ev.target as HTMLDetailsElement).open) }, h('summary', {}, `Per-minute figures (${busy.length} minute${busy.length === 1 ? '' : 's'} with traffic)`), table('Attempts per minute', [{ label: 'Minute' }, ...keys.map((k) => ({ label: k, num: true })), { label: 'Fail-overs', num: true }], rows, 'traffic'))
          : null,
      ),
    );
    region.dataset.now = String(t.now);
  };

  const refresh = async (): Promise<void> => {
    const r = await load<Traffic>('/admin/traffic');
    if (!r.ok) return replaceContent(region, failure(r.error, '/admin/traffic'));
    last = r.data;
    draw(r.data);
  };

  ctx.onResize(() => last && draw(last));
  ctx.every(5000, refresh);
};
