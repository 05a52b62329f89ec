// A commitment's plan: how much should have been spent by time t. Pacing compares
// spend-to-date with it; the checker and the reports extend it to the end of the term.
// Also what a reservation's fixed fee comes to over a span (the simulator's results and the
// invoice reconciliation prorate it the same way).

import type { Deployment } from '../domain/deployment.js';
import { overlapMs, periodOf } from './time.js';
import type { CommitmentClause, ReservationClause } from './types.js';

/** Cumulative planned spend (effective USD) by instant t: whole periods before t plus a linear share of the current one. */
export function plannedSpend(c: CommitmentClause, t: number): number {
  let sum = 0;
  // Indexed: pacing calls this three times per ranked candidate, and an iterator is an object each.
  const plan = c.plan;
  for (let i = 0; i < plan.length; i++) {
    const p = plan[i]!;
    if (t >= p.endMs) sum += p.amountUsd;
    else if (t > p.startMs) sum += (p.amountUsd * (t - p.startMs)) / (p.endMs - p.startMs);
  }
  return sum;
}

/** Whether spend on this deployment counts toward the commitment. */
export function countsToward(c: CommitmentClause, dep: Pick<Deployment, 'id' | 'account'>): boolean {
  return c.countsToward.accounts.includes(dep.account) || c.countsToward.deployments.includes(dep.id);
}

/** List cost of a request in USD, or undefined when the deployment has no prices (never a silent 0). */
export function listCostUsd(dep: Pick<Deployment, 'prices'>, tokens: { prompt: number; completion: number }): number | undefined {
  if (!dep.prices) return undefined;
  return (tokens.prompt * dep.prices.usdPerMTokIn + tokens.completion * dep.prices.usdPerMTokOut) / 1e6;
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
