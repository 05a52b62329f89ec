// What every view shares: the context the router hands it, sections, tables that turn into
// cards on a phone, status badges and the "not available in this build" note.

import { ApiError, SignedOut, api } from '../api';
import { h, type Child, type Children } from '../dom';

export interface ViewCtx {
  /** The view's region (inside <main>). */
  root: HTMLElement;
  /** Path segments after the view name: #/requests/abc → ['abc']. */
  params: string[];
  query: URLSearchParams;
  /** Run fn now and then every ms until the user navigates away. */
  every(ms: number, fn: () => Promise<void> | void): void;
  /** Re-draw (from cached data) when the width changes, so charts fit the screen. */
  onResize(fn: () => void): void;
  navigate(hash: string): void;
}

export type View = (ctx: ViewCtx) => void | Promise<void>;

export type Loaded<T> = { ok: true; data: T } | { ok: false; error: ApiError };

/** GET an endpoint; an error comes back as a value so one missing report doesn't blank a page. */
export async function load<T>(path: string): Promise<Loaded<T>> {
  try {
    return { ok: true, data: await api<T>(path) };
  } catch (err) {
    if (err instanceof SignedOut) throw err;
    return { ok: false, error: err instanceof ApiError ? err : new ApiError(0, String(err)) };
  }
}

export function section(title: string, id: string, ...children: Children[]): HTMLElement {
  return h('section', { class: 'panel', 'aria-labelledby': `${id}-h`, 'data-section': id }, h('h2', { id: `${id}-h` }, title), ...children);
}

/** A 404 means this gateway build lacks the endpoint; anything else is a real error. */
export function failure(err: ApiError, path: string): HTMLElement {
  if (err.notFound) {
    return h('p', { class: 'note', 'data-not-available': path }, h('strong', {}, 'Not available in this build. '), 'This gateway does not serve ', h('code', {}, `GET ${path}`), ' yet.');
  }
  return h('p', { class: 'note error', role: 'alert', 'data-error': String(err.status) }, err.message);
}

export const empty = (text: string): HTMLElement => h('p', { class: 'note' }, text);

export interface Column {
  label: string;
  /** Right-aligned figures. */
  num?: boolean;
  /** Short codes (regions, accelerators) that read wrong when broken at a hyphen. */
  nowrap?: boolean;
}

/**
 * A data table. On a narrow screen CSS lays each row out as a card, labelling every cell from
 * its data-label, so nothing scrolls sideways.
 */
export function table(caption: string, columns: Column[], rows: HTMLTableRowElement[], cls = ''): HTMLTableElement {
  for (const row of rows) {
    [...row.cells].forEach((cell, i) => {
      const col = columns[i];
      if (col && !cell.hasAttribute('colspan')) {
        cell.dataset.label = col.label;
        if (col.num) cell.classList.add('num');
        if (col.nowrap) cell.classList.add('nowrap');
      }
    });
  }
  return h(
    'table',
    { class: `data ${cls}`.trim() },
    h('caption', { class: 'sr-only' }, caption),
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col', class: c.num ? 'num' : undefined }, c.label)))),
    h('tbody', {}, rows),
  );
}

/** A cell; its content is wrapped once so the phone layout has exactly two parts: label, value. */
export function td(...children: Children[]): HTMLTableCellElement {
  const kids = ((children as unknown[]).flat(Infinity) as Child[]).filter((c) => c !== null && c !== undefined && c !== false);
  return kids.length ? h('td', {}, h('div', { class: 'cell' }, kids)) : h('td', {});
}

export type BadgeKind = 'ok' | 'warn' | 'bad' | 'muted' | 'info';
/** A status word in a coloured pill: the word carries the meaning, colour only supports it. */
export const badge = (text: string, kind: BadgeKind): HTMLElement => h('span', { class: `badge ${kind}`, 'data-badge': text }, text);

/** "Updated 12:03:04 · Refresh" above a live view. */
export function refreshBar(onRefresh: () => void, stamp: string): HTMLElement {
  return h(
    'div',
    { class: 'refresh' },
    h('span', { class: 'muted', 'data-updated': '' }, stamp),
    h('button', { type: 'button', class: 'secondary', 'data-focus-key': 'refresh', onclick: onRefresh }, 'Refresh'),
  );
}

/** A small "label: value" list for figures about one thing. */
export function facts(items: [string, Children][]): HTMLElement {
  return h('dl', { class: 'facts' }, items.map(([k, v]) => h('div', {}, h('dt', {}, k), h('dd', {}, v))));
}

/** The pixel width a chart inside a .panel of this region gets (panel padding and border off). */
export const chartWidth = (region: HTMLElement): number => Math.max(280, (region.clientWidth || 800) - 34);
