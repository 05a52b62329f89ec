// The contract policy for one attempt: hard filters (exclusivity, early access, residency),
// then ranking (contracts-rank.ts). Pure and cheap — it runs at every hop (first try,
// retries, fallbacks, continuations) with the time and the live state passed in.

import { partyOf, violation } from '../contracts/rules.js';
import { blockingClauses, segmentAt } from '../contracts/timeline.js';
import type { BlockingClause, CommitmentClause, CompiledContracts, PreferredShareClause } from '../contracts/types.js';
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
    const party = blocking.length ? partyOf(compiled, dep) : null;
    // Made only when a clause is broken: most candidates break none.
    let broken: BlockingClause[] | undefined;
    let reasons: string[] | undefined;
    for (const c of blocking) {
      const why = violation(c, dep, party);
      if (why !== undefined) {
        (broken ??= []).push(c);
        (reasons ??= []).push(why);
      }
    }
    const h = health(dep.id);
    if (broken) {
      for (let i = 0; i < broken.length; i++) out.filtered.push({ deploymentId: dep.id, clauseId: broken[i]!.ref, reason: reasons![i]! });
      if (h.available) out.offside.push({ dep, h, broken, reasons: reasons! });
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
  const ids = ranked.map(idOf);
  // Two literals rather than a spread: the key order (the ledger's JSON) stays as it was.
  if (blockedBy) return { version: compiled.version, at: now, model: facts.model, class: cls, candidates: ranked, filtered: screened.filtered, exceptions, blockedBy, ranked: ids };
  return { version: compiled.version, at: now, model: facts.model, class: cls, candidates: ranked, filtered: screened.filtered, exceptions, ranked: ids };
}

const idOf = (c: RankedCandidate): string => c.deploymentId;
const NO_SHARES: readonly PreferredShareClause[] = Object.freeze([]);

interface Scored {
  c: RankedCandidate;
  order: number;
  reservedFree: boolean;
}

// Ties go to prepaid capacity first (using it is what it was bought for), then config order.
const byScore = (a: Scored, b: Scored): number => a.c.score - b.c.score || Number(b.reservedFree) - Number(a.reservedFree) || a.order - b.order;
const candidateOf = (s: Scored): RankedCandidate => s.c;

/** Stable insertion sort by byScore: a pool has a handful of members, and Array#sort allocates a work array per call. */
function sortSmall(xs: Scored[]): void {
  for (let i = 1; i < xs.length; i++) {
    const x = xs[i]!;
    let j = i - 1;
    while (j >= 0 && byScore(xs[j]!, x) > 0) {
      xs[j + 1] = xs[j]!;
      j--;
    }
    xs[j + 1] = x;
  }
}

function rank(compiled: CompiledContracts, facts: RequestFacts, cls: string | null, pool: readonly Entry[], state: ContractState, now: number, w: RankingWeights, seg: ReturnType<typeof segmentAt>): RankedCandidate[] {
  if (!pool.length) return [];
  const tokens = facts.expectedTokens;
  let ref = 0;
  for (const { dep } of pool) if (dep.prices) ref = Math.max(ref, (tokens.prompt * dep.prices.usdPerMTokIn + tokens.completion * dep.prices.usdPerMTokOut) / 1e6);
  if (ref <= 0) ref = 1e-6; // no prices known: the controller terms still need a scale
  // Each commitment's pacing worked out once per decision: most decisions meet one or none, so
  // the first is held in two variables and a Map is made only for a second.
  let firstRef: string | undefined;
  let firstPace = 0;
  let morePaces: Map<string, number> | undefined;
  const pace = (c: CommitmentClause): number => {
    if (c.ref === firstRef) return firstPace;
    if (firstRef === undefined) {
      firstRef = c.ref;
      return (firstPace = pacingFraction(c, state.commitmentSpendUsd(c.ref), now, w));
    }
    let f = (morePaces ??= new Map()).get(c.ref);
    if (f === undefined) morePaces.set(c.ref, (f = pacingFraction(c, state.commitmentSpendUsd(c.ref), now, w)));
    return f;
  };
  const byClass = cls !== null ? seg.index.sharesByClass.get(cls) : undefined;
  const byModel = seg.index.sharesByModel.get(facts.model);
  const shares = !byModel?.length ? byClass ?? NO_SHARES : !byClass?.length ? byModel : [...byClass, ...byModel];
  const costCtx = { state, now, tokens, ref };
  const scored: Scored[] = [];
  for (let order = 0; order < pool.length; order++) {
    const { dep, h, exceptions } = pool[order]!;
    const ct = costTerms(dep, seg.index.reservationsByDeployment.get(dep.id), seg.index.commitments, pace, costCtx);
    const parts: Parts = { cost: round(ct.cost), pacing: round(ct.pacing), share: round(shareTerm(partyOf(compiled, dep), shares, state, now, ref, w)), latency: round(latencyTerm(h, ct.reservedFree, ref, w)) };
    const c: RankedCandidate = { deploymentId: dep.id, score: round(parts.cost + parts.pacing + parts.share + parts.latency), parts, flags: ct.flags };
    if (exceptions) c.exceptions = exceptions;
    scored.push({ c, order, reservedFree: ct.reservedFree });
  }
  sortSmall(scored);
  return scored.map(candidateOf);
}

let versionFor = '';
let versionTag = '';

/** One header-safe line: `v=<hash12>; class=…; pick=…; …`. Built as one string: it is made for every answer. */
export function summary(d: Decision): string {
  if (d.version !== versionFor) {
    versionFor = d.version;
    versionTag = `v=${d.version.slice(0, 12)}`;
  }
  let out = `${versionTag}; class=${d.class ?? '-'}; pick=`;
  const top = d.candidates[0];
  if (!top) out += '-';
  else {
    out += top.deploymentId;
    if (top.flags.length) {
      // Each flag's kind: what precedes its first ':'.
      out += '(';
      for (let i = 0; i < top.flags.length; i++) {
        const f = top.flags[i]!;
        const colon = f.indexOf(':');
        out += (i ? ',' : '') + (colon === -1 ? f : f.slice(0, colon));
      }
      out += ')';
    }
  }
  if (d.ranked.length > 1) out += `; then=${d.ranked.slice(1, 4).join(',')}`;
  if (d.filtered.length) {
    const byClause = new Map<string, string[]>();
    for (const f of d.filtered) byClause.set(f.clauseId ?? 'unavailable', [...(byClause.get(f.clauseId ?? 'unavailable') ?? []), f.deploymentId]);
    out += `; filtered=${[...byClause].map(([c, ids]) => `${c}:${ids.join(',')}`).join(' ')}`;
  }
  if (d.exceptions.length) out += `; exceptions=${d.exceptions.map((e) => e.clauseId).join(',')}`;
  if (d.blockedBy) out += `; blocked=${d.blockedBy.map((e) => e.clauseId).join(',') || 'unavailable'}`;
  return NOT_HEADER_SAFE.test(out) ? out.replace(NOT_HEADER_SAFE_ALL, '?') : out;
}

const NOT_HEADER_SAFE = /[^\x20-\x7e]/;
const NOT_HEADER_SAFE_ALL = /[^\x20-\x7e]/g;
