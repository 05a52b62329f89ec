// When clauses are in force over a window, and what a reservation's fixed fee comes to over a
// span: shared by the simulator's results and the ledger's invoice reconciliation, so a plan
// and the bill prorate fees the same way. Pure.

import { overlapMs, periodOf } from './time.js';
import type { CompiledContracts, ReservationClause } from './types.js';

/** The intervals of [start, end) in which each clause (by ref) picked from a segment is in force, with its latest terms. */
export function inForce<T extends { ref: string }>(contracts: CompiledContracts, start: number, end: number, pick: (seg: CompiledContracts['segments'][number]) => Iterable<T>): Map<string, { clause: T; spans: [number, number][] }> {
  const out = new Map<string, { clause: T; spans: [number, number][] }>();
  for (const seg of contracts.segments) {
    const a = Math.max(seg.startMs, start);
    const b = Math.min(seg.endMs, end);
    if (a >= b) continue;
    for (const c of pick(seg)) {
      const e = out.get(c.ref) ?? { clause: c, spans: [] };
      e.clause = c;
      e.spans.push([a, b]);
      out.set(c.ref, e);
    }
  }
  return out;
}

/** A reservation's fee over [a, b): each billing period it overlaps, in proportion to the overlap. */
export function feeOver(r: ReservationClause, a: number, b: number): number {
  let fee = 0;
  for (let t = a; t < b; ) {
    const p = periodOf(r.period, t);
    fee += (r.usdPerPeriod * overlapMs(p.startMs, p.endMs, a, b)) / (p.endMs - p.startMs);
    t = p.endMs;
  }
  return fee;
}
