// Durations on the command line and in traffic files: `365d`, `12w`, `3y`, `1m`, `30s`, `2h`.
// A month is deliberately not a unit (ambiguous with minutes and of varying length).

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000, y: 365 * 86_400_000 };

export function parseDuration(text: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([smhdwy])$/.exec(text.trim());
  if (!m) throw new Error(`${what}: "${text}" is not a duration; write e.g. 365d, 12w, 3y, 1h, 1m (minutes), 30s`);
  const ms = Number(m[1]) * UNITS[m[2]!]!;
  if (!(ms > 0)) throw new Error(`${what}: must be longer than zero`);
  return Math.round(ms);
}

export function fmtDuration(ms: number): string {
  for (const u of ['y', 'w', 'd', 'h', 'm', 's']) if (ms % UNITS[u]! === 0) return `${ms / UNITS[u]!}${u}`;
  return `${ms}ms`;
}
