// Number and time formatting. Every figure is rendered as <span data-value="raw"> so a test
// (or a curious user in devtools) can compare exactly with the API; unknown figures are the
// API's null (never 0) and show as "—" with data-value="null".

import { h } from './dom';

export type Maybe = number | null | undefined;

const usd2 = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 2 });
const usdSmall = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', maximumSignificantDigits: 3 });
const usdCompact = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', notation: 'compact', maximumFractionDigits: 1 });
const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const dec2 = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

const known = (v: Maybe): v is number => typeof v === 'number' && Number.isFinite(v);

/** USD: cents for ordinary sums, three significant digits for per-request fractions of a cent. */
export function usd(v: Maybe): string {
  if (!known(v)) return '—';
  return v !== 0 && Math.abs(v) < 0.01 ? usdSmall.format(v) : usd2.format(v);
}
/** USD for chart axes: $2.4M. */
export const usdShort = (v: number): string => (v === 0 ? '$0' : Math.abs(v) < 1000 ? usd(v) : usdCompact.format(v));
/** A ratio 0..1 as a percentage. */
export const ratioPct = (v: Maybe): string => (known(v) ? `${(v * 100).toFixed(1)} %` : '—');
/** A figure that is already a percentage (shares). */
export const pct = (v: Maybe): string => (known(v) ? `${v.toFixed(1)} %` : '—');
export const ms = (v: Maybe): string => (known(v) ? `${int.format(v)} ms` : '—');
export const count = (v: Maybe): string => (known(v) ? int.format(v) : '—');
export const perSec = (v: Maybe): string => (known(v) ? `${dec2.format(v)}/s` : '—');

const pad = (n: number): string => String(n).padStart(2, '0');
/** Local date and time, YYYY-MM-DD HH:MM:SS — unambiguous across locales. */
export function dateTime(t: Maybe): string {
  if (!known(t)) return '—';
  const d = new Date(t);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
export const date = (t: Maybe): string => (known(t) ? dateTime(t).slice(0, 10) : '—');
/** Contract dates are UTC days: shown as such, whatever the browser's time zone. */
export const day = (t: Maybe): string => (known(t) ? new Date(t).toISOString().slice(0, 10) : '—');
/** Ends from the API are exclusive (a term to 2028-12-31 ends at 2029-01-01 00:00 UTC): show the last day. */
export const lastDay = (t: Maybe): string => (known(t) ? day(t - 1) : '—');
export const clock = (t: number): string => dateTime(t).slice(11, 16);

/** A span of time for "back in 25 s" / "3 m 05 s". */
export function duration(msLeft: Maybe): string {
  if (!known(msLeft)) return '—';
  const sec = Math.max(0, Math.round(msLeft / 1000));
  if (sec < 60) return `${sec} s`;
  const m = Math.floor(sec / 60);
  return m < 60 ? `${m} m ${pad(sec % 60)} s` : `${Math.floor(m / 60)} h ${pad(m % 60)} m`;
}

/** A formatted figure carrying its raw value. */
export function fig(v: Maybe, fmt: (v: Maybe) => string, field?: string): HTMLSpanElement {
  return h('span', { class: known(v) ? 'num' : 'num unknown', 'data-value': known(v) ? String(v) : 'null', 'data-field': field }, fmt(v));
}

/** A time, rendered readable, with the epoch milliseconds in data-value and ISO in the tooltip. */
export function when(t: Maybe, field?: string): HTMLElement {
  if (!known(t)) return fig(t, dateTime, field);
  return h('time', { datetime: new Date(t).toISOString(), 'data-value': String(t), 'data-field': field, title: new Date(t).toISOString() }, dateTime(t));
}
