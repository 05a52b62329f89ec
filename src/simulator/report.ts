// From one variant's accumulators and contract state to its result: commitments (attainment,
// projection to term end, shortfall), reservations (fees, utilisation), preferred shares per
// period, availability and latency per class, cost per cloud, exceptions and breaches.

import { feeOver, plannedSpend } from '../contracts/schedule.js';
import { fmtEnd, fmtInstant, overlapMs, periodOf } from '../contracts/time.js';
import { segmentAt } from '../contracts/timeline.js';
import type { CommitmentClause, CompiledContracts, PreferredShareClause } from '../contracts/types.js';
import type { Deployment } from '../domain/deployment.js';
import type { SpendAgg, VariantMetrics } from './metrics.js';
import type { SimContractState } from './sim-state.js';
import type { CommitmentResult, ReservationResult, ShareResult, SimulationInput, SpendResult, VariantResult, VariantSpec } from './types.js';

const DAY = 86_400_000;
/** Projection to term end: the pace of the last this-many days of the horizon. */
const PACE_DAYS = 90;

const pct = (a: number, b: number): number | null => (b > 0 ? (100 * a) / b : null);
const day = (startMs: number, i: number): string => fmtInstant(startMs + i * DAY).slice(0, 10);

interface Run {
  input: SimulationInput;
  spec: VariantSpec;
  metrics: VariantMetrics;
  state: SimContractState;
  commitments: readonly CommitmentClause[];
  byId: ReadonlyMap<string, Deployment>;
  wallMs: number;
}

export function variantResult(run: Run): VariantResult {
  const { metrics: m, spec, input } = run;
  const commitments = run.commitments.map((c) => commitmentResult(run, c));
  const reservations = reservationResults(run);
  const onDemand = sumSpend([...m.deployments.values()]);
  const fees = reservations.reduce((s, r) => s + r.feesUsd, 0);
  const trueUp = commitments.filter((c) => c.endsInHorizon && c.trueUp).reduce((s, c) => s + c.shortfallUsd, 0);
  const projected = commitments.filter((c) => !c.endsInHorizon && c.trueUp).reduce((s, c) => s + c.shortfallUsd, 0);
  const real = m.days.reduce((s, d) => s + d.requests, 0);
  const served = m.days.reduce((s, d) => s + d.served, 0);
  return {
    name: spec.name,
    policy: spec.policy,
    contracts: spec.contracts ? { file: spec.contracts.file, version: spec.contracts.version } : null,
    requests: { real, served, failed: Object.fromEntries([...m.failed].sort()), attempts: m.attempts, splits: m.splits },
    availabilityPercent: pct(served, real),
    classes: [...m.classes].sort(([a], [b]) => a.localeCompare(b)).map(([id, c]) => ({ id, requests: c.requests, served: c.served, availabilityPercent: pct(c.served, c.requests), latencyMs: { p50: c.latency.quantile(0.5), p95: c.latency.quantile(0.95), p99: c.latency.quantile(0.99) } })),
    cost: { onDemandListUsd: onDemand.listUsd, onDemandEffectiveUsd: onDemand.effectiveUsd, reservationFeesUsd: fees, trueUpUsd: trueUp, projectedShortfallUsd: projected, totalUsd: onDemand.effectiveUsd + fees + trueUp, unpricedRequests: onDemand.unpriced },
    clouds: spendRows(m.clouds),
    deployments: spendRows(m.deployments),
    commitments,
    reservations,
    shares: shareResults(run),
    exceptions: [...m.exceptions].sort().map(([clause, requests]) => ({ clause, requests })),
    breaches: [...m.breaches].sort().map(([clause, requests]) => ({ clause, requests })),
    daily: m.days.map((d, i) => ({ day: day(input.startMs, i), requests: d.requests, served: d.served, availabilityPercent: pct(d.served, d.requests), effectiveUsd: d.effectiveUsd, byParty: Object.fromEntries([...d.byParty].sort()) })),
    perf: { simulatedRequests: m.simulatedRequests, wallMs: Math.round(run.wallMs) },
  };
}

function sumSpend(xs: SpendAgg[]): SpendAgg {
  return xs.reduce((a, x) => ({ requests: a.requests + x.requests, promptTokens: a.promptTokens + x.promptTokens, completionTokens: a.completionTokens + x.completionTokens, listUsd: a.listUsd + x.listUsd, effectiveUsd: a.effectiveUsd + x.effectiveUsd, unpriced: a.unpriced + x.unpriced }), { requests: 0, promptTokens: 0, completionTokens: 0, listUsd: 0, effectiveUsd: 0, unpriced: 0 });
}

function spendRows(map: ReadonlyMap<string, SpendAgg>): SpendResult[] {
  return [...map].sort(([a], [b]) => a.localeCompare(b)).map(([key, s]) => ({ key, requests: s.requests, promptTokens: s.promptTokens, completionTokens: s.completionTokens, listUsd: s.listUsd, effectiveUsd: s.effectiveUsd, unpricedRequests: s.unpriced }));
}

