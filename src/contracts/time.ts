// Contract time: instants are epoch milliseconds in UTC. Dates in contracts are whole UTC
// days; an END date is inclusive (a term "2026-01-01 .. 2028-12-31" covers the last day too),
// so it compiles to the first instant after it. Everything is a half-open [start, end).

export const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;

export const DATE_PATTERN = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?Z)?$/;
export const DATE_HINT = 'must be a UTC date YYYY-MM-DD (or an instant YYYY-MM-DDTHH:MMZ)';

/**
 * Parses a contract date. `edge: 'end'` turns a bare date into the next midnight, because a
 * contract's end date includes that day; an explicit instant is taken as written.
 * Undefined for impossible dates such as 2026-02-30.
 */
export function parseContractDate(text: string, edge: 'start' | 'end'): number | undefined {
  if (!DATE_PATTERN.test(text)) return undefined;
  const [y, m, d] = text.slice(0, 10).split('-').map(Number) as [number, number, number];
  const day = Date.UTC(y, m - 1, d);
  const back = new Date(day);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== m - 1 || back.getUTCDate() !== d) return undefined;
  if (text.length === 10) return edge === 'end' ? day + DAY_MS : day;
  const ms = Date.parse(text.length === 17 ? `${text.slice(0, 16)}:00Z` : text);
  return Number.isFinite(ms) ? ms : undefined;
}

/** ISO form for messages: a whole-day instant prints as its date. */
export function fmtInstant(ms: number): string {
  if (!Number.isFinite(ms)) return ms > 0 ? 'forever' : 'the beginning';
  const iso = new Date(ms).toISOString();
  return ms % DAY_MS === 0 ? iso.slice(0, 10) : `${iso.slice(0, 16)}Z`;
}

/** An inclusive end date for messages (the last day covered), matching how it was written. */
export function fmtEnd(ms: number): string {
  return ms % DAY_MS === 0 && Number.isFinite(ms) ? fmtInstant(ms - DAY_MS) : fmtInstant(ms);
}

export type PeriodKind = 'hour' | 'day' | 'month' | 'quarter' | 'year';

export interface Period {
  /** Stable name of the period, e.g. `2026-03`, `2026-Q1`: the key share counters use. */
  key: string;
  startMs: number;
  endMs: number;
}

/** The last period answered per kind: the gateway asks for the same month on every request. */
const lastPeriod: Partial<Record<PeriodKind, Readonly<Period>>> = {};

/** The calendar period (UTC) that contains `t` (shared, frozen: callers must not change it). */
export function periodOf(kind: PeriodKind, t: number): Readonly<Period> {
  const last = lastPeriod[kind];
  if (last !== undefined && t >= last.startMs && t < last.endMs) return last;
  return (lastPeriod[kind] = Object.freeze(computePeriod(kind, t)));
}

function computePeriod(kind: PeriodKind, t: number): Period {
  const d = new Date(t);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  switch (kind) {
    case 'hour': {
      const startMs = Math.floor(t / HOUR_MS) * HOUR_MS;
      return { key: new Date(startMs).toISOString().slice(0, 13), startMs, endMs: startMs + HOUR_MS };
    }
    case 'day': {
      const startMs = Math.floor(t / DAY_MS) * DAY_MS;
      return { key: new Date(startMs).toISOString().slice(0, 10), startMs, endMs: startMs + DAY_MS };
    }
    case 'month':
      return { key: `${y}-${String(m + 1).padStart(2, '0')}`, startMs: Date.UTC(y, m, 1), endMs: Date.UTC(y, m + 1, 1) };
    case 'quarter': {
      const q = Math.floor(m / 3);
      return { key: `${y}-Q${q + 1}`, startMs: Date.UTC(y, q * 3, 1), endMs: Date.UTC(y, q * 3 + 3, 1) };
    }
    case 'year':
      return { key: String(y), startMs: Date.UTC(y, 0, 1), endMs: Date.UTC(y + 1, 0, 1) };
  }
}

/** Length of [a, b) ∩ [c, d), zero when they do not meet. */
export function overlapMs(a: number, b: number, c: number, d: number): number {
  return Math.max(0, Math.min(b, d) - Math.max(a, c));
}
