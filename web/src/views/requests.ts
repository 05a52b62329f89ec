// Requests: search the ledger by request id, tenant, model, status and time. The search lives
// in the URL (#/requests?tenant=…), so a result can be bookmarked and Back returns to it.

import { withQuery } from '../api';
import { h, replaceContent } from '../dom';
import { count, fig, ms, usd, when } from '../format';
import type { AttemptRow } from '../types';
import { badge, empty, failure, load, table, td, type BadgeKind, type View } from './common';

const PATH = '/admin/requests';
const PAGE = 50;
const FIELDS = ['requestId', 'tenant', 'model', 'status'] as const;

/** datetime-local ⇄ epoch ms, in the browser's time zone. */
const toLocalInput = (t: string | null): string => {
  if (!t || !Number.isFinite(Number(t))) return '';
  const d = new Date(Number(t) - new Date(Number(t)).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
};
const fromLocalInput = (v: string): string => (v ? String(new Date(v).getTime()) : '');

/** The ledger's attempt states (src/ledger): the word is shown as is, the colour sorts it. */
const STATUS_KIND: Record<string, BadgeKind> = { ok: 'ok', started: 'info', cancelled: 'muted', failed: 'bad', interrupted: 'bad', orphaned: 'warn' };
export const STATUSES = Object.keys(STATUS_KIND);
export const statusBadge = (status: string): HTMLElement => badge(status, STATUS_KIND[status] ?? 'muted');

export function attemptCells(r: AttemptRow): HTMLTableCellElement[] {
  const took = typeof r.endedAt === 'number' ? r.endedAt - r.startedAt : null;
  const ttfb = typeof r.firstByteAt === 'number' ? r.firstByteAt - r.startedAt : null;
  return [
    td(r.deploymentId, h('div', { class: 'small muted' }, [r.account, r.region].filter(Boolean).join(' · '))),
    td(statusBadge(r.status), r.httpStatus ? h('span', { class: 'small muted' }, ` ${r.httpStatus}`) : null, r.failureKind ? h('div', { class: 'small' }, r.failureKind) : null),
    td(fig(ttfb, ms, 'ttfbMs')),
    td(fig(took, ms, 'durationMs')),
    td(fig(r.promptTokens, count, 'promptTokens'), ' / ', fig(r.completionTokens, count, 'completionTokens'), r.usageSource === 'estimated' ? h('div', { class: 'small muted', title: 'The provider reported no usage; counted with a tokenizer.' }, 'estimated') : null),
    td(fig(r.effectiveCostUsd, usd, 'effectiveCostUsd'), h('div', { class: 'small muted' }, 'list ', fig(r.listCostUsd, usd, 'listCostUsd'))),
  ];
}

export const ATTEMPT_COLUMNS = [
  { label: 'Deployment' },
  { label: 'Status' },
  { label: 'First byte', num: true },
  { label: 'Duration', num: true },
  { label: 'Tokens in / out', num: true },
  { label: 'Cost', num: true },
];

export const requestsView: View = async (ctx) => {
  const q = ctx.query;
  const input = (name: string, label: string, value: string, type = 'text', list?: string): HTMLElement =>
    h('div', { class: 'field' }, h('label', { for: `q-${name}` }, label), h('input', { id: `q-${name}`, name, type, value, autocomplete: 'off', list }));
  const form = h(
    'form',
    { class: 'search', role: 'search', 'aria-label': 'Search requests', 'data-search': '' },
    input('requestId', 'Request id', q.get('requestId') ?? ''),
    input('tenant', 'Tenant', q.get('tenant') ?? ''),
    input('model', 'Model', q.get('model') ?? ''),
    input('status', 'Status', q.get('status') ?? '', 'text', 'q-statuses'),
    h('datalist', { id: 'q-statuses' }, STATUSES.map((st) => h('option', { value: st }))),
    input('from', 'From', toLocalInput(q.get('from')), 'datetime-local'),
    input('to', 'To', toLocalInput(q.get('to')), 'datetime-local'),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Search'), h('a', { href: '#/requests', class: 'button secondary' }, 'Clear')),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const fd = new FormData(form);
    const next: Record<string, string> = {};
    for (const f of FIELDS) next[f] = String(fd.get(f) ?? '').trim();
    next.from = fromLocalInput(String(fd.get('from') ?? ''));
    next.to = fromLocalInput(String(fd.get('to') ?? ''));
    ctx.navigate(`#${withQuery('/requests', next)}`);
  });
  const results = h('div', { 'data-results': '', 'aria-live': 'polite' }, h('p', { class: 'muted' }, 'Loading…'));
  ctx.root.append(form, results);

  const offset = Math.max(0, Number(q.get('offset') ?? 0) || 0);
  const params: Record<string, string> = {};
  for (const f of [...FIELDS, 'from', 'to'] as const) if (q.get(f)) params[f] = q.get(f)!;
  const path = withQuery(PATH, { ...params, limit: PAGE, offset });
  const r = await load<{ rows: AttemptRow[]; total: number }>(path);
  if (!r.ok) return replaceContent(results, failure(r.error, PATH));
  const { rows, total } = r.data;
  const trs = rows.map((row) =>
    h(
      'tr',
      { 'data-request': row.requestId, 'data-attempt': String(row.attemptNo) },
      td(when(row.startedAt, 'startedAt')),
      td(h('a', { href: `#/requests/${encodeURIComponent(row.requestId)}` }, row.requestId), row.attemptNo > 1 ? h('div', { class: 'small muted' }, `attempt ${row.attemptNo}`) : null),
      td(row.tenantId ?? '—'),
      td(row.model, row.stream ? h('div', { class: 'small muted' }, 'stream') : null),
      ...attemptCells(row),
    ),
  );
  const page = (o: number): string => `#${withQuery('/requests', { ...params, offset: o || undefined })}`;
  replaceContent(
    results,
    h('p', { class: 'muted' }, 'Attempts ', fig(total ? offset + 1 : 0, count), '–', fig(offset + rows.length, count), ' of ', fig(total, count, 'total'), ' (one row per upstream attempt).'),
    trs.length ? table('Matching attempts', [{ label: 'Started' }, { label: 'Request' }, { label: 'Tenant' }, { label: 'Model' }, ...ATTEMPT_COLUMNS], trs, 'requests') : empty('Nothing matches this search.'),
    h(
      'nav',
      { class: 'pager', 'aria-label': 'Result pages' },
      offset > 0 ? h('a', { class: 'button secondary', href: page(Math.max(0, offset - PAGE)) }, '← Previous') : null,
      offset + rows.length < total ? h('a', { class: 'button secondary', href: page(offset + PAGE) }, 'Next →') : null,
    ),
  );
};
