// The ContractState port for the simulator. Commitment spend is kept by the gateway's own
// InMemoryContractState, fed with attribute()'s output exactly as the gateway feeds it. Two
// readings are the simulator's own, because one simulated request stands for `weight` real
// ones:
//  - share counts are weighted (InMemoryContractState counts one per served request), and
//  - a reservation's usage (in flight, tokens per minute) is the load of the simulated
//    deployment it is on, in real units (window.ts) — the very numbers the simulated
//    deployment admits by, so the policy and the deployment agree on when it is full.
// With weight 1 the share counts are the same numbers the gateway's counters would hold.

import type { Period } from '../contracts/time.js';
import type { Attribution } from '../policy/contracts-attribution.js';
import { InMemoryContractState, type ContractState, type ReservationUsage, type ShareCounts } from '../policy/contracts-state.js';

export class SimContractState implements ContractState {
  readonly inner = new InMemoryContractState();
  private readonly shares = new Map<string, number>();
  /** Reservation ref → the deployment it is on, for requests in flight. */
  private readonly reservationDeployment = new Map<string, string>();

  constructor(private readonly load: (deploymentId: string, now: number) => ReservationUsage) {}

  commitmentSpendUsd(ref: string): number {
    return this.inner.commitmentSpendUsd(ref);
  }

  shareCounts(scope: string, partyId: string, period: Period): ShareCounts {
    return { toParty: this.shares.get(`${scope}|${period.key}|${partyId}`) ?? 0, total: this.shares.get(`${scope}|${period.key}|`) ?? 0 };
  }

  reservationUsage(ref: string, now: number): ReservationUsage {
    const dep = this.reservationDeployment.get(ref);
    return dep === undefined ? { inFlight: 0, tokensLastMinute: 0 } : this.load(dep, now);
  }

  /** Registers which deployment a reservation is on (before the first decision that may read it). */
  knowReservation(ref: string, deploymentId: string): void {
    this.reservationDeployment.set(ref, deploymentId);
  }

  setCommitmentSpend(ref: string, usd: number): void {
    this.inner.setCommitmentSpend(ref, usd);
  }

  /** Books a served part of `weight` real requests; `a` was computed on their total usage. */
  recordServed(a: Attribution, weight: number): void {
    // Shares are counted here, weighted; the inner state books the money only.
    this.inner.recordServed({ ...a, shareScopes: [] });
    for (const scope of a.shareScopes) {
      for (const key of a.periodKeys) {
        this.bump(`${scope}|${key}|`, weight);
        if (a.partyId !== null) this.bump(`${scope}|${key}|${a.partyId}`, weight);
      }
    }
  }

  private bump(key: string, by: number): void {
    this.shares.set(key, (this.shares.get(key) ?? 0) + by);
  }
}
