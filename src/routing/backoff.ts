// How long to wait before trying a deployment again: the upstream's own hint when it gave
// one, else capped exponential back-off with full jitter (AWS Builders' Library). Pure.

export interface BackoffConfig {
  baseMs: number;
  capMs: number;
}

export const DEFAULT_BACKOFF: BackoffConfig = { baseMs: 100, capMs: 10_000 };

/** Full jitter: uniform in [0, min(cap, base·2^n)] for the n-th retry (n from 0). */
export function fullJitterMs(n: number, cfg: BackoffConfig, random: () => number): number {
  const ceiling = Math.min(cfg.capMs, cfg.baseMs * 2 ** Math.min(n, 30));
  return random() * ceiling;
}

/**
 * The wait before the same deployment may be tried again. A provider's retry-after wins
 * (it knows its own quota window); otherwise back off.
 */
export function retryWaitMs(retryAfterMs: number | undefined, n: number, cfg: BackoffConfig, random: () => number): number {
  if (retryAfterMs !== undefined && retryAfterMs >= 0) return retryAfterMs;
  return fullJitterMs(n, cfg, random);
}
