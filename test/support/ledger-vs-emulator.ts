// The one-for-one check both crash tests make after recovery: the ledger holds each upstream
// attempt the emulators saw exactly once, plus at most one write-ahead row per request for a
// call the crash cut before it was sent; nothing is left 'started'; orphans are flagged; every
// completed attempt is an 'ok' row unless its process died before writing it (then an orphan).

import { expect } from 'vitest';
import type { AttemptRecord } from '../../src/emulators/core/types.js';
import type { AttemptRow } from '../../src/ledger/store.js';

/** Asserts the above and returns the figures the tests log. */
export function expectLedgerMatchesEmulator(rows: readonly AttemptRow[], emulated: readonly AttemptRecord[]): { orphans: AttemptRow[]; okRows: number; okEmulated: number } {
  // Nothing twice.
  expect(new Set(rows.map((r) => `${r.requestId}#${r.attemptNo}`)).size).toBe(rows.length);
  // Nothing left open.
  expect(rows.filter((r) => r.status === 'started')).toHaveLength(0);
  // Nothing lost: every upstream attempt the emulator received has its ledger row.
  const byRequest = new Map<string, number>();
  for (const a of emulated) byRequest.set(a.requestId!, (byRequest.get(a.requestId!) ?? 0) + 1);
  for (const [requestId, n] of byRequest) {
    const mine = rows.filter((r) => r.requestId === requestId).sort((a, b) => a.attemptNo - b.attemptNo);
    // Equal, or one more: the write-ahead row of an attempt the crash cut before it was sent.
    expect(mine.length - n, requestId).toBeGreaterThanOrEqual(0);
    expect(mine.length - n, requestId).toBeLessThanOrEqual(1);
    if (mine.length > n) expect(mine.at(-1)!.status).toBe('orphaned');
  }
  // A ledger row with no emulator attempt can only be an intent the crash cut before sending.
  const seen = new Set(emulated.map((a) => a.requestId));
  for (const r of rows.filter((x) => !seen.has(x.requestId))) expect(r.status).toBe('orphaned');
  // Interrupted attempts are settled from an estimate and flagged.
  const orphans = rows.filter((r) => r.status === 'orphaned');
  for (const o of orphans) expect(o).toMatchObject({ settledFromEstimate: true, usageSource: 'estimated' });
  // An attempt the crash cut (the emulator saw the gateway hang up, or never saw it end) is
  // never booked as a complete answer. Whether a kill cuts any attempt at all is timing: on a
  // slow host a replica died with its five requests all still before their upstream calls, and
  // an unconditional "some orphans" failed although nothing was lost.
  for (const a of emulated.filter((x) => x.outcome === 'aborted' || x.endedAt === undefined)) {
    const mine = rows.filter((r) => r.requestId === a.requestId);
    expect(mine.length, `cut attempt ${a.requestId ?? '?'}`).toBeGreaterThan(0);
    expect(mine.some((r) => r.status !== 'ok'), `cut attempt ${a.requestId ?? '?'} booked ok`).toBe(true);
  }
  // Completed attempts match: every emulator attempt that finished 'ok' is an 'ok' row, unless
  // the crash took it before its final write (then it is one of the orphans).
  const okEmulated = emulated.filter((a) => a.outcome === 'ok').length;
  const okRows = rows.filter((r) => r.status === 'ok').length;
  expect(okRows).toBeLessThanOrEqual(okEmulated);
  expect(okEmulated - okRows).toBeLessThanOrEqual(orphans.length);
  return { orphans, okRows, okEmulated };
}
