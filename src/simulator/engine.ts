// simulate(): the virtual clock. For each variant (a policy and a contract set) it builds a
// fresh gateway core — HealthTracker, AdaptiveThrottle, RetryBudget, the contract state — and
// a fresh simulated estate, then walks the horizon step by step: arrivals from the traffic
// source (the same for every variant: a separate seeded stream), each run through the
// attempt loop, with timed bookkeeping (attempt ends) applied as the clock passes it.

import { plannedSpend } from '../contracts/schedule.js';
import { fmtInstant } from '../contracts/time.js';
import type { CommitmentClause, CompiledContracts } from '../contracts/types.js';
import { classify } from '../policy/contracts-classify.js';
import { AdaptiveThrottle, DEFAULT_THROTTLE } from '../routing/adaptive-throttle.js';
import { updateEwma } from '../routing/balancer.js';
import { HealthTracker } from '../routing/health.js';
import { RetryBudget } from '../routing/retry-budget.js';
import { runRequest, type LoopPorts, type Settle } from './attempt-loop.js';
import { bookServed } from './book.js';
import { FluidRetryBudget } from './budget.js';
import { SimEstate, type Capacity } from './estate.js';
import { EventHeap } from './heap.js';
import { VariantMetrics } from './metrics.js';
import { makePolicy } from './policies.js';
import { ProfileSource } from './profile.js';
import { stream } from './prng.js';
import { ReplaySource } from './replay.js';
import type { TrafficSource } from './request.js';
import { variantResult } from './report.js';
import { SimContractState } from './sim-state.js';
import type { SimulationInput, SimulationResult, VariantResult } from './types.js';

const DAY = 86_400_000;

/** Runs every variant, one after the other, on this thread. See parallel.ts for threads. */
export function simulate(input: SimulationInput): SimulationResult {
  const wall0 = performance.now();
  const cpu0 = process.cpuUsage();
  const outs = input.variants.map((_, i) => runVariant(input, i));
  const cpu = process.cpuUsage(cpu0);
  return assemble(input, outs, performance.now() - wall0, (cpu.user + cpu.system) / 1000);
}

export interface VariantOutput {
  result: VariantResult;
  /** What the run had to assume, for the output's notes. */
  notes: string[];
}

/** The whole result from the variants' outputs (in variant order) and what the run cost. */
export function assemble(input: SimulationInput, outs: readonly VariantOutput[], wallMs: number, cpuMs: number): SimulationResult {
  const assumptions = new Set<string>(baseAssumptions(input));
  for (const o of outs) o.notes.forEach((n) => assumptions.add(n));
  const variants = outs.map((o) => o.result);
  const simulatedRequests = variants.reduce((s, v) => s + v.perf.simulatedRequests, 0);
  return {
    start: fmtInstant(input.startMs),
    end: fmtInstant(input.endMs),
    days: Math.ceil((input.endMs - input.startMs) / DAY),
    stepMs: input.stepMs,
    seed: input.seed,
    weight: 'profile' in input.traffic ? input.traffic.profile.weight : 1,
    traffic: 'profile' in input.traffic ? 'generated profile' : input.traffic.label,
    assumptions: [...assumptions],
    variants,
    perf: { wallMs: Math.round(wallMs), cpuMs: Math.round(cpuMs), simulatedRequests, requestsPerCpuSecond: cpuMs > 0 ? Math.round((simulatedRequests * 1000) / cpuMs) : 0 },
  };
}

function trafficOf(input: SimulationInput): TrafficSource {
  if ('profile' in input.traffic) return new ProfileSource(input.traffic.profile, input.endMs, stream(input.seed, 'traffic'));
  return new ReplaySource(input.traffic.replay);
}

/** Capacity the traffic file leaves open on a reserved deployment: the reservation's. */
function reservedCapacity(input: SimulationInput): Map<string, Capacity> {
  const out = new Map<string, Capacity>();
  for (const v of input.variants) {
    for (const seg of v.contracts?.segments ?? []) {
      for (const r of seg.index.reservationsByDeployment.values()) if (!out.has(r.deployment)) out.set(r.deployment, { ...r.capacity });
    }
  }
  return out;
}

function baseAssumptions(input: SimulationInput): string[] {
  const out: string[] = [];
  const reserved = reservedCapacity(input);
  const open = input.deployments.filter((d) => {
    const own = input.estate.deployments.find((x) => x.id === d.id);
    return own?.concurrency === undefined && own?.tokensPerMinute === undefined && !reserved.has(d.id);
  });
  if (open.length) out.push(`unlimited capacity assumed for ${open.map((d) => d.id).join(', ')} (give concurrency or tokensPerMinute under estate.deployments)`);
  const taken = [...reserved.keys()].filter((id) => !input.estate.deployments.some((x) => x.id === id && (x.concurrency !== undefined || x.tokensPerMinute !== undefined)));
  if (taken.length) out.push(`capacity of ${taken.join(', ')} taken from its reservation`);
  const unpriced = input.deployments.filter((d) => !d.prices);
  if (unpriced.length) out.push(`no prices for ${unpriced.map((d) => d.id).join(', ')}: what they serve is counted as unpriced, not free`);
  return out;
}

