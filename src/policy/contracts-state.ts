// The read port the policy engine needs from the running gateway, and an in-process
// implementation of it. decide() runs at every hop, so the port is synchronous: the gateway
// keeps these counters in memory (seeded from the ledger at start-up, bumped as attempts
// finish) rather than querying storage on the hot path.

import type { Period } from '../contracts/time.js';
import type { Attribution } from './contracts-attribution.js';
import { MinuteWindow } from './minute-window.js';

export interface ShareCounts {
  /** Requests of the scope in the period that went to the party. */
  toParty: number;
  /** All requests of the scope in the period. */
  total: number;
}

export interface ReservationUsage {
  inFlight: number;
  /** Prompt + completion tokens started on the reservation in the last 60 s. */
  tokensLastMinute: number;
}

export interface ContractState {
  /** Effective USD counted toward commitment `ref` (`agreement/clause`) since its term started. */
  commitmentSpendUsd(ref: string): number;
  /** Counts for a preferred-share scope (`class:<id>` or `models:<a,b>`) in one period. */
  shareCounts(scope: string, partyId: string, period: Period): ShareCounts;
  /** Usage of reservation `ref` at `now`. */
  reservationUsage(ref: string, now: number): ReservationUsage;
}

/**
 * The state the gateway keeps live: the reads above plus what each attempt books. One replica
 * keeps it in memory; cluster mode swaps in counters shared over Redis (src/cluster).
 */
export interface LiveContractState extends ContractState {
  /** Counts a served request; `startedAt` is when its attempt started (what the ledger keys spend by). */
  recordServed(a: Attribution, startedAt: number): void;
  /** A request starts on reservation `ref` with this many expected tokens. */
  reservationStart(ref: string, t: number, tokens: number): void;
  reservationEnd(ref: string): void;
}

/** The counter key of a share scope in one period: to `partyId`, or in total when it is ''. */
export function shareKey(scope: string, periodKey: string, partyId: string): string {
  return `${scope}|${periodKey}|${partyId}`;
}

/** Every share counter a served request bumps by one (one place, so all ContractStates agree). */
export function forEachShareKey(a: Attribution, bump: (key: string) => void): void {
  for (const scope of a.shareScopes) {
    for (const key of a.periodKeys) {
      bump(shareKey(scope, key, ''));
      if (a.partyId !== null) bump(shareKey(scope, key, a.partyId));
    }
  }
}

interface ReservationLog {
  inFlight: number;
  window: MinuteWindow;
}

/** Counters in memory. Pure bookkeeping: time is passed in, nothing is read from a clock. */
export class InMemoryContractState implements LiveContractState {
  private readonly spend = new Map<string, number>();
  /**
   * Share counters: scope → period key → party ('' for the scope's total) → count. The same
   * counters as shareKey names, held nested so that no key string is built and hashed per read.
   */
  private readonly shares = new Map<string, Map<string, Map<string, number>>>();
  private readonly reservations = new Map<string, ReservationLog>();

  commitmentSpendUsd(ref: string): number {
    return this.spend.get(ref) ?? 0;
  }

  shareCounts(scope: string, partyId: string, period: Period): ShareCounts {
    const counts = this.shares.get(scope)?.get(period.key);
    return { toParty: counts?.get(partyId) ?? 0, total: counts?.get('') ?? 0 };
  }

  reservationUsage(ref: string, now: number): ReservationUsage {
    const log = this.reservations.get(ref);
    if (!log) return { inFlight: 0, tokensLastMinute: 0 };
    return { inFlight: log.inFlight, tokensLastMinute: log.window.sum(now) };
  }

  /** Seeds a commitment's spend to date, e.g. from the ledger at start-up. */
  setCommitmentSpend(ref: string, usd: number): void {
    this.spend.set(ref, usd);
  }

  /**
   * Counts a served request: its spend toward commitments and its place in share scopes
   * (under the month and the quarter it was served in, so either period kind can be asked).
   */
  recordServed(a: Attribution): void {
    for (const c of a.commitments) this.spend.set(c.ref, this.commitmentSpendUsd(c.ref) + c.usd);
    // The counters forEachShareKey names: the scope's total and the party's, per period.
    for (const scope of a.shareScopes) {
      for (const key of a.periodKeys) {
        const counts = this.countsOf(scope, key);
        counts.set('', (counts.get('') ?? 0) + 1);
        if (a.partyId !== null) counts.set(a.partyId, (counts.get(a.partyId) ?? 0) + 1);
      }
    }
  }

  /**
   * Replaces every share counter of one period (`periodKey`, e.g. a month's) with `tally`:
   * scope → party ('' for the scope's total) → count. Seeds the counters from the ledger.
   */
  replaceShares(periodKey: string, tally: ReadonlyMap<string, ReadonlyMap<string, number>>): void {
    for (const periods of this.shares.values()) periods.delete(periodKey);
    for (const [scope, counts] of tally) {
      const into = this.countsOf(scope, periodKey);
      for (const [party, n] of counts) into.set(party, n);
    }
  }

  /** A request starts on reservation `ref` with this many expected tokens. */
  reservationStart(ref: string, t: number, tokens: number): void {
    let log = this.reservations.get(ref);
    if (!log) this.reservations.set(ref, (log = { inFlight: 0, window: new MinuteWindow() }));
    log.inFlight++;
    log.window.add(t, tokens);
  }

  reservationEnd(ref: string): void {
    const log = this.reservations.get(ref);
    if (log && log.inFlight > 0) log.inFlight--;
  }

  private countsOf(scope: string, periodKey: string): Map<string, number> {
    let periods = this.shares.get(scope);
    if (!periods) this.shares.set(scope, (periods = new Map()));
    let counts = periods.get(periodKey);
    if (!counts) periods.set(periodKey, (counts = new Map()));
    return counts;
  }
}
