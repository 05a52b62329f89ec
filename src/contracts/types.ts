// The compiled, frozen, option-free form of the contracts. Everything the policy engine
// needs at request time is precomputed here (segments of constant clause sets, indexes by
// model/class/tenant/deployment), so a decision is a few map lookups.

import type { ClauseTypeName } from './spec.js';
import type { PeriodKind } from './time.js';

export type OnUnavailable = 'fail-closed' | 'serve-elsewhere';

interface ClauseBase {
  type: ClauseTypeName;
  id: string;
  /** `<agreement>/<clause>`: unique across the set; decisions, counters and findings use it. */
  ref: string;
  agreementId: string;
  partyId: string;
  onUnavailable: OnUnavailable;
  /** `original`, or the amendment that supplied this body (`superseded by X` / `added by X`). */
  source: string;
  /** file:line:col of the body, for findings. */
  where: string;
  note?: string;
  /** The agreement's term, [start, end). */
  termStartMs: number;
  termEndMs: number;
}

export interface PlanPeriod {
  startMs: number;
  endMs: number;
  amountUsd: number;
}

export interface CommitmentClause extends ClauseBase {
  type: 'commitment';
  amountUsd: number;
  schedule: 'even' | 'periods';
  /** The plan as periods in time order; `even` is one period spanning the term. */
  plan: readonly PlanPeriod[];
  countsToward: { accounts: readonly string[]; deployments: readonly string[] };
  discountPercent: number;
  shortfall: 'true-up' | 'none';
  maxUsdPerHour: Readonly<Record<string, number>>;
}

export interface ReservationClause extends ClauseBase {
  type: 'reservation';
  deployment: string;
  usdPerPeriod: number;
  period: PeriodKind;
  capacity: { concurrency?: number; tokensPerMinute?: number };
}

export interface PreferredShareClause extends ClauseBase {
  type: 'preferred-share';
  classId: string | null;
  models: readonly string[];
  /** What share counters are keyed by: `class:<id>` or `models:<a,b>`. */
  scope: string;
  minPercent: number;
  period: 'month' | 'quarter';
}

export interface WindowClause extends ClauseBase {
  type: 'exclusivity' | 'early-access';
  models: readonly string[];
  classId: string | null;
  windowStartMs: number;
  windowEndMs: number;
}

export interface ResidencyClause extends ClauseBase {
  type: 'residency';
  tenants: readonly string[];
  classId: string | null;
  regions: readonly string[];
}

export type Clause = CommitmentClause | ReservationClause | PreferredShareClause | WindowClause | ResidencyClause;
/** Clauses that remove candidates (the others only rank). */
export type BlockingClause = WindowClause | ResidencyClause;

export interface Party {
  id: string;
  name: string;
  accounts: readonly string[];
}

export interface ClassMatcher {
  exact: ReadonlySet<string>;
  prefixes: readonly string[];
}

export interface TrafficClass {
  id: string;
  combine: 'any' | 'all';
  tenants?: ClassMatcher;
  keys?: ClassMatcher;
  tags?: ClassMatcher;
  models?: ClassMatcher;
  /** The literal model names listed, for the checker. */
  modelNames: readonly string[];
  /** No criteria: matches every request. */
  catchAll: boolean;
}

export interface Agreement {
  id: string;
  partyId: string;
  termStartMs: number;
  termEndMs: number;
  where: string;
  clauses: readonly Clause[];
}

export interface Amendment {
  id: string;
  agreementId: string;
  effectiveMs: number;
  where: string;
  waives: readonly string[];
  supersedes: readonly Clause[];
  adds: readonly Clause[];
  /** Clause ids named by waives/supersedes that the agreement does not have (checker finding). */
  unknownClauses: readonly { id: string; where: string }[];
  /** The agreement id does not exist (checker finding; the amendment is then inert). */
  unknownAgreement: boolean;
}

/** Precomputed lookups for one segment of time in which the clause set is constant. */
export interface SegmentIndex {
  windowsByModel: ReadonlyMap<string, readonly WindowClause[]>;
  windowsByClass: ReadonlyMap<string, readonly WindowClause[]>;
  residencyByTenant: ReadonlyMap<string, readonly ResidencyClause[]>;
  residencyByClass: ReadonlyMap<string, readonly ResidencyClause[]>;
  sharesByClass: ReadonlyMap<string, readonly PreferredShareClause[]>;
  sharesByModel: ReadonlyMap<string, readonly PreferredShareClause[]>;
  commitments: readonly CommitmentClause[];
  reservationsByDeployment: ReadonlyMap<string, ReservationClause>;
}

export interface Segment {
  startMs: number;
  endMs: number;
  /** Clauses in force (agreement term + amendments), whether or not a window is open. */
  clauses: readonly Clause[];
  /** Only what bites in this segment: windows open, clauses in force. */
  index: SegmentIndex;
}

export interface CompiledContracts {
  /** sha256 (hex) of the canonical form of the validated contracts: stored with every decision. */
  version: string;
  file: string;
  parties: readonly Party[];
  classes: readonly TrafficClass[];
  agreements: readonly Agreement[];
  amendments: readonly Amendment[];
  partyByAccount: ReadonlyMap<string, string>;
  /** Cover all time, in order: the first starts at -Infinity and the last ends at +Infinity. */
  segments: readonly Segment[];
}