function commitmentsOf(c: CompiledContracts | undefined): CommitmentClause[] {
  const byRef = new Map<string, CommitmentClause>();
  for (const seg of c?.segments ?? []) for (const x of seg.index.commitments) byRef.set(x.ref, x);
  return [...byRef.values()];
}

/** One variant's run: a fresh gateway core and estate over the whole horizon. */
export function runVariant(input: SimulationInput, index: number): VariantOutput {
  const wall0 = performance.now();
  const spec = input.variants[index]!;
  const assumptions = new Set<string>();
  const r = input.resilience;
  const random = stream(input.seed, 'routing');
  const health = new HealthTracker({ ...r, rateLimitBaseMs: r.rateLimitCooldownMs, rateLimitMaxMs: 60_000 }, random);
  const throttle = new AdaptiveThrottle({ ...DEFAULT_THROTTLE, k: r.throttleK });
  const budget = new RetryBudget({ budgetPercent: r.retryBudgetPercent, minRetryConcurrency: r.minRetryConcurrency });
  const estate = new SimEstate(input.deployments, input.estate, input.events, reservedCapacity(input), r.firstTokenTimeoutMs);
  const state = new SimContractState((id, now) => ({ inFlight: estate.inFlight(id, now), tokensLastMinute: estate.tokensPerMinute(id, now) }));
  const days = Math.ceil((input.endMs - input.startMs) / DAY);
  const metrics = new VariantMetrics(input.startMs, days);
  const ewma = new Map<string, number>();
  const replicas = input.estate.replicas;
  const outstanding = (id: string, now: number): number => estate.inFlight(id, now) / replicas;
  const contracts = spec.contracts;
  for (const seg of contracts?.segments ?? []) for (const res of seg.index.reservationsByDeployment.values()) state.knowReservation(res.ref, res.deployment);
  const commitments = commitmentsOf(contracts);
  for (const c of commitments) {
    const given = input.initialCommitmentSpend[c.ref];
    if (given !== undefined) state.setCommitmentSpend(c.ref, given);
    else if (c.termStartMs < input.startMs) {
      state.setCommitmentSpend(c.ref, plannedSpend(c, input.startMs));
      assumptions.add(`${c.ref} started before the simulation: assumed on plan at the start (${Math.round(plannedSpend(c, input.startMs))} USD); set initial.commitmentSpendUsd to say otherwise`);
    }
  }
  for (const c of commitments) metrics.startSpend.set(c.ref, state.commitmentSpendUsd(c.ref));
  const policy = makePolicy(spec.policy, {
    contracts,
    state,
    health: (id, now) => ({ available: health.availability(id, now).state === 'available', latencyMs: ewma.get(id), outstanding: outstanding(id, now) }),
    ...(input.weights ? { weights: input.weights } : {}),
  });
  const heap = new EventHeap<Settle>();
  const byId = new Map(input.deployments.map((d) => [d.id, d]));
  let cls = '-';
  let parts = 0;
  const book = { contracts, state, metrics, poolOf: (m: string) => input.models.get(m)?.deployments ?? [], couldServe: (d: { id: string }, t: number) => health.availability(d.id, t).state === 'available' };
  const ports: LoopPorts = {
    models: input.models,
    policy,
    selection: { health, throttle, random, view: (id, now) => ({ outstanding: outstanding(id, now), ewmaMs: ewma.get(id) }), timing: r },
    health,
    throttle,
    budget: new FluidRetryBudget(budget, { schedule: (s) => heap.push(s) }, random),
    estate,
    random,
    maxAttempts: input.maxAttempts,
    requestTimeoutMs: input.requestTimeoutMs,
    schedule: (s) => heap.push(s),
    observeLatency: (id, ms) => void ewma.set(id, updateEwma(ewma.get(id), ms)),
    served: (p) => {
      parts++;
      bookServed(book, p, cls);
    },
    failed: (p) => {
      parts++;
      metrics.failedPart(p.reason, p.weight);
    },
  };
  const drain = (t: number): void => {
    for (let e = heap.popDue(t); e; e = heap.popDue(t)) e.run();
  };
  const snapshot = (): Map<string, number> => new Map(commitments.map((c) => [c.ref, state.commitmentSpendUsd(c.ref)]));
  const source = trafficOf(input);
  let dayEnd = input.startMs + DAY;
  for (let s = input.startMs; s < input.endMs; s += input.stepMs) {
    for (; s >= dayEnd; dayEnd += DAY) metrics.closeDay(dayEnd - 1, snapshot());
    for (const req of source.arrivals(s, Math.min(s + input.stepMs, input.endMs))) {
      drain(req.t);
      cls = (contracts ? classify(contracts, req.facts) : null) ?? '-';
      metrics.arrived(req.t, cls, req.weight);
      metrics.attempts += runRequest(ports, req);
    }
  }
  drain(Infinity);
  for (; dayEnd - DAY < input.endMs; dayEnd += DAY) metrics.closeDay(dayEnd - 1, snapshot());
  metrics.splits = parts - metrics.simulatedRequests;
  source.notes().forEach((n) => assumptions.add(n));
  return { result: variantResult({ input, spec, metrics, state, commitments, byId, wallMs: performance.now() - wall0 }), notes: [...assumptions] };
}
