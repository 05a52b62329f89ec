// What the router believes about each clause right now: the live counters it ranks with
// (commitment spend, this period's preferred share, reservation use). In cluster mode these are
// the cluster's figures, so every replica should show the same ones within a sync interval.
// Served by GET /admin/contracts/counters and turned into /metrics gauges.

import { periodOf } from '../contracts/time.js';
import type { CompiledContracts } from '../contracts/types.js';
import type { ContractState } from '../policy/contracts-state.js';

export interface LiveCounters {
  commitments: { clause: string; spentUsd: number; amountUsd: number; ratio: number }[];
  shares: { clause: string; period: string; toParty: number; total: number; percent: number | null }[];
  reservations: { clause: string; inFlight: number; tokensLastMinute: number }[];
}

export function liveCounters(compiled: CompiledContracts, state: ContractState, now: number): LiveCounters {
  const out: LiveCounters = { commitments: [], shares: [], reservations: [] };
  for (const c of compiled.agreements.flatMap((a) => a.clauses)) {
    if (c.type === 'commitment') {
      const spentUsd = state.commitmentSpendUsd(c.ref);
      out.commitments.push({ clause: c.ref, spentUsd, amountUsd: c.amountUsd, ratio: c.amountUsd > 0 ? spentUsd / c.amountUsd : 0 });
    } else if (c.type === 'preferred-share') {
      const period = periodOf(c.period, now);
      const n = state.shareCounts(c.scope, c.partyId, period);
      out.shares.push({ clause: c.ref, period: period.key, toParty: n.toParty, total: n.total, percent: n.total ? (100 * n.toParty) / n.total : null });
    } else if (c.type === 'reservation') {
      const u = state.reservationUsage(c.ref, now);
      out.reservations.push({ clause: c.ref, inFlight: u.inFlight, tokensLastMinute: u.tokensLastMinute });
    }
  }
  return out;
}
