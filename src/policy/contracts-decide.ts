// The contract policy for one attempt: hard filters (exclusivity, early access, residency),
// then ranking (contracts-rank.ts). Pure and cheap — it runs at every hop (first try,
// retries, fallbacks, continuations) with the time and the live state passed in.

import { partyOf, violation } from '../contracts/rules.js';
import { blockingClauses, segmentAt } from '../contracts/timeline.js';
import type { BlockingClause, CommitmentClause, CompiledContracts } from '../contracts/types.js';
import type { Deployment } from '../domain/deployment.js';
import { classify, type RequestFacts } from './contracts-classify.js';
import { costTerms, DEFAULT_WEIGHTS, latencyTerm, pacingFraction, shareTerm, type Health, type Parts, type RankingWeights } from './contracts-rank.js';
import type { ContractState } from './contracts-state.js';

export interface RankedCandidate {
  deploymentId: string;
  score: number;
  parts: Parts;
  /** e.g. `reserved:<ref>`, `reserved-full:<ref>`, `commit:<ref>`, `price-unknown`. */
  flags: string[];
  /** Clause refs this candidate breaks, when kept under serve-elsewhere (record them if it serves). */
  exceptions?: string[];
}

export interface ClauseNote {
  clauseId: string;
  reason: string;
}

/** JSON-serialisable: the ledger stores it with every attempt. */
export interface Decision {
  version: string;
  at: number;
  model: string;
  class: string | null;
  candidates: RankedCandidate[];
  /** `clauseId` null: not a contract reason (e.g. the deployment is unavailable). */
  filtered: { deploymentId: string; clauseId: string | null; reason: string }[];
  /** Clauses broken because they allow serve-elsewhere and nothing compliant was available. */
  exceptions: ClauseNote[];
  /** Set when fail-closed clauses left nothing: answer 403/503 with these reasons. */
  blockedBy?: ClauseNote[];
  ranked: string[];
}

// `+ 0` turns -0 into 0, so JSON and equality see the same number.
const round = (x: number): number => Math.round(x * 1e9) / 1e9 + 0;

interface Screened {
  filtered: Decision['filtered'];
  compliant: Entry[];
  /** Available but breaking blocking clauses. */
  offside: (Entry & { broken: BlockingClause[]; reasons: string[] })[];
}

interface Entry {
  dep: Deployment;
  h: Health;
  exceptions?: string[];
}

/** Sorts candidates into compliant-and-available, available-but-offside, and filtered (with why). */
function screen(compiled: CompiledContracts, blocking: readonly BlockingClause[], candidates: readonly Deployment[], health: (id: string) => Health): Screened {
  const out: Screened = { filtered: [], compliant: [], offside: [] };
  for (const dep of candidates) {
    const party = partyOf(compiled, dep);
    const broken: BlockingClause[] = [];
    const reasons: string[] = [];
    for (const c of blocking) {
      const why = violation(c, dep, party);
      if (why !== undefined) {
        broken.push(c);
        reasons.push(why);
      }
    }
    const h = health(dep.id);
    if (broken.length) {
      broken.forEach((c, i) => out.filtered.push({ deploymentId: dep.id, clauseId: c.ref, reason: reasons[i]! }));
      if (h.available) out.offside.push({ dep, h, broken, reasons });
    } else if (!h.available) out.filtered.push({ deploymentId: dep.id, clauseId: null, reason: 'unavailable' });
    else out.compliant.push({ dep, h });
  }
  return out;
}

/**
 * Nothing compliant is available: a candidate may serve only if every clause it breaks allows
 * serving elsewhere, and each such clause becomes a recorded exception. If none may, the
 * fail-closed clauses are what blocked the request.
 */
function fallBack(s: Screened): { pool: Entry[]; exceptions: ClauseNote[]; blockedBy?: ClauseNote[] } {
  const note = (c: BlockingClause, reason: string, into: ClauseNote[]): void => {
    if (!into.some((n) => n.clauseId === c.ref)) into.push({ clauseId: c.ref, reason });
  };
  const allowed = s.offside.filter((o) => o.broken.every((c) => c.onUnavailable === 'serve-elsewhere'));
  if (!allowed.length) {
    const blockedBy: ClauseNote[] = [];
    for (const o of s.offside) o.broken.forEach((c, i) => { if (c.onUnavailable === 'fail-closed') note(c, `no compliant deployment available and ${c.ref} fails closed: ${o.reasons[i]!}`, blockedBy); });
    return { pool: [], exceptions: [], blockedBy };
  }
  const exceptions: ClauseNote[] = [];
  for (const o of allowed) o.broken.forEach((c, i) => note(c, `no compliant deployment available; serving elsewhere as ${c.ref} allows: ${o.reasons[i]!}`, exceptions));
  const kept = new Set(allowed.map((o) => o.dep.id));
  s.filtered = s.filtered.filter((f) => !kept.has(f.deploymentId));
  return { pool: allowed.map((o) => ({ dep: o.dep, h: o.h, exceptions: o.broken.map((c) => c.ref) })), exceptions };
}

