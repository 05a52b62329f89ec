// Requests-per-minute and tokens-per-minute limits per key and per tenant, in fixed one-minute
// windows on a shared CounterStore. Tokens are admitted on an estimate and corrected when the
// real usage is known (G16: exact under concurrency, and across replicas with a shared store).

import type { CounterStore, LocalCounters } from './counter-store.js';

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

  /**
   * admit() without a promise, when the counters are in this process (undefined when they are
   * shared: use admit). Same counters, same all-or-nothing rule; runs on every request.
   */
  admitNow(scopes: readonly LimitScope[], estTokens: number, now: number): Admission | undefined {
    const local = this.store.inProcess;
    if (!local) return undefined;
    const windowStart = Math.floor(now / WINDOW_MS) * WINDOW_MS;
    for (let i = 0; i < scopes.length; i++) {
      const s = scopes[i]!;
      if (s.rpm !== null && !local.tryAddNow(s.rpmKey ?? `rpm:${s.id}`, windowStart, WINDOW_MS, 1, s.rpm)) {
        undo(local, scopes, i, false, windowStart, estTokens);
        return { ok: false, limit: 'rpm', scope: s.id, retryAfterMs: windowStart + WINDOW_MS - now };
      }
      if (s.tpm !== null && !local.tryAddNow(s.tpmKey ?? `tpm:${s.id}`, windowStart, WINDOW_MS, estTokens, s.tpm)) {
        undo(local, scopes, i, true, windowStart, estTokens);
        return { ok: false, limit: 'tpm', scope: s.id, retryAfterMs: windowStart + WINDOW_MS - now };
      }
    }
    return { ok: true, windowStart };
  }

  /** settleTokens() without a promise; false when the counters are shared (use settleTokens). */
  settleTokensNow(scopes: readonly LimitScope[], windowStart: number, estTokens: number, actualTokens: number): boolean {
    const local = this.store.inProcess;
    if (!local) return false;
    const delta = actualTokens - estTokens;
    if (delta !== 0) for (const s of scopes) if (s.tpm !== null) local.addNow(s.tpmKey ?? `tpm:${s.id}`, windowStart, WINDOW_MS, delta);
    return true;
  }

  /** Replaces the token estimate with the real count once usage is known. */
  async settleTokens(scopes: LimitScope[], windowStart: number, estTokens: number, actualTokens: number): Promise<void> {
    const delta = actualTokens - estTokens;
    if (delta === 0) return;
    for (const s of scopes) if (s.tpm !== null) await this.store.add(s.tpmKey ?? `tpm:${s.id}`, windowStart, WINDOW_MS, delta);
  }
}

/** Takes back what admitNow took before scope `failed` refused (and that scope's RPM when its TPM refused). */
function undo(local: LocalCounters, scopes: readonly LimitScope[], failed: number, rpmTaken: boolean, windowStart: number, estTokens: number): void {
  for (let i = 0; i <= failed; i++) {
    const s = scopes[i]!;
    if (s.rpm !== null && (i < failed || rpmTaken)) local.addNow(s.rpmKey ?? `rpm:${s.id}`, windowStart, WINDOW_MS, -1);
    if (s.tpm !== null && i < failed) local.addNow(s.tpmKey ?? `tpm:${s.id}`, windowStart, WINDOW_MS, -estTokens);
  }
}
