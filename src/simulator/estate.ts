// The simulated deployments: capacity (requests in flight, tokens per minute), latency, a
// background error rate, and the event schedule (outages, capacity crunches, slowdowns).
// This is what the simulator invents; prices, regions, accounts and pools are treaty.yaml's.
//
// A weighted request stands for N real ones. Load is kept in real units as Little's-law
// averages (window.ts), so N real requests occupy what they would on average.
// When only m < N fit, the deployment accepts m and the caller routes the rest anew.

import type { Deployment } from '../domain/deployment.js';
import type { FailureKind } from '../domain/upstream-failure.js';
import { normal } from './prng.js';
import type { Behaviour, EstateSpec, SimEvent } from './traffic-file.js';
import { FluidLoad } from './window.js';

export interface Capacity {
  concurrency?: number;
  tokensPerMinute?: number;
}

export type AttemptResult =
  | { ok: true; accepted: number; latencyMs: number; firstTokenMs: number }
  | { ok: false; failure: FailureKind; retryAfterMs?: number; latencyMs: number };

interface SimDeployment {
  behaviour: Behaviour;
  capacity: Capacity;
  events: SimEvent[];
  load: FluidLoad;
}

/** How long a failure takes to come back, by kind; a timeout takes the gateway's own limit. */
const FAILURE_MS: Partial<Record<FailureKind, number>> = { server_error: 300, connect: 30, overloaded: 200, rate_limited: 100 };

export class SimEstate {
  private readonly deps = new Map<string, SimDeployment>();
  private readonly defaults: Behaviour;

  constructor(
    deployments: readonly Deployment[],
    spec: EstateSpec,
    events: readonly SimEvent[],
    /** Capacity of deployments the traffic file leaves open: a reservation's, when one is on it. */
    reserved: ReadonlyMap<string, Capacity>,
    private readonly firstTokenTimeoutMs: number,
  ) {
    this.defaults = spec.defaults;
    for (const d of deployments) {
      const own = spec.deployments.find((x) => x.id === d.id);
      const fromFile: Capacity = { ...(own?.concurrency !== undefined ? { concurrency: own.concurrency } : {}), ...(own?.tokensPerMinute !== undefined ? { tokensPerMinute: own.tokensPerMinute } : {}) };
      const capacity = fromFile.concurrency === undefined && fromFile.tokensPerMinute === undefined ? reserved.get(d.id) ?? {} : fromFile;
      const behaviour: Behaviour = { ...spec.defaults };
      for (const [k, v] of Object.entries(own ?? {})) if (v !== undefined && k in behaviour) (behaviour as unknown as Record<string, unknown>)[k] = v;
      this.deps.set(d.id, { behaviour, capacity, events: events.filter((e) => e.deployments.includes(d.id)), load: new FluidLoad() });
    }
  }

  /** A deployment's first-token time at light load (the estate default without an id): how long a request holds budget. */
  typicalFirstTokenMs(id?: string): number {
    return id === undefined ? this.defaults.firstTokenMs : this.get(id).behaviour.firstTokenMs;
  }

  capacityOf(id: string): Capacity {
    return this.get(id).capacity;
  }

  /** Real requests in flight (a Little's-law average, window.ts). */
  inFlight(id: string, t: number): number {
    return this.get(id).load.inFlight(t);
  }

  /** Real tokens per minute (the same average). */
  tokensPerMinute(id: string, t: number): number {
    return this.get(id).load.tokensPerMinute(t);
  }

  /** One attempt of a weighted request: accepted (maybe only m of its N), or failed and why. */
  attempt(id: string, t: number, n: number, req: { tokens: number; completion: number }, random: () => number): AttemptResult {
    const d = this.get(id);
    let capFactor = 1;
    let slow = 1;
    for (const e of d.events) {
      if (t < e.startMs || t >= e.endMs) continue;
      if (e.kind === 'outage') return this.failure(e.failure, d.behaviour);
      if (e.kind === 'crunch') capFactor *= e.capacityPercent / 100;
      else slow *= e.latencyFactor;
    }
    const b = d.behaviour;
    if (b.errorPercent > 0 && random() * 100 < b.errorPercent) return this.failure('server_error', b);
    const conc = d.capacity.concurrency !== undefined ? d.capacity.concurrency * capFactor : undefined;
    const inFlight = d.load.inFlight(t);
    const load = conc ? Math.min(1, inFlight / conc) : 0;
    const stretch = slow * (1 + (b.loadPercentAtFull / 100) * load * load) * Math.exp((b.jitterPercent / 100) * normal(random));
    const firstTokenMs = b.firstTokenMs * stretch;
    if (firstTokenMs > this.firstTokenTimeoutMs) return this.failure('timeout', b);
    const latencyMs = firstTokenMs + req.completion * b.msPerOutputToken * stretch;
    // A real request is taken while the deployment is not yet full (in flight below the
    // limit, tokens of the last minute below it) — the same test the contract policy makes
    // of a reservation — so m of the N fit, the last one taking it to or just past the limit.
    let fit = n;
    const span = d.load.spanMs();
    if (conc !== undefined) fit = Math.min(fit, Math.ceil((conc - inFlight) / Math.max(1e-9, latencyMs / span)));
    const tpm = d.capacity.tokensPerMinute;
    if (tpm !== undefined) fit = Math.min(fit, Math.ceil((tpm * capFactor - d.load.tokensPerMinute(t)) / Math.max(1e-9, (req.tokens * 60_000) / span)));
    if (fit <= 0) return this.failure(b.overflow, b);
    d.load.add(t, fit * latencyMs, fit * req.tokens);
    return { ok: true, accepted: fit, latencyMs, firstTokenMs };
  }

  private failure(kind: FailureKind, b: Behaviour): AttemptResult {
    const latencyMs = kind === 'timeout' ? this.firstTokenTimeoutMs : FAILURE_MS[kind] ?? 300;
    return kind === 'rate_limited' && b.retryAfterMs !== undefined ? { ok: false, failure: kind, retryAfterMs: b.retryAfterMs, latencyMs } : { ok: false, failure: kind, latencyMs };
  }

  private get(id: string): SimDeployment {
    const d = this.deps.get(id);
    if (!d) throw new Error(`simulator: no simulated deployment "${id}"`);
    return d;
  }
}
