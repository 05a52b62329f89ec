// Contract counters shared by every replica: commitment spend, preferred-share counts and
// reservation usage. The policy engine reads them synchronously at every hop, so reads never
// touch Redis: they combine what Redis said at the last sync (about once a second) with what
// this replica booked since. This file is the pure bookkeeping (time passed in, no I/O);
// contract-sync.ts moves the deltas to Redis and the answers back.
//
// Commitment spend = the ledger's sum for attempts started before a boundary (the durable
// truth, re-read now and then) + Redis' per-10-second buckets from that boundary on. The
// boundary lies a request timeout (plus margin) in the past, so every attempt before it has
// finished and is in the ledger, and every attempt after it is in a bucket: nothing is counted
// twice or missed, whichever replica served it.

import type { Attribution } from '../policy/contracts-attribution.js';
import { forEachShareKey, shareKey, type LiveContractState, type ReservationUsage, type ShareCounts } from '../policy/contracts-state.js';
import type { Period } from '../contracts/time.js';

export const SPEND_BUCKET_MS = 10_000;
const TOKEN_BUCKET_MS = 1_000;
const MINUTE_MS = 60_000;
const NANO = 1e9;

type Buckets = Map<number, number>;

/** What one sync sends: deltas since the last one and this replica's live in-flight counts. */
export interface CounterDeltas {
  /** [commitment ref, bucket start ms, nano-USD] */
  spend: [string, number, number][];
  /** [`scope|period|party`, count] */
  shares: [string, number][];
  /** [reservation ref, second start ms, tokens] */
  tokens: [string, number, number][];
  /** [reservation ref, requests in flight on this replica] */
  inFlight: [string, number][];
}

/** What Redis holds for the whole cluster after a sync (this replica's deltas included). */
export interface CounterSnapshot {
  spend: Map<string, Buckets>;
  shares: Map<string, number>;
  tokens: Map<string, Buckets>;
  /** In flight on the *other* live replicas. */
  othersInFlight: Map<string, number>;
}

export class SharedContractCounters implements LiveContractState {
  private remote: CounterSnapshot = { spend: new Map(), shares: new Map(), tokens: new Map(), othersInFlight: new Map() };
  private ledgerBase = new Map<string, { nano: number; boundary: number }>();
  /**
   * Per commitment: the ledger base plus Redis' buckets from the boundary on. decide() reads
   * commitment spend for every candidate at every hop, so the hundred-odd buckets Redis keeps
   * are summed when a sync or a reseed changes them, not on each read.
   */
  private settledSpend = new Map<string, number>();
  // Booked here and not yet confirmed by Redis: `pending` since the last sync, `sending` in a
  // sync whose answer has not arrived (both count in reads, so nothing flickers).
  private pending = emptyDeltas();
  private sending = emptyDeltas();
  private sendingSeq: number | undefined;
  private seq = 0;
  private readonly inFlight = new Map<string, number>();

  commitmentSpendUsd(ref: string): number {
    const from = this.ledgerBase.get(ref)?.boundary ?? -Infinity;
    const settled = this.settledSpend.get(ref) ?? this.refreshSettled(ref);
    return (settled + sumFrom(this.pending.spend.get(ref), from) + sumFrom(this.sending.spend.get(ref), from)) / NANO;
  }

  shareCounts(scope: string, partyId: string, period: Period): ShareCounts {
    return { toParty: this.shareCount(shareKey(scope, period.key, partyId)), total: this.shareCount(shareKey(scope, period.key, '')) };
  }

  reservationUsage(ref: string, now: number): ReservationUsage {
    // A second's bucket counts while any of it lies in the last minute.
    const from = now - MINUTE_MS - TOKEN_BUCKET_MS + 1;
    const tokens = sumFrom(this.remote.tokens.get(ref), from) + sumFrom(this.pending.tokens.get(ref), from) + sumFrom(this.sending.tokens.get(ref), from);
    return { inFlight: (this.remote.othersInFlight.get(ref) ?? 0) + (this.inFlight.get(ref) ?? 0), tokensLastMinute: tokens };
  }

