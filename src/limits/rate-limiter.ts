// Requests-per-minute and tokens-per-minute limits per key and per tenant, in fixed one-minute
// windows on a shared CounterStore. Tokens are admitted on an estimate and corrected when the
// real usage is known (G16: exact under concurrency, and across replicas with a shared store).

import type { CounterStore } from './counter-store.js';

export const WINDOW_MS = 60_000;

export interface LimitScope {
  /** e.g. `key:abc` or `tenant:acme`. */
  id: string;
  rpm: number | null;
  tpm: number | null;
  /** The counter names, `rpm:<id>` and `tpm:<id>`, when built ahead (limitScope) rather than per call. */
  rpmKey?: string;
  tpmKey?: string;
}

/** A scope with its counter names built once, for scopes reused across requests. */
export function limitScope(id: string, rpm: number | null, tpm: number | null): LimitScope {
  return { id, rpm, tpm, rpmKey: `rpm:${id}`, tpmKey: `tpm:${id}` };
}

export type Admission = { ok: true; windowStart: number } | { ok: false; limit: 'rpm' | 'tpm'; scope: string; retryAfterMs: number };

export class RateLimiter {
  constructor(private readonly store: CounterStore) {}

  /** Admits one request with `estTokens` against every scope, or none of them (counts are rolled back). */
  async admit(scopes: LimitScope[], estTokens: number, now: number): Promise<Admission> {
    const windowStart = Math.floor(now / WINDOW_MS) * WINDOW_MS;
    const retryAfterMs = windowStart + WINDOW_MS - now;
    const taken: [string, number][] = [];
    const rollback = async (): Promise<void> => {
      for (const [k, n] of taken) await this.store.add(k, windowStart, WINDOW_MS, -n);
    };
    for (const s of scopes) {
      if (s.rpm !== null) {
        const key = s.rpmKey ?? `rpm:${s.id}`;
        if (!(await this.store.tryAdd(key, windowStart, WINDOW_MS, 1, s.rpm))) {
          await rollback();
          return { ok: false, limit: 'rpm', scope: s.id, retryAfterMs };
        }
        taken.push([key, 1]);
      }
      if (s.tpm !== null) {
        const key = s.tpmKey ?? `tpm:${s.id}`;
        if (!(await this.store.tryAdd(key, windowStart, WINDOW_MS, estTokens, s.tpm))) {
          await rollback();
          return { ok: false, limit: 'tpm', scope: s.id, retryAfterMs };
        }
        taken.push([key, estTokens]);
      }
    }
    return { ok: true, windowStart };
  }

  /** Replaces the token estimate with the real count once usage is known. */
  async settleTokens(scopes: LimitScope[], windowStart: number, estTokens: number, actualTokens: number): Promise<void> {
    const delta = actualTokens - estTokens;
    if (delta === 0) return;
    for (const s of scopes) if (s.tpm !== null) await this.store.add(s.tpmKey ?? `tpm:${s.id}`, windowStart, WINDOW_MS, delta);
  }
}
