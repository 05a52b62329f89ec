// What a served attempt means for the contracts: the price it is billed at, the commitment
// it counts toward, the reservation that carried it, the share scopes it counts in. The
// ledger and the in-memory ContractState both use this, so counting and ranking agree.

import { partyOf } from '../contracts/rules.js';
import { countsToward, listCostUsd } from '../contracts/schedule.js';
import { periodOf } from '../contracts/time.js';
import { segmentAt } from '../contracts/timeline.js';
import type { CommitmentClause, CompiledContracts, SegmentIndex } from '../contracts/types.js';
import type { Deployment } from '../domain/deployment.js';
import { classify, type RequestFacts } from './contracts-classify.js';

export interface Attribution {
  classId: string | null;
  partyId: string | null;
  /** The reservation whose prepaid capacity carried the attempt (its tokens cost nothing extra). */
  reservationRef: string | null;
  /** Effective USD added to each commitment; one at most, the best discount, so spend is never double-counted. */
  commitments: { ref: string; usd: number }[];
  /** Preferred-share scopes the request counts in (`class:<id>`, `models:<a,b>`). */
  shareScopes: string[];
  /** Month and quarter keys of the instant served, for share counters. */
  periodKeys: string[];
  /** Undefined when the deployment has no prices: unknown, never zero. */
  listCostUsd: number | undefined;
  effectiveCostUsd: number | undefined;
}

export function attribute(compiled: CompiledContracts, facts: RequestFacts, dep: Deployment, t: number, usage: { prompt: number; completion: number }): Attribution {
  const seg = segmentAt(compiled, t);
  const classId = classify(compiled, facts);
  const reservation = seg.index.reservationsByDeployment.get(dep.id);
  const list = listCostUsd(dep, usage);
  let best: CommitmentClause | undefined;
  for (const c of seg.index.commitments) if (countsToward(c, dep) && (!best || c.discountPercent > best.discountPercent)) best = c;
  const effective = reservation ? 0 : list === undefined ? undefined : best ? list * (1 - best.discountPercent / 100) : list;
  const shareScopes = shareScopesOf(seg.index, classId, facts.model);
  return {
    classId,
    partyId: partyOf(compiled, dep),
    reservationRef: reservation?.ref ?? null,
    commitments: best && effective !== undefined && !reservation ? [{ ref: best.ref, usd: effective }] : [],
    shareScopes,
    periodKeys: [periodOf('month', t).key, periodOf('quarter', t).key],
    listCostUsd: list,
    effectiveCostUsd: effective,
  };
}

/**
 * The preferred-share scopes a served request of this class and model counts in, under one
 * segment's terms: the live counters and their seeding from the ledger both ask here.
 */
export function shareScopesOf(index: SegmentIndex, classId: string | null, model: string): string[] {
  // Each scope once, in the order first met (a few clauses: a list beats a Set here).
  const scopes: string[] = [];
  if (classId !== null) addScopes(scopes, index.sharesByClass.get(classId));
  addScopes(scopes, index.sharesByModel.get(model));
  return scopes;
}

function addScopes(into: string[], clauses: readonly { scope: string }[] | undefined): void {
  if (clauses) for (const c of clauses) if (!into.includes(c.scope)) into.push(c.scope);
}
