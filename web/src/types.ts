// The admin API's answers, as docs/admin-api.md gives them. Figures the API may not know are
// `number | null` (and may be absent from older builds), never defaulted to 0 here.

export type Num = number | null | undefined;

export interface Deployment {
  id: string;
  provider: string;
  upstreamModel?: string;
  region?: string | null;
  account?: string | null;
  accelerator?: string | null;
  pools?: string[];
  state: 'available' | 'ejected' | 'cooling' | 'probing';
  until: Num;
  reason: string | null;
  timesEjected?: number;
  consecutiveFailures?: number;
  outstanding: Num;
  attemptsPerSec: Num;
  errorRate: Num;
  p50Ms: Num;
  p99Ms: Num;
  reservation?: { clauseId: string; utilisation: Num } | null;
}
export interface Estate { now: number; deployments: Deployment[] }

export interface MinutePoint { minute: number; counts: Record<string, number>; failovers: number }
export interface Traffic { now: number; minutes: MinutePoint[] }

export interface Term { start: number; end: number }
export interface Clause { id: string; type: string; inForce: boolean; waivedBy: string | null; supersededBy: string | null; addedBy?: string | null; summary: string; body?: Record<string, unknown> }
export interface Agreement { id: string; party: string; term: Term; clauses: Clause[] }
export interface Amendment { id: string; agreement: string; effective: number; waives: string[]; supersedes: string[]; adds?: string[] }
export interface Contracts {
  version: string;
  loadedAt: number;
  parties: { id: string; name: string; accounts: string[] }[];
  agreements: Agreement[];
  amendments: Amendment[];
  findings: { severity: 'error' | 'warning'; code: string; message: string }[];
}

export interface Commitment {
  clauseId: string; agreementId: string; party: string; amountUsd: number; term: Term;
  toDateUsd: Num; planToDateUsd: Num; forecastAtEndUsd: Num; shortfallUsd: Num;
  points: { t: number; planUsd: number; actualUsd: number }[];
}
export interface Share { clauseId: string; party: string; class: string; minPercent: number; periods: { start: number; end: number; percent: Num; requests: Num }[] }
export interface Reservation { clauseId: string; deploymentId: string; usdPerPeriod: Num; utilisation: Num; spillovers: Num }
export interface ContractException { at: number; requestId: string; clauseId: string; reason: string; deploymentId: string | null }

export interface AttemptRow {
  requestId: string; attemptNo: number; tenantId: string | null; keyId: string | null; model: string;
  deploymentId: string; account: string | null; region: string | null; stream: boolean; status: string;
  startedAt: number; firstByteAt: Num; endedAt: Num; httpStatus: Num; failureKind: string | null;
  promptTokens: Num; completionTokens: Num; cachedPromptTokens: Num; usageSource: string | null;
  listCostUsd: Num; effectiveCostUsd: Num; contractVersion: string | null;
}
export interface Decision {
  class?: string | null;
  candidates: { deploymentId: string; score: Num; parts?: Record<string, Num>; flags?: string[] }[];
  filtered: { deploymentId: string; clauseId: string | null; reason: string }[];
  exceptions?: unknown[];
  ranked?: string[];
  version?: string | null;
}
export interface RequestDetail { requestId: string; attempts: (AttemptRow & { decision?: Decision | null })[] }

export interface Usage { spentUsd: Num; reservedUsd: Num }
export interface Limits { allowedModels: string[] | null; rpm: Num; tpm: Num; budgetUsd: Num; budgetPeriod: string | null }
export interface Tenant extends Limits { id: string; name: string; trafficClass: string | null; tags: string[]; usage?: Usage }
export interface ApiKey extends Limits { id: string; name: string; prefix: string; createdAt: number; revokedAt: number | null; usage?: Usage }
