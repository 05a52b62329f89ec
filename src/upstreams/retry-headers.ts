// How long an upstream asked us to wait, read from its response headers. Providers disagree
// on the header, so each is read in order of precision: retry-after-ms (Azure, and what the
// OpenAI SDK prefers), then retry-after (RFC 9110: seconds or an HTTP-date), then OpenAI's
// x-ratelimit-reset-* Go-style durations. Pure: the clock is a parameter.

export type HeaderBag = Readonly<Record<string, string | string[] | undefined>>;

/** A response head whose headers a decoder reads only when it must (classifying an error): the transport parses them on first access. */
export interface HeadWithHeaders {
  readonly headers: HeaderBag;
}

/** Longest wait we believe; anything larger is more likely a bug or an epoch than advice. */
const MAX_WAIT_MS = 24 * 60 * 60 * 1000;

/**
 * The wait in milliseconds, or undefined when the headers say nothing usable.
 * `headers` must have lower-case names (as node:http and undici deliver them).
 */
export function retryAfterMsFromHeaders(headers: HeaderBag, now: number): number | undefined {
  const ms = parseNonNegativeNumber(first(headers['retry-after-ms']));
  if (ms !== undefined) return clamp(ms);
  const ra = parseRetryAfter(first(headers['retry-after']), now);
  if (ra !== undefined) return clamp(ra);
  return fromRateLimitResets(headers);
}

/** RFC 9110 Retry-After: delta-seconds or an HTTP-date (relative to `now`). */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const secs = parseNonNegativeNumber(value);
  if (secs !== undefined) return secs * 1000;
  // Only a real date: Date.parse accepts odd strings like "1", which the branch above took.
  if (!/[a-z]/i.test(value)) return undefined;
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

const GO_UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, 'µs': 0.001, ns: 0.000001 };

/**
 * A Go time.Duration string ('1s', '6m0s', '12ms', '1h2m3.5s') in milliseconds. '-1',
 * negative and unparseable values are unknown (Azure has sent '-1' meaning "not tracked").
 */
export function parseGoDuration(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const s = value.trim();
  if (s === '' || s.startsWith('-')) return undefined;
  if (s === '0') return 0;
  const re = /(\d+(?:\.\d+)?|\.\d+)(ms|us|µs|ns|h|m|s)/gy;
  let total = 0;
  let pos = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * GO_UNIT_MS[m[2]!]!;
    pos = re.lastIndex;
  }
  return pos === s.length && pos > 0 ? total : undefined;
}

/**
 * A 429 means at least one limit is exhausted. When the remaining-* headers say which, wait
 * for that one; otherwise the longest reset is the only wait sure to be enough.
 */
function fromRateLimitResets(headers: HeaderBag): number | undefined {
  const limits = (['requests', 'tokens'] as const).map((k) => ({
    resetMs: parseGoDuration(first(headers[`x-ratelimit-reset-${k}`])),
    exhausted: first(headers[`x-ratelimit-remaining-${k}`])?.trim() === '0',
  }));
  const known = limits.filter((l) => l.resetMs !== undefined);
  if (known.length === 0) return undefined;
  const exhausted = known.filter((l) => l.exhausted);
  const pick = exhausted.length > 0 ? exhausted : known;
  return clamp(Math.max(...pick.map((l) => l.resetMs!)));
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function parseNonNegativeNumber(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const t = v.trim();
  if (!/^\d+(\.\d+)?$/.test(t)) return undefined;
  return Number(t);
}

function clamp(ms: number): number {
  return Math.min(Math.ceil(ms), MAX_WAIT_MS);
}
