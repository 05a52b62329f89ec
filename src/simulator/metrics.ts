// Accumulators for one variant's run: per day, per class, per deployment, per clause. Every
// figure is in real requests (a simulated request adds its weight).

import { Histogram } from './histogram.js';

const DAY = 86_400_000;

export interface SpendAgg {
  requests: number;
  promptTokens: number;
  completionTokens: number;
  listUsd: number;
  effectiveUsd: number;
  unpriced: number;
}

export interface DayAgg {
  requests: number;
  served: number;
  effectiveUsd: number;
  byParty: Map<string, number>;
  /** Commitment ref → cumulative effective spend at the end of the day. */
  commitmentSpend: Map<string, number>;
  /** Reservation ref → tokens served on it that day, and Σ requests × latency (ms). */
  reservationTokens: Map<string, number>;
  reservationBusyMs: Map<string, number>;
}

export interface ClassAgg {
  requests: number;
  served: number;
  latency: Histogram;
}

const spend = (): SpendAgg => ({ requests: 0, promptTokens: 0, completionTokens: 0, listUsd: 0, effectiveUsd: 0, unpriced: 0 });
const add = (m: Map<string, number>, k: string, v: number): void => void m.set(k, (m.get(k) ?? 0) + v);

export class VariantMetrics {
  readonly days: DayAgg[];
  readonly classes = new Map<string, ClassAgg>();
  readonly deployments = new Map<string, SpendAgg>();
  readonly clouds = new Map<string, SpendAgg>();
  readonly failed = new Map<string, number>();
  readonly exceptions = new Map<string, number>();
  readonly breaches = new Map<string, number>();
  readonly reservationRequests = new Map<string, number>();
  readonly spilled = new Map<string, number>();
  /** Commitment ref → spend at the start (initial or assumed on plan). */
  readonly startSpend = new Map<string, number>();
  simulatedRequests = 0;
  attempts = 0;
  splits = 0;

  constructor(private readonly startMs: number, days: number) {
    this.days = Array.from({ length: days }, () => ({ requests: 0, served: 0, effectiveUsd: 0, byParty: new Map(), commitmentSpend: new Map(), reservationTokens: new Map(), reservationBusyMs: new Map() }));
  }

  day(t: number): DayAgg {
    const i = Math.min(this.days.length - 1, Math.max(0, Math.floor((t - this.startMs) / DAY)));
    return this.days[i]!;
  }

  cls(id: string): ClassAgg {
    let c = this.classes.get(id);
    if (!c) this.classes.set(id, (c = { requests: 0, served: 0, latency: new Histogram() }));
    return c;
  }

  arrived(t: number, cls: string, weight: number): void {
    this.simulatedRequests++;
    this.day(t).requests += weight;
    this.cls(cls).requests += weight;
  }

  servedPart(o: { arrivedAt: number; cls: string; weight: number; endToEndMs: number; deployment: string; cloud: string; prompt: number; completion: number; listUsd: number | undefined; effectiveUsd: number | undefined }): void {
    const d = this.day(o.arrivedAt);
    d.served += o.weight;
    const c = this.cls(o.cls);
    c.served += o.weight;
    c.latency.add(o.endToEndMs, o.weight);
    for (const [map, key] of [[this.deployments, o.deployment], [this.clouds, o.cloud]] as const) {
      let s = map.get(key);
      if (!s) map.set(key, (s = spend()));
      s.requests += o.weight;
      s.promptTokens += o.prompt;
      s.completionTokens += o.completion;
      if (o.listUsd === undefined || o.effectiveUsd === undefined) s.unpriced += o.weight;
      else {
        s.listUsd += o.listUsd;
        s.effectiveUsd += o.effectiveUsd;
      }
    }
    if (o.effectiveUsd !== undefined) {
      d.effectiveUsd += o.effectiveUsd;
      add(d.byParty, o.cloud, o.effectiveUsd);
    }
  }

  onReservation(t: number, ref: string, weight: number, tokens: number, busyMs: number): void {
    add(this.reservationRequests, ref, weight);
    add(this.day(t).reservationTokens, ref, tokens);
    add(this.day(t).reservationBusyMs, ref, busyMs);
  }

  clause(kind: 'exception' | 'breach', ref: string, weight: number): void {
    add(kind === 'exception' ? this.exceptions : this.breaches, ref, weight);
  }

  spill(ref: string, weight: number): void {
    add(this.spilled, ref, weight);
  }

  failedPart(reason: string, weight: number): void {
    add(this.failed, reason, weight);
  }

  closeDay(t: number, spendByRef: ReadonlyMap<string, number>): void {
    const d = this.day(t);
    for (const [k, v] of spendByRef) d.commitmentSpend.set(k, v);
  }
}