export function decide(
  compiled: CompiledContracts,
  facts: RequestFacts,
  candidates: readonly Deployment[],
  state: ContractState,
  now: number,
  health: (id: string) => Health,
  weights: RankingWeights = DEFAULT_WEIGHTS,
): Decision {
  const seg = segmentAt(compiled, now);
  const cls = classify(compiled, facts);
  const screened = screen(compiled, blockingClauses(seg, facts.model, cls, facts.tenantId), candidates, health);
  const { pool, exceptions, blockedBy } = !screened.compliant.length && screened.offside.length ? fallBack(screened) : { pool: screened.compliant, exceptions: [], blockedBy: undefined };
  const ranked = rank(compiled, facts, cls, pool, state, now, weights, seg);
  return {
    version: compiled.version,
    at: now,
    model: facts.model,
    class: cls,
    candidates: ranked,
    filtered: screened.filtered,
    exceptions,
    ...(blockedBy ? { blockedBy } : {}),
    ranked: ranked.map((c) => c.deploymentId),
  };
}

function rank(compiled: CompiledContracts, facts: RequestFacts, cls: string | null, pool: readonly Entry[], state: ContractState, now: number, w: RankingWeights, seg: ReturnType<typeof segmentAt>): RankedCandidate[] {
  if (!pool.length) return [];
  const tokens = facts.expectedTokens;
  let ref = 0;
  for (const { dep } of pool) if (dep.prices) ref = Math.max(ref, (tokens.prompt * dep.prices.usdPerMTokIn + tokens.completion * dep.prices.usdPerMTokOut) / 1e6);
  if (ref <= 0) ref = 1e-6; // no prices known: the controller terms still need a scale
  const paceCache = new Map<string, number>();
  const pace = (c: CommitmentClause): number => {
    let f = paceCache.get(c.ref);
    if (f === undefined) paceCache.set(c.ref, (f = pacingFraction(c, state.commitmentSpendUsd(c.ref), now, w)));
    return f;
  };
  const shares = [...(cls !== null ? seg.index.sharesByClass.get(cls) ?? [] : []), ...(seg.index.sharesByModel.get(facts.model) ?? [])];
  const scored = pool.map(({ dep, h, exceptions }, order) => {
    const ct = costTerms(dep, seg.index.reservationsByDeployment.get(dep.id), seg.index.commitments, pace, { state, now, tokens, ref });
    const parts: Parts = { cost: round(ct.cost), pacing: round(ct.pacing), share: round(shareTerm(partyOf(compiled, dep), shares, state, now, ref, w)), latency: round(latencyTerm(h, ct.reservedFree, ref, w)) };
    const c: RankedCandidate = { deploymentId: dep.id, score: round(parts.cost + parts.pacing + parts.share + parts.latency), parts, flags: ct.flags, ...(exceptions ? { exceptions } : {}) };
    return { c, order, reservedFree: ct.reservedFree };
  });
  // Ties go to prepaid capacity first (using it is what it was bought for), then config order.
  scored.sort((a, b) => a.c.score - b.c.score || Number(b.reservedFree) - Number(a.reservedFree) || a.order - b.order);
  return scored.map((s) => s.c);
}

/** One header-safe line: `v=<hash12>; class=…; pick=…; …`. */
export function summary(d: Decision): string {
  const parts = [`v=${d.version.slice(0, 12)}`, `class=${d.class ?? '-'}`];
  const top = d.candidates[0];
  parts.push(`pick=${top ? `${top.deploymentId}${top.flags.length ? `(${top.flags.map((f) => f.split(':')[0]).join(',')})` : ''}` : '-'}`);
  if (d.ranked.length > 1) parts.push(`then=${d.ranked.slice(1, 4).join(',')}`);
  const byClause = new Map<string, string[]>();
  for (const f of d.filtered) byClause.set(f.clauseId ?? 'unavailable', [...(byClause.get(f.clauseId ?? 'unavailable') ?? []), f.deploymentId]);
  if (byClause.size) parts.push(`filtered=${[...byClause].map(([c, ids]) => `${c}:${ids.join(',')}`).join(' ')}`);
  if (d.exceptions.length) parts.push(`exceptions=${d.exceptions.map((e) => e.clauseId).join(',')}`);
  if (d.blockedBy) parts.push(`blocked=${d.blockedBy.map((e) => e.clauseId).join(',') || 'unavailable'}`);
  return parts.join('; ').replace(/[^\x20-\x7e]/g, '?');
}
