// Ranking terms, each in USD per expected request so they add up: lower score is better.
//
//   score = cost + pacing + share + latency
//   cost    = 0 on a reservation with headroom (prepaid); list + ref on a full one (it would
//             queue or refuse, so it sorts after every on-demand path); list × (1 − d) when the
//             spend counts toward a commitment with discount d; list otherwise.
//   pacing  = −cost × min(1, paceGain × behind / planAhead): a credit that grows as spend
//             falls behind the plan and is 0 when on or ahead. At full credit a commitment
//             that is projected short costs nothing at the margin — the shortfall is billed anyway.
//   share   = −ref × min(shareMax, shareGain × deficit / target), for the preferred party's
//             deployments; deficit = max(0, target − share so far), target = floor + headroom.
//   latency = ref × latencyPerSecond × expected wait (s).
// `ref` is the dearest known list cost among the candidates: it scales the controller terms
// to the request, so their strength does not depend on the request's size.

import { countsToward, listCostUsd, plannedSpend } from '../contracts/schedule.js';
import { periodOf } from '../contracts/time.js';
import type { CommitmentClause, PreferredShareClause, ReservationClause } from '../contracts/types.js';
import type { Deployment } from '../domain/deployment.js';
import type { ContractState } from './contracts-state.js';

export interface RankingWeights {
  /** Share bonus per unit of relative deficit, in `ref` units; high gain ≈ a tight floor. */
  shareGain: number;
  /** Cap of the share bonus, in `ref` units: health and latency can still outvote it. */
  shareMax: number;
  /** Percentage points above the floor the controller aims for, so noise stays above it. */
  shareHeadroomPoints: number;
  /** Full pacing credit once behind by 1/paceGain of the plan for the pacing window. */
  paceGain: number;
  /** Pacing window as a fraction of the term, shortened to what remains of it. */
  paceWindowFraction: number;
  /** Latency penalty per second of expected wait, in `ref` units. */
  latencyPerSecond: number;
}

export const DEFAULT_WEIGHTS: RankingWeights = { shareGain: 20, shareMax: 3, shareHeadroomPoints: 5, paceGain: 4, paceWindowFraction: 1 / 30, latencyPerSecond: 0.02 };

export interface Parts {
  cost: number;
  pacing: number;
  share: number;
  latency: number;
}

export interface Health {
  available: boolean;
  latencyMs?: number;
  outstanding: number;
}

/** Fraction (0..1) of the discounted price credited back to pull spend toward the plan. */
export function pacingFraction(c: CommitmentClause, spentUsd: number, now: number, w: RankingWeights): number {
  if (now < c.termStartMs || now >= c.termEndMs) return 0;
  const behind = plannedSpend(c, now) - spentUsd;
  if (behind <= 0) return 0;
  const term = c.termEndMs - c.termStartMs;
  // Near the end the window shrinks with what remains, so any gap left then weighs heavily.
  const window = Math.max(60_000, Math.min(term * w.paceWindowFraction, c.termEndMs - now));
  let ahead = plannedSpend(c, now + window) - plannedSpend(c, now);
  if (ahead <= 0) ahead = (c.amountUsd * window) / term;
  return ahead <= 0 ? 1 : Math.min(1, (w.paceGain * behind) / ahead);
}

/** Whether a reservation has room for this request now. */
export function hasHeadroom(r: ReservationClause, state: ContractState, now: number, tokens: number): boolean {
  const u = state.reservationUsage(r.ref, now);
  if (r.capacity.concurrency !== undefined && u.inFlight >= r.capacity.concurrency) return false;
  if (r.capacity.tokensPerMinute !== undefined && u.tokensLastMinute + tokens > r.capacity.tokensPerMinute) return false;
  return true;
}

export interface CostTerms {
  cost: number;
  pacing: number;
  flags: string[];
  reservedFree: boolean;
}

export function costTerms(
  dep: Deployment,
  reservation: ReservationClause | undefined,
  commitments: readonly CommitmentClause[],
  pace: (c: CommitmentClause) => number,
  ctx: { state: ContractState; now: number; tokens: { prompt: number; completion: number }; ref: number },
): CostTerms {
  const total = ctx.tokens.prompt + ctx.tokens.completion;
  if (reservation && hasHeadroom(reservation, ctx.state, ctx.now, total)) return { cost: 0, pacing: 0, flags: [`reserved:${reservation.ref}`], reservedFree: true };
  const known = listCostUsd(dep, ctx.tokens);
  const list = known ?? ctx.ref;
  const flags = known === undefined ? ['price-unknown'] : [];
  if (reservation) return { cost: list + ctx.ref, pacing: 0, flags: [...flags, `reserved-full:${reservation.ref}`], reservedFree: false };
  let best: CostTerms | undefined;
  for (const c of commitments) {
    if (!countsToward(c, dep)) continue;
    const eff = list * (1 - c.discountPercent / 100);
    const credit = eff * pace(c);
    if (!best || eff - credit < best.cost + best.pacing) best = { cost: eff, pacing: -credit, flags: [...flags, `commit:${c.ref}`], reservedFree: false };
  }
  return best ?? { cost: list, pacing: 0, flags, reservedFree: false };
}

/** Share controller bonus (≤ 0) for a deployment of `party`. */
export function shareTerm(party: string | null, shares: readonly PreferredShareClause[], state: ContractState, now: number, ref: number, w: RankingWeights): number {
  if (party === null) return 0;
  let bonus = 0;
  for (const s of shares) {
    if (s.partyId !== party) continue;
    const counts = state.shareCounts(s.scope, party, periodOf(s.period, now));
    const target = Math.min(100, s.minPercent + w.shareHeadroomPoints) / 100;
    if (target <= 0) continue;
    // An empty period counts as share 0: the first requests of a period go to the party.
    const share = counts.total > 0 ? counts.toParty / counts.total : 0;
    const deficit = Math.max(0, target - share);
    bonus += Math.min(w.shareMax, (w.shareGain * deficit) / target) * ref;
  }
  return -bonus;
}

/** Expected wait: outstanding work times latency, except inside a reservation with room (no queue). */
export function latencyTerm(h: Health, reservedFree: boolean, ref: number, w: RankingWeights): number {
  const sec = (h.latencyMs ?? 0) / 1000;
  // Capped below `ref`: load can reorder candidates of similar cost, but never lift a full
  // reservation (priced list + ref) above an on-demand path (the simulator found it could).
  return Math.min(0.9 * ref, w.latencyPerSecond * ref * (reservedFree ? sec : (h.outstanding + 1) * sec));
}
