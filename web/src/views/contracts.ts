// Contracts: the agreements as in force today (clauses with in-force / waived / superseded
// badges, amendments), then the reports: commitment burn-down, preferred shares, reservation
// use, exclusivity windows and recorded exceptions. Each report degrades on its own when this
// build lacks its endpoint.

import { ApiError, SignedOut, api } from '../api';
import { h, replaceContent } from '../dom';
import { count, dateTime, day, fig, lastDay, ratioPct, usd, when } from '../format';
import type { Agreement, Amendment, Clause, Commitment, ContractException, Contracts, Reservation, Share } from '../types';
import { burnDown, shareChart, windowsChart } from './contract-charts';
import { badge, chartWidth, empty, facts, failure, load, refreshBar, section, table, td, type Loaded, type View } from './common';

const P = {
  contracts: '/admin/contracts',
  commitments: '/admin/reports/commitments',
  shares: '/admin/reports/shares',
  reservations: '/admin/reports/reservations',
  exceptions: '/admin/reports/exceptions',
};

interface Data {
  contracts: Loaded<Contracts>;
  commitments: Loaded<{ commitments: Commitment[] }>;
  shares: Loaded<{ shares: Share[] }>;
  reservations: Loaded<{ reservations: Reservation[] }>;
  exceptions: Loaded<{ exceptions: ContractException[]; violations: number }>;
  at: number;
}

function clauseStatus(c: Clause): HTMLElement {
  if (c.inForce && c.supersededBy) return h('span', {}, badge('in force', 'ok'), h('span', { class: 'small muted' }, ` as amended by ${c.supersededBy}`));
  if (c.inForce && c.addedBy) return h('span', {}, badge('in force', 'ok'), h('span', { class: 'small muted' }, ` added by ${c.addedBy}`));
  if (c.inForce) return badge('in force', 'ok');
  if (c.waivedBy) return h('span', {}, badge('waived', 'warn'), h('span', { class: 'small muted' }, ` by ${c.waivedBy}`));
  if (c.supersededBy) return h('span', {}, badge('superseded', 'muted'), h('span', { class: 'small muted' }, ` by ${c.supersededBy}`));
  return badge('not in force', 'muted');
}

function agreementCard(a: Agreement, c: Contracts): HTMLElement {
  const party = c.parties.find((p) => p.id === a.party);
  const amendments = c.amendments.filter((m) => m.agreement === a.id);
  const rows = a.clauses.map((cl) => h('tr', { 'data-clause': cl.id, 'data-in-force': String(cl.inForce) }, td(h('code', {}, cl.id)), td(cl.type), td(cl.summary), td(clauseStatus(cl))));
  return h(
    'article',
    { class: 'subpanel', 'data-agreement': a.id },
    h('h3', {}, a.id, h('span', { class: 'muted' }, ` · ${party?.name ?? a.party} · ${day(a.term.start)} → ${lastDay(a.term.end)}`)),
    party?.accounts.length ? h('p', { class: 'small muted' }, `Accounts: ${party.accounts.join(', ')}`) : null,
    rows.length ? table(`Clauses of ${a.id}`, [{ label: 'Clause' }, { label: 'Type' }, { label: 'Terms' }, { label: 'Status' }], rows) : empty('No clauses.'),
    amendments.length ? h('h4', {}, 'Amendments') : null,
    amendments.length ? h('ul', { class: 'plain' }, amendments.map(amendmentItem)) : null,
  );
}

const amendmentItem = (m: Amendment): HTMLElement =>
  h(
    'li',
    { 'data-amendment': m.id },
    h('code', {}, m.id),
    ' effective ',
    h('time', { datetime: new Date(m.effective).toISOString(), 'data-field': 'effective', 'data-value': String(m.effective) }, day(m.effective)),
    m.waives.length ? ` — waives ${m.waives.join(', ')}` : '',
    m.supersedes.length ? ` — supersedes ${m.supersedes.join(', ')}` : '',
    m.adds?.length ? ` — adds ${m.adds.join(', ')}` : '',
  );