function commitmentResult(run: Run, c: CommitmentClause): CommitmentResult {
  const { input, metrics, state } = run;
  const end = input.endMs;
  const spend = state.commitmentSpendUsd(c.ref);
  const plan = plannedSpend(c, Math.min(end, c.termEndMs));
  const endsInHorizon = c.termEndMs <= end;
  // Cumulative spend at the end of day i; before day 0, what it started at.
  const at = (i: number): number => (i < 0 ? metrics.startSpend.get(c.ref) ?? 0 : metrics.days[i]?.commitmentSpend.get(c.ref) ?? 0);
  let atTermEnd = spend;
  if (!endsInHorizon) {
    // The pace of the last 90 days (or of the time in the term, if shorter), carried on.
    const last = metrics.days.length - 1;
    const inTerm = Math.max(1, Math.floor((end - Math.max(c.termStartMs, input.startMs)) / DAY));
    const n = Math.min(PACE_DAYS, inTerm, last + 1);
    const perDay = (at(last) - at(last - n)) / n;
    atTermEnd = spend + Math.max(0, perDay) * ((c.termEndMs - end) / DAY);
  }
  return {
    ref: c.ref,
    party: c.partyId,
    amountUsd: c.amountUsd,
    termStart: fmtInstant(c.termStartMs),
    termEnd: fmtEnd(c.termEndMs),
    spendUsd: spend,
    planUsd: plan,
    attainmentPercent: pct(spend, plan),
    endsInHorizon,
    atTermEndUsd: atTermEnd,
    shortfallUsd: Math.max(0, c.amountUsd - atTermEnd),
    trueUp: c.shortfall === 'true-up',
    daily: metrics.days.map((d, i) => ({ day: day(input.startMs, i), planUsd: plannedSpend(c, Math.min(input.startMs + (i + 1) * DAY, c.termEndMs)), spendUsd: d.commitmentSpend.get(c.ref) ?? 0 })),
  };
}

/** The intervals of [start, end) in which each reservation (by ref) is in force, with its clause. */
function inForce<T extends { ref: string }>(contracts: CompiledContracts, start: number, end: number, pick: (seg: CompiledContracts['segments'][number]) => Iterable<T>): Map<string, { clause: T; spans: [number, number][] }> {
  const out = new Map<string, { clause: T; spans: [number, number][] }>();
  for (const seg of contracts.segments) {
    const a = Math.max(seg.startMs, start);
    const b = Math.min(seg.endMs, end);
    if (a >= b) continue;
    for (const c of pick(seg)) {
      const e = out.get(c.ref) ?? { clause: c, spans: [] };
      e.clause = c;
      e.spans.push([a, b]);
      out.set(c.ref, e);
    }
  }
  return out;
}

function reservationResults(run: Run): ReservationResult[] {
  const { input, metrics: m, spec } = run;
  if (!spec.contracts) return [];
  const spans = inForce(spec.contracts, input.startMs, input.endMs, (seg) => seg.index.reservationsByDeployment.values());
  return [...spans.values()].map(({ clause: r, spans: s }) => {
    const capacityIn = (a: number, b: number): { tokens: number; busyMs: number } => {
      const ms = s.reduce((acc, [x, y]) => acc + overlapMs(x, y, a, b), 0);
      return { tokens: ((r.capacity.tokensPerMinute ?? 0) * ms) / 60_000, busyMs: (r.capacity.concurrency ?? 0) * ms };
    };
    const util = (tokens: number, busyMs: number, a: number, b: number): number | null => {
      const cap = capacityIn(a, b);
      return r.capacity.tokensPerMinute !== undefined ? pct(tokens, cap.tokens) : pct(busyMs, cap.busyMs);
    };
    const tokens = m.days.reduce((acc, d) => acc + (d.reservationTokens.get(r.ref) ?? 0), 0);
    const busy = m.days.reduce((acc, d) => acc + (d.reservationBusyMs.get(r.ref) ?? 0), 0);
    const dep = m.deployments.get(r.deployment);
    const requests = m.reservationRequests.get(r.ref) ?? 0;
    return {
      ref: r.ref,
      party: r.partyId,
      deployment: r.deployment,
      feesUsd: s.reduce((acc, [a, b]) => acc + feeOver(r, a, b), 0),
      requests,
      tokens,
      utilisationPercent: util(tokens, busy, input.startMs, input.endMs),
      listValueUsd: dep && dep.requests > 0 ? (dep.listUsd * requests) / dep.requests : 0,
      spilledRequests: m.spilled.get(r.ref) ?? 0,
      daily: m.days.map((d, i) => {
        const a = input.startMs + i * DAY;
        return { day: day(input.startMs, i), utilisationPercent: util(d.reservationTokens.get(r.ref) ?? 0, d.reservationBusyMs.get(r.ref) ?? 0, a, Math.min(a + DAY, input.endMs)) };
      }),
    };
  });
}

function shareResults(run: Run): ShareResult[] {
  const { input, spec, state } = run;
  const compiled = spec.contracts;
  if (!compiled) return [];
  const all = inForce<PreferredShareClause>(compiled, input.startMs, input.endMs, (seg) => new Set([...seg.index.sharesByClass.values(), ...seg.index.sharesByModel.values()].flat()));
  return [...all.values()].map(({ clause }) => {
    const periods: ShareResult['periods'] = [];
    for (let t = input.startMs; t < input.endMs; ) {
      const seg = segmentAt(compiled, t);
      const now = [...seg.index.sharesByClass.values(), ...seg.index.sharesByModel.values()].flat().find((s) => s.ref === clause.ref);
      const p = periodOf(now?.period ?? clause.period, t);
      if (now) {
        const n = state.shareCounts(now.scope, now.partyId, p);
        const percent = pct(n.toParty, n.total);
        periods.push({ key: p.key, minPercent: now.minPercent, percent, requests: n.total, met: percent === null ? null : percent >= now.minPercent, partial: p.startMs < input.startMs || p.endMs > input.endMs });
      }
      t = p.endMs;
    }
    return { ref: clause.ref, party: clause.partyId, scope: clause.scope, periods, periodsBelowFloor: periods.filter((p) => p.met === false).length };
  });
}
