// The simulator's input and output. Both are plain data (no functions, no class instances):
// the input can be handed to a worker thread, the output written as JSON.

import type { ResilienceConfig } from '../config/compile.js';
import type { CompiledContracts } from '../contracts/types.js';
import type { Deployment, ModelPool } from '../domain/deployment.js';
import type { RankingWeights } from '../policy/contracts-rank.js';
import type { PolicyName } from './policies.js';
import type { SimRequest } from './request.js';
import type { EstateSpec, SimEvent, TrafficProfile } from './traffic-file.js';

export interface VariantSpec {
  /** Column title, e.g. `contracts`, `cheapest`, `contracts@contracts-no-amendment`. */
  name: string;
  policy: PolicyName;
  /** The contracts this variant books (and, for the contract policy, routes) under. */
  contracts: CompiledContracts | undefined;
}

export interface SimulationInput {
  deployments: readonly Deployment[];
  models: ReadonlyMap<string, ModelPool>;
  resilience: ResilienceConfig;
  maxAttempts: number;
  requestTimeoutMs: number;
  estate: EstateSpec;
  events: readonly SimEvent[];
  /** Generated traffic, or the ledger's requests (sorted by time) for a replay. */
  traffic: { profile: TrafficProfile } | { replay: readonly SimRequest[]; label: string };
  startMs: number;
  endMs: number;
  stepMs: number;
  seed: number;
  variants: readonly VariantSpec[];
  /** Commitment ref → effective USD spent before the start. */
  initialCommitmentSpend: Readonly<Record<string, number>>;
  weights?: RankingWeights;
}

export interface Latency {
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export interface ClassResult {
  /** `-` for requests of no class. */
  id: string;
  requests: number;
  served: number;
  availabilityPercent: number | null;
  latencyMs: Latency;
}

export interface SpendResult {
  key: string;
  requests: number;
  promptTokens: number;
  completionTokens: number;
  listUsd: number;
  effectiveUsd: number;
  /** Requests served on a deployment without prices: their cost is unknown, not 0. */
  unpricedRequests: number;
}

export interface CommitmentResult {
  ref: string;
  party: string;
  amountUsd: number;
  termStart: string;
  termEnd: string;
  /** Effective USD counted toward it by the end of the horizon (initial spend included). */
  spendUsd: number;
  planUsd: number;
  /** Spend as a percentage of the plan at the end of the horizon. */
  attainmentPercent: number | null;
  endsInHorizon: boolean;
  /** Spend at term end: actual when the term ends inside the horizon, else projected at the last 90 days' pace. */
  atTermEndUsd: number;
  /** What falls short at term end (billed when shortfall is true-up). */
  shortfallUsd: number;
  trueUp: boolean;
  daily: { day: string; planUsd: number; spendUsd: number }[];
}

export interface ReservationResult {
  ref: string;
  party: string;
  deployment: string;
  feesUsd: number;
  requests: number;
  tokens: number;
  /** Tokens served over tokens it could have served while in force (concurrency-based when it has no token limit). */
  utilisationPercent: number | null;
  /** What the same tokens would have cost at the deployment's list price. */
  listValueUsd: number;
  /** Requests the contract policy sent elsewhere because it was full. */
  spilledRequests: number;
  daily: { day: string; utilisationPercent: number | null }[];
}

export interface ShareResult {
  ref: string;
  party: string;
  scope: string;
  periods: { key: string; minPercent: number; percent: number | null; requests: number; met: boolean | null; partial: boolean }[];
  periodsBelowFloor: number;
}

export interface DayResult {
  day: string;
  requests: number;
  served: number;
  availabilityPercent: number | null;
  effectiveUsd: number;
  byParty: Record<string, number>;
}

export interface VariantResult {
  name: string;
  policy: PolicyName;
  contracts: { file: string; version: string } | null;
  requests: { real: number; served: number; failed: Record<string, number>; attempts: number; splits: number };
  availabilityPercent: number | null;
  classes: ClassResult[];
  cost: { onDemandListUsd: number; onDemandEffectiveUsd: number; reservationFeesUsd: number; trueUpUsd: number; projectedShortfallUsd: number; totalUsd: number; unpricedRequests: number };
  clouds: SpendResult[];
  deployments: SpendResult[];
  commitments: CommitmentResult[];
  reservations: ReservationResult[];
  shares: ShareResult[];
  /** Clauses broken with the contracts' leave (serve-elsewhere, nothing compliant available). */
  exceptions: { clause: string; requests: number }[];
  /** Clauses broken without it: only a contract-blind policy should have any. */
  breaches: { clause: string; requests: number }[];
  daily: DayResult[];
  /** Wall time of this variant's run (variants may run side by side on threads; CPU is counted for the whole run). */
  perf: { simulatedRequests: number; wallMs: number };
}

export interface SimulationResult {
  start: string;
  end: string;
  days: number;
  stepMs: number;
  seed: number;
  weight: number;
  traffic: string;
  assumptions: string[];
  variants: VariantResult[];
  perf: { wallMs: number; cpuMs: number; simulatedRequests: number; requestsPerCpuSecond: number };
}