export const contractsView: View = (ctx) => {
  const region = h('div', { 'data-contracts': '' });
  const status = h('p', { class: 'toast', role: 'status', 'aria-live': 'polite' });
  ctx.root.append(status, region);
  let data: Data | null = null;

  const reload = async (): Promise<void> => {
    try {
      const r = await api<{ version: string }>('/admin/contracts/reload', { method: 'POST' });
      status.textContent = `Contracts reloaded: version ${r.version.slice(0, 12)}.`;
    } catch (err) {
      if (err instanceof SignedOut) return;
      status.textContent = err instanceof ApiError && err.status === 400 ? `The new contracts were rejected; the old version stays in force. ${err.message}` : `Reload failed: ${(err as Error).message}`;
    }
    await refresh();
  };

  const draw = (d: Data): void => {
    const w = chartWidth(region);
    const c = d.contracts;
    const agreements = c.ok ? c.data.agreements : [];
    replaceContent(
      region,
      refreshBar(() => void refresh(), `Loaded ${dateTime(d.at)}`),
      section(
        'Agreements',
        'agreements',
        c.ok
          ? [
              facts([
                ['Version', h('code', { title: c.data.version, 'data-field': 'version' }, c.data.version.slice(0, 12))],
                ['Loaded', when(c.data.loadedAt, 'loadedAt')],
                ['Findings', fig(c.data.findings.length, count, 'findings')],
              ]),
              c.data.findings.length ? h('ul', { class: 'plain' }, c.data.findings.map((f) => h('li', { 'data-finding': f.code }, badge(f.severity, f.severity === 'error' ? 'bad' : 'warn'), ' ', h('code', {}, f.code), ` ${f.message}`))) : null,
              h('button', { type: 'button', class: 'secondary', 'data-focus-key': 'reload', onclick: () => void reload() }, 'Reload contracts'),
              agreements.length ? agreements.map((a) => agreementCard(a, c.data)) : empty('No agreements configured.'),
            ]
          : failure(c.error, P.contracts),
      ),
      section('Commitment burn-down', 'commitments', report(d.commitments, P.commitments, (r) => (r.commitments.length ? r.commitments.map((x) => burnDown(x, w, d.at)) : empty('No commitments.')))),
      section('Preferred share per period', 'shares', report(d.shares, P.shares, (r) => (r.shares.length ? r.shares.map((x) => shareChart(x, w)) : empty('No preferred-share clauses.')))),
      section('Exclusivity and early-access windows', 'windows', c.ok ? windowsChart(agreements, w, d.at) : failure(c.error, P.contracts)),
      section('Reservations', 'reservations', report(d.reservations, P.reservations, (r) => (r.reservations.length ? reservationsTable(r.reservations) : empty('No reservations.')))),
      section('Exceptions', 'exceptions', report(d.exceptions, P.exceptions, exceptionsBlock)),
    );
  };

  const refresh = async (): Promise<void> => {
    const [contracts, commitments, shares, reservations, exceptions] = await Promise.all([
      load<Contracts>(P.contracts),
      load<{ commitments: Commitment[] }>(P.commitments),
      load<{ shares: Share[] }>(P.shares),
      load<{ reservations: Reservation[] }>(P.reservations),
      load<{ exceptions: ContractException[]; violations: number }>(P.exceptions),
    ]);
    data = { contracts, commitments, shares, reservations, exceptions, at: Date.now() };
    draw(data);
  };

  ctx.onResize(() => data && draw(data));
  void refresh();
};

function report<T>(r: Loaded<T>, path: string, render: (data: T) => HTMLElement | HTMLElement[]): HTMLElement | HTMLElement[] {
  return r.ok ? render(r.data) : failure(r.error, path);
}

function reservationsTable(rs: Reservation[]): HTMLElement {
  const rows = rs.map((r) => h('tr', { 'data-reservation': r.clauseId }, td(h('code', {}, r.clauseId)), td(r.deploymentId), td(fig(r.usdPerPeriod, usd, 'usdPerPeriod')), td(fig(r.utilisation, ratioPct, 'utilisation')), td(fig(r.spillovers, count, 'spillovers'))));
  return table('Reservations', [{ label: 'Clause' }, { label: 'Deployment' }, { label: 'Cost per period', num: true }, { label: 'Utilisation', num: true }, { label: 'Spill-overs', num: true }], rows);
}

function exceptionsBlock(r: { exceptions: ContractException[]; violations: number }): HTMLElement[] {
  const rows = r.exceptions.map((e) =>
    h('tr', { 'data-exception': e.requestId }, td(when(e.at, 'at')), td(h('a', { href: `#/requests/${encodeURIComponent(e.requestId)}` }, e.requestId)), td(h('code', {}, e.clauseId)), td(e.reason), td(e.deploymentId ?? '—')),
  );
  return [
    facts([
      ['Violations', h('span', { class: r.violations > 0 ? 'bad-text' : '' }, fig(r.violations, count, 'violations'))],
      ['Recorded exceptions', fig(r.exceptions.length, count, 'exceptions')],
    ]),
    rows.length ? table('Exceptions', [{ label: 'When' }, { label: 'Request' }, { label: 'Clause' }, { label: 'Reason' }, { label: 'Served by' }], rows) : empty('No exceptions recorded.'),
  ];
}
