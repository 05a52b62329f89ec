// Estate: every deployment grouped by cloud account, with live load, errors, latency, health
// state (why it is out and for how long) and reservation use. Refreshes every 5 s; ejected
// deployments get a "Reset health" button.

import { api, enc, SignedOut } from '../api';
import { h, replaceContent } from '../dom';
import { count, dateTime, duration, fig, ms, perSec, ratioPct } from '../format';
import type { Deployment, Estate } from '../types';
import { badge, failure, load, refreshBar, table, td, type BadgeKind, type View } from './common';

const STATE_KIND: Record<Deployment['state'], BadgeKind> = { available: 'ok', probing: 'info', cooling: 'warn', ejected: 'bad' };

const COLUMNS = [
  { label: 'Deployment' },
  { label: 'Region', nowrap: true },
  { label: 'Accelerator', nowrap: true },
  { label: 'Attempts/s', num: true },
  { label: 'Error rate', num: true },
  { label: 'p50', num: true },
  { label: 'p99', num: true },
  { label: 'Outstanding', num: true },
  { label: 'State' },
  { label: 'Reservation', num: true },
  { label: 'Action' },
];

/** "cloud" = the account when the config names one, else the provider. */
const cloudOf = (d: Deployment): string => d.account ?? d.provider;

export const estateView: View = (ctx) => {
  const status = h('p', { class: 'toast', role: 'status', 'aria-live': 'polite' });
  const region = h('div', { 'data-estate': '' });
  ctx.root.append(status, region);
  let last: Estate | null = null;

  const reset = async (id: string, button: HTMLButtonElement): Promise<void> => {
    button.disabled = true;
    try {
      await api(`/admin/deployments/${enc(id)}/health/reset`, { method: 'POST' });
      status.textContent = `${id} is back in rotation.`;
    } catch (err) {
      if (err instanceof SignedOut) return;
      status.textContent = `Could not reset ${id}: ${(err as Error).message}`;
    }
    await refresh();
  };

  const row = (d: Deployment, now: number): HTMLTableRowElement => {
    const out = d.state !== 'available';
    const resetButton = h('button', { type: 'button', class: 'secondary', 'data-action': 'reset', 'data-focus-key': `reset-${d.id}`, 'aria-label': `Reset health of ${d.id}` }, 'Reset health');
    resetButton.addEventListener('click', () => void reset(d.id, resetButton));
    return h(
      'tr',
      { 'data-deployment': d.id, 'data-state': d.state },
      td(h('strong', {}, d.id), h('div', { class: 'muted small' }, [d.upstreamModel, d.pools?.length ? `pools: ${d.pools.join(', ')}` : null].filter(Boolean).join(' · '))),
      td(d.region ?? '—'),
      td(d.accelerator ?? '—'),
      td(fig(d.attemptsPerSec, perSec, 'attemptsPerSec')),
      td(fig(d.errorRate, ratioPct, 'errorRate')),
      td(fig(d.p50Ms, ms, 'p50Ms')),
      td(fig(d.p99Ms, ms, 'p99Ms')),
      td(fig(d.outstanding, count, 'outstanding')),
      td(
        badge(d.state, STATE_KIND[d.state] ?? 'muted'),
        d.reason ? h('div', { class: 'small', 'data-field': 'reason' }, d.reason) : null,
        out && typeof d.until === 'number' ? h('div', { class: 'small muted', 'data-field': 'until', 'data-value': String(d.until), title: dateTime(d.until) }, `back in ${duration(d.until - now)}`) : null,
      ),
      td(d.reservation ? [fig(d.reservation.utilisation, ratioPct, 'reservation.utilisation'), h('div', { class: 'small muted' }, d.reservation.clauseId)] : fig(null, ratioPct, 'reservation.utilisation')),
      td(out ? resetButton : null),
    );
  };

  const draw = (e: Estate): void => {
    const groups = new Map<string, Deployment[]>();
    for (const d of e.deployments) groups.set(cloudOf(d), [...(groups.get(cloudOf(d)) ?? []), d]);
    const rows: HTMLTableRowElement[] = [];
    for (const [cloud, deps] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
      const providers = [...new Set(deps.map((d) => d.provider))].join(', ');
      rows.push(h('tr', { class: 'group', 'data-cloud': cloud }, h('th', { colspan: COLUMNS.length, scope: 'colgroup' }, cloud, h('span', { class: 'muted' }, ` · ${providers} · ${deps.length} deployment${deps.length === 1 ? '' : 's'}`))));
      const sorted = [...deps].sort((a, b) => `${a.region}/${a.accelerator}/${a.id}`.localeCompare(`${b.region}/${b.accelerator}/${b.id}`));
      for (const d of sorted) rows.push(row(d, e.now));
    }
    const outCount = e.deployments.filter((d) => d.state !== 'available').length;
    const sum = (f: (d: Deployment) => number | null | undefined): number => e.deployments.reduce((a, d) => a + (f(d) ?? 0), 0);
    replaceContent(
      region,
      refreshBar(() => void refresh(), `Updated ${dateTime(e.now)} · every 5 s`),
      h(
        'div',
        { class: 'cards' },
        h('div', { class: 'card' }, h('span', { class: 'muted' }, 'Deployments'), fig(e.deployments.length, count, 'deployments')),
        h('div', { class: `card ${outCount ? 'alert' : ''}` }, h('span', { class: 'muted' }, 'Out of rotation'), fig(outCount, count, 'outOfRotation')),
        h('div', { class: 'card' }, h('span', { class: 'muted' }, 'Attempts/s (1 min)'), fig(sum((d) => d.attemptsPerSec), perSec, 'totalAttemptsPerSec')),
        h('div', { class: 'card' }, h('span', { class: 'muted' }, 'Outstanding'), fig(sum((d) => d.outstanding), count, 'totalOutstanding')),
      ),
      table('Deployments by cloud', COLUMNS, rows, 'estate'),
      h('p', { class: 'muted small' }, 'Attempts/s, error rate and latency (time to first byte) cover the last minute; "—" means no successful attempt to measure.'),
    );
    region.dataset.now = String(e.now);
  };

  const refresh = async (): Promise<void> => {
    const r = await load<Estate>('/admin/estate');
    if (!r.ok) return replaceContent(region, failure(r.error, '/admin/estate'));
    last = r.data;
    draw(r.data);
  };

  ctx.onResize(() => last && draw(last));
  ctx.every(5000, refresh);
};
