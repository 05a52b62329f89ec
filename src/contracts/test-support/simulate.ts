// A small traffic simulator for the contract tests: a virtual clock, a seeded PRNG, a
// concurrency limit per deployment, outages through the health callback. Each request calls
// decide() and is served on the best-ranked deployment with room (walking down the ranking,
// as a fail-over would); the in-memory ContractState is updated as the gateway would.

import type { Deployment } from '../../domain/deployment.js';
import { attribute } from '../../policy/contracts-attribution.js';
import type { RequestFacts } from '../../policy/contracts-classify.js';
import { decide, type Decision } from '../../policy/contracts-decide.js';
import { hasHeadroom, type RankingWeights } from '../../policy/contracts-rank.js';
import { InMemoryContractState } from '../../policy/contracts-state.js';
import { DAY_MS } from '../time.js';
import { segmentAt } from '../timeline.js';
import type { CompiledContracts } from '../types.js';
import { mulberry32 } from './prng.js';

export interface TrafficKind {
  weight: number;
  tenantId: string;
  model: string;
  tags?: string[];
}

export interface Outage {
  deployments: readonly string[];
  fromDay: number;
  /** Exclusive. */
  toDay: number;
}

export interface SimConfig {
  compiled: CompiledContracts;
  deployments: readonly Deployment[];
  pools: Readonly<Record<string, readonly string[]>>;
  /** Requests in flight each deployment accepts. */
  concurrency: Readonly<Record<string, number>>;
  startMs: number;
  days: number;
  requestsPerDay: number;
  /** Each day's requests arrive in one busy window of this length starting at noon. */
  busyWindowMs: number;
  durationMs: [number, number];
  promptTokens: [number, number];
  completionTokens: [number, number];
  mix: readonly TrafficKind[];
  outages: readonly Outage[];
  seed: number;
  /** Ranking weights to run with (default: the engine's). */
  weights?: RankingWeights;
}

export interface Served {
  t: number;
  facts: RequestFacts;
  deploymentId: string;
  /** decide()'s output for the request. */
  decision: Decision;
  /** The clause refs recorded as exceptions for the attempt that served. */
  exceptions: readonly string[];
  /** On a reservation with headroom (prepaid). */
  reserved: boolean;
  /** Reservations in the pool that were available, not filtered, and had headroom when this was served. */
  idleReservations: readonly string[];
}

export interface SimResult {
  served: Served[];
  /** Requests nothing could serve: decide()'s blockedBy, or no candidate with room. */
  refused: { t: number; facts: RequestFacts; decision: Decision }[];
  state: InMemoryContractState;
  /** End of each simulated day: commitment spend per ref. */
  daily: { day: number; spend: Record<string, number> }[];
}

export function isDown(outages: readonly Outage[], startMs: number, id: string, t: number): boolean {
  const day = (t - startMs) / DAY_MS;
  return outages.some((o) => o.deployments.includes(id) && day >= o.fromDay && day < o.toDay);
}

export function simulate(cfg: SimConfig): SimResult {
  const rnd = mulberry32(cfg.seed);
  const between = ([a, b]: [number, number]): number => Math.round(a + rnd() * (b - a));
  const byId = new Map(cfg.deployments.map((d) => [d.id, d]));
  const state = new InMemoryContractState();
  const inFlight = new Map<string, number>();
  let releases: { at: number; id: string; reservation: string | null }[] = [];
  const result: SimResult = { served: [], refused: [], state, daily: [] };
  const totalWeight = cfg.mix.reduce((s, k) => s + k.weight, 0);
  const commitRefs = cfg.compiled.agreements.flatMap((a) => a.clauses).filter((c) => c.type === 'commitment').map((c) => c.ref);

  for (let day = 0; day < cfg.days; day++) {
    const open = cfg.startMs + day * DAY_MS + DAY_MS / 2;
    const arrivals = Array.from({ length: cfg.requestsPerDay }, () => open + rnd() * cfg.busyWindowMs).sort((a, b) => a - b);
    for (const t of arrivals) {
      releases = releases.filter((r) => {
        if (r.at > t) return true;
        inFlight.set(r.id, inFlight.get(r.id)! - 1);
        if (r.reservation) state.reservationEnd(r.reservation);
        return false;
      });
      let pick = rnd() * totalWeight;
      const kind = cfg.mix.find((k) => (pick -= k.weight) < 0) ?? cfg.mix[cfg.mix.length - 1]!;
      const tokens = { prompt: between(cfg.promptTokens), completion: between(cfg.completionTokens) };
      const facts: RequestFacts = { model: kind.model, tenantId: kind.tenantId, keyId: null, tags: kind.tags ?? [], expectedTokens: tokens };
      const candidates = (cfg.pools[kind.model] ?? []).map((id) => byId.get(id)!);
      const health = (id: string) => ({ available: !isDown(cfg.outages, cfg.startMs, id, t), latencyMs: 1000, outstanding: inFlight.get(id) ?? 0 });
      const decision = decide(cfg.compiled, facts, candidates, state, t, health, cfg.weights);
      const chosen = decision.candidates.find((c) => (inFlight.get(c.deploymentId) ?? 0) < (cfg.concurrency[c.deploymentId] ?? Infinity));
      if (!chosen) {
        result.refused.push({ t, facts, decision });
        continue;
      }
      const dep = byId.get(chosen.deploymentId)!;
      const seg = segmentAt(cfg.compiled, t);
      const filteredIds = new Set(decision.filtered.map((f) => f.deploymentId));
      const idleReservations = candidates
        .filter((d) => !filteredIds.has(d.id) && health(d.id).available)
        .map((d) => seg.index.reservationsByDeployment.get(d.id))
        .filter((r) => r !== undefined && hasHeadroom(r, state, t, tokens.prompt + tokens.completion))
        .map((r) => r!.ref);
      const a = attribute(cfg.compiled, facts, dep, t, tokens);
      state.recordServed(a);
      if (a.reservationRef) state.reservationStart(a.reservationRef, t, tokens.prompt + tokens.completion);
      inFlight.set(dep.id, (inFlight.get(dep.id) ?? 0) + 1);
      releases.push({ at: t + between(cfg.durationMs), id: dep.id, reservation: a.reservationRef });
      result.served.push({ t, facts, deploymentId: dep.id, decision, exceptions: chosen.exceptions ?? [], reserved: a.reservationRef !== null, idleReservations });
    }
    result.daily.push({ day, spend: Object.fromEntries(commitRefs.map((r) => [r, state.commitmentSpendUsd(r)])) });
  }
  return result;
}