  recordServed(a: Attribution, startedAt: number): void {
    const bucket = floorTo(startedAt, SPEND_BUCKET_MS);
    for (const c of a.commitments) addTo(this.pending.spend, c.ref, bucket, Math.round(c.usd * NANO));
    forEachShareKey(a, (key) => this.pending.shares.set(key, (this.pending.shares.get(key) ?? 0) + 1));
  }

  reservationStart(ref: string, t: number, tokens: number): void {
    this.inFlight.set(ref, (this.inFlight.get(ref) ?? 0) + 1);
    addTo(this.pending.tokens, ref, floorTo(t, TOKEN_BUCKET_MS), tokens);
  }

  reservationEnd(ref: string): void {
    const n = this.inFlight.get(ref) ?? 0;
    if (n > 0) this.inFlight.set(ref, n - 1);
  }

  /** The ledger's spend for commitment `ref` on attempts started before `boundary`. */
  setLedgerBase(ref: string, usd: number, boundary: number): void {
    this.ledgerBase.set(ref, { nano: Math.round(usd * NANO), boundary });
    this.refreshSettled(ref);
  }

  /**
   * The deltas for the next sync, numbered. Until Redis confirms a batch, every sync re-sends
   * that same batch under the same number (Redis applies a number once), so a reply lost to a
   * timeout after Redis applied it cannot count twice. Token buckets older than two minutes are
   * dropped first: after an outage they no longer matter.
   */
  takeDeltas(now: number, reservations: readonly string[]): CounterDeltas & { seq: number } {
    if (this.sendingSeq === undefined) {
      for (const m of this.pending.tokens.values()) for (const b of m.keys()) if (b < now - 2 * MINUTE_MS) m.delete(b);
      this.sending = this.pending;
      this.pending = emptyDeltas();
      this.sendingSeq = ++this.seq;
    }
    const refs = new Set([...reservations, ...this.inFlight.keys()]);
    return {
      seq: this.sendingSeq,
      spend: flatten(this.sending.spend),
      shares: [...this.sending.shares],
      tokens: flatten(this.sending.tokens),
      inFlight: [...refs].map((r) => [r, this.inFlight.get(r) ?? 0]),
    };
  }

  /** Redis took the batch and answered with the cluster's totals. */
  synced(snapshot: CounterSnapshot): void {
    this.remote = snapshot;
    this.settledSpend.clear();
    this.sending = emptyDeltas();
    this.sendingSeq = undefined;
  }

  private refreshSettled(ref: string): number {
    const base = this.ledgerBase.get(ref);
    const nano = (base?.nano ?? 0) + sumFrom(this.remote.spend.get(ref), base?.boundary ?? -Infinity);
    this.settledSpend.set(ref, nano);
    return nano;
  }

  private shareCount(key: string): number {
    return (this.remote.shares.get(key) ?? 0) + (this.pending.shares.get(key) ?? 0) + (this.sending.shares.get(key) ?? 0);
  }
}

interface Deltas {
  spend: Map<string, Buckets>;
  shares: Map<string, number>;
  tokens: Map<string, Buckets>;
}

function emptyDeltas(): Deltas {
  return { spend: new Map(), shares: new Map(), tokens: new Map() };
}

function floorTo(t: number, step: number): number {
  return Math.floor(t / step) * step;
}

function addTo(maps: Map<string, Buckets>, ref: string, bucket: number, v: number): void {
  let m = maps.get(ref);
  if (!m) maps.set(ref, (m = new Map()));
  m.set(bucket, (m.get(bucket) ?? 0) + v);
}

function sumFrom(m: Buckets | undefined, from: number): number {
  let s = 0;
  if (m) for (const [b, v] of m) if (b >= from) s += v;
  return s;
}

function flatten(maps: Map<string, Buckets>): [string, number, number][] {
  const out: [string, number, number][] = [];
  for (const [ref, m] of maps) for (const [b, v] of m) out.push([ref, b, v]);
  return out;
}
