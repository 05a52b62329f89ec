// The ledger's storage port: everything the gateway (proxy, admission, admin, reports) needs
// from durable storage, in provider-neutral words. Interfaces only. main.ts picks the
// implementation (SQLite embedded, Postgres for scale-out) through `openLedger`.
//
// Units: money in USD as `number`, timestamps in epoch milliseconds, tokens as integers.
// `null` always means "unknown" and is stored as NULL: an unknown is never coerced to 0
// (design note 8), so reports can flag it instead of under-billing.

/** How one upstream attempt ended, as the attempt loop saw it. */
export type FinalAttemptStatus = 'ok' | 'failed' | 'cancelled' | 'interrupted';
/**
 * `started`: written before the upstream call (write-ahead intent).
 * `orphaned`: still `started` after a crash; closed by `recoverOrphans` from an estimate.
 */
export type AttemptStatus = 'started' | FinalAttemptStatus | 'orphaned';
export type UsageSource = 'reported' | 'estimated';

/** What is known before the upstream call; written durably before it is made. */
export interface AttemptStart {
  /** Treaty's id for the request: unique per request, whatever the client sent. */
  requestId: string;
  /** 1-based; `(requestId, attemptNo)` is unique: one row per upstream attempt. */
  attemptNo: number;
  /**
   * The client's own `x-request-id`, for correlation only: clients reuse theirs (a retry, a
   * batch), and two tenants may pick the same one, so it is never a key.
   */
  clientRequestId?: string | null;
  tenantId: string | null;
  keyId: string | null;
  /** The public model name the client asked for. */
  model: string;
  deploymentId: string;
  /** The cloud account the deployment bills to (invoice reconciliation, commitments). */
  account: string;
  region: string;
  stream: boolean;
  startedAt: number;
  /** The routing decision as JSON (candidates, filters, scores, pick). */
  decision: string | null;
  contractVersion: string | null;
  /** Tokenizer estimate of the prompt, so a crashed attempt can be settled later. */
  estimatedPromptTokens: number;
}

/** What is known once the attempt ended. Every `null` is "unknown", never zero. */
export interface AttemptFinish {
  requestId: string;
  attemptNo: number;
  status: FinalAttemptStatus;
  endedAt: number;
  firstByteAt: number | null;
  httpStatus: number | null;
  failureKind: string | null;
  promptTokens: number | null;
  completionTokens: number | null;
  cachedPromptTokens: number | null;
  cacheWriteTokens: number | null;
  usageSource: UsageSource | null;
  listCostUsd: number | null;
  effectiveCostUsd: number | null;
}

type FinishFields = Omit<AttemptFinish, 'requestId' | 'attemptNo' | 'status' | 'endedAt'>;

/** One stored attempt row. */
export interface AttemptRow extends AttemptStart, FinishFields {
  clientRequestId: string | null;
  status: AttemptStatus;
  /** Null while started, and for orphans (when it really ended is unknown). */
  endedAt: number | null;
  /** Usage and cost came from an estimate during crash recovery: reconcile with the provider. */
  settledFromEstimate: boolean;
}

/** What `recoverOrphans` asks the caller to estimate for each orphan. */
export type OrphanSettlement = Pick<AttemptFinish, 'promptTokens' | 'completionTokens' | 'listCostUsd' | 'effectiveCostUsd'>;

/** Filters combine with AND; the time range is on `startedAt`, `[from, to)`. */
export interface AttemptFilter {
  requestId?: string;
  /** The client's `x-request-id` (several requests may share one). */
  clientRequestId?: string;
  tenantId?: string;
  model?: string;
  deploymentId?: string;
  status?: AttemptStatus;
  from?: number;
  to?: number;
  /** Rows whose decision record contains this text, exactly (case and all), e.g. a flag. */
  decisionContains?: string;
}

export interface AttemptPage extends AttemptFilter {
  /** Default 100, at most 10,000 (larger throws: page instead). */
  limit?: number;
  offset?: number;
}

/** The request a budget reservation is held for, and when it was taken. */
export interface BudgetHold {
  requestId: string;
  at: number;
}

export type SpendDimension = 'account' | 'deployment' | 'model' | 'tenant' | 'day_account';

/**
 * One group of a spend report. Sums cover the rows whose figure is known; the counters say
 * how many rows were estimated or still unpriced, so a report can flag them.
 */
/** Served attempts of one model, deployment, account and traffic class (null: none recorded). */
export interface ServedCount {
  model: string;
  deploymentId: string;
  account: string;
  classId: string | null;
  attempts: number;
}

export interface SpendRow {
  /** The account, deployment id, model or tenant id (null: requests without a tenant). */
  key: string | null;
  /** UTC day `YYYY-MM-DD`, only for `day_account` (rows are unique by day and key). */
  day?: string;
  attempts: number;
  promptTokens: number;
  completionTokens: number;
  listCostUsd: number;
  effectiveCostUsd: number;
  /** Rows settled from an estimate (`usage_source = 'estimated'`). */
  estimatedAttempts: number;
  /** Rows whose effective cost is unknown (in flight, or no price): not in the sums. */
  unpricedAttempts: number;
}

export type BudgetPeriod = 'day' | 'month';

/** Limits and routing attributes shared by tenants and their keys. */
export interface AccessSettings {
  /** Null: every model. */
  allowedModels: string[] | null;
  trafficClass: string | null;
  tags: string[];
  rpm: number | null;
  tpm: number | null;
  /** Both set or both null. */
  budgetUsd: number | null;
  budgetPeriod: BudgetPeriod | null;
}

export interface TenantInput extends AccessSettings {
  /** Generated (UUID) when absent. */
  id?: string;
  name: string;
  /** Defaults to now. */
  createdAt?: number;
}

export interface Tenant extends AccessSettings {
  id: string;
  name: string;
  createdAt: number;
}

export type TenantPatch = Partial<Omit<Tenant, 'id' | 'createdAt'>>;

export interface KeyInput extends AccessSettings {
  id: string;
  tenantId: string;
  name: string;
  /** sha256 hex of the secret; the secret itself is never stored. */
  hash: string;
  /** The first characters of the secret, for display. */
  prefix: string;
  createdAt: number;
}

/** A virtual key as read back. The hash is deliberately absent so no route can echo it. */
export interface ApiKeyRecord extends AccessSettings {
  id: string;
  tenantId: string;
  name: string;
  prefix: string;
  createdAt: number;
  revokedAt: number | null;
}

export interface BudgetUsage {
  spentUsd: number;
  reservedUsd: number;
}

export type IdempotencyBegin =
  | { state: 'new' }
  | { state: 'in-flight' }
  | { state: 'mismatch' }
  | { state: 'done'; status: number; body: string };

/** Counters of the group-commit writer, for metrics and tests. */
export interface WriteStats {
  /** Transactions committed by the attempt writer. */
  transactions: number;
  /** Attempt writes (begins + finishes) committed. */
  rows: number;
  /** Attempt writes whose commit failed (their callers got the error; a journaled one waits in the journal for the next start). */
  failedWrites: number;
  /** Attempt writes queued for the next commit. */
  waiting: number;
  /** A SQLite ledger checkpointing in a worker: what its checkpoints did. */
  checkpoint?: CheckpointStats;
}

/** WAL checkpoints of a SQLite ledger (sqlite/checkpointer.ts), since start. */
export interface CheckpointStats {
  /** Frames (4 KB pages) in the WAL at the last checkpoint's end: how far it has to go to start over. */
  walFrames: number;
  /** Checkpoints run, held or not. */
  checkpoints: number;
  /** Checkpoints run with the serving connection's writes held (the WAL past its threshold), and for how long in all (ms). */
  quiesced: number;
  quiescedMs: number;
  /** The longest one hold (ms). */
  longestQuiesceMs: number;
  /** Holds cut off at their limit (the checkpoint went on beside the writes). */
  quiesceTimeouts: number;
}

export interface LedgerStore {
  /** Applies pending schema migrations; safe to run twice and from several processes. */
  migrate(): Promise<void>;

  // --- attempts (reliability 1.6) ---
  /**
   * Write-ahead intent. Resolves only once the row is durable (committed, or in the
   * write-ahead journal), so the upstream call may start; returns undefined when it is durable
   * already (a journal written at once), so the caller need not wait a turn. Errors come as a
   * rejection, never thrown. A replayed begin for an existing (requestId, attemptNo) is a
   * no-op, not an error.
   */
  beginAttempt(s: AttemptStart): Promise<void> | undefined;
  /** Finalises a `started` row; false (row unchanged) when it is missing or already final. */
  finishAttempt(f: AttemptFinish): Promise<boolean>;
  /**
   * Marks rows still `started` before `startedBefore` as `orphaned`, settled from `settle`'s
   * estimate, `usageSource = 'estimated'`, `settledFromEstimate = true`. Returns how many.
   */
  recoverOrphans(startedBefore: number, settle: (row: AttemptRow) => OrphanSettlement): Promise<number>;
  /** Ordered by startedAt, requestId, attemptNo. */
  listAttempts(filter: AttemptPage): Promise<AttemptRow[]>;
  countAttempts(filter: AttemptFilter): Promise<number>;

  // --- reports ---
  /** Spend grouped by one dimension over attempts started in `[from, to)`. */
  spendBy(dim: SpendDimension, from: number, to: number, tenantId?: string): Promise<SpendRow[]>;
  /** Sum of known effective cost for these accounts in `[from, to)` (commitment pacing). */
  spendToDate(accounts: readonly string[], from: number, to: number): Promise<number>;
  /**
   * Attempts served ('ok') in `[from, to)`, counted per model, deployment, account and the
   * traffic class their routing decision recorded: what re-derives the preferred-share counters
   * of the current period at start-up.
   */
  servedCounts(from: number, to: number): Promise<ServedCount[]>;

  // --- tenants and virtual keys ---
  createTenant(t: TenantInput): Promise<Tenant>;
  getTenant(id: string): Promise<Tenant | undefined>;
  listTenants(): Promise<Tenant[]>;
  /** Undefined when the tenant does not exist. */
  updateTenant(id: string, patch: TenantPatch): Promise<Tenant | undefined>;
  /** Rejects when the tenant does not exist or the id or hash is taken. */
  createKey(k: KeyInput): Promise<ApiKeyRecord>;
  /** Only active (unrevoked) keys are found: a revoked key stops working at once. */
  findKeyByHash(hash: string): Promise<ApiKeyRecord | undefined>;
  /** All keys of the tenant, revoked ones included (with revokedAt). */
  listKeys(tenantId: string): Promise<ApiKeyRecord[]>;
  /** Scoped: a key of another tenant is undefined, exactly like a missing one. */
  getKey(tenantId: string, keyId: string): Promise<ApiKeyRecord | undefined>;
  /** False when the key is not the tenant's. Revoking twice keeps the first time. */
  revokeKey(tenantId: string, keyId: string, at: number): Promise<boolean>;

  // --- budgets (G17): atomic reservations ---
  /**
   * Reserves `amountUsd` in `scope` ('tenant:<id>' | 'key:<id>') for the period starting at
   * `periodStart` iff spent + reserved + amount <= cap, in one atomic statement.
   */
  reserveBudget(scope: string, periodStart: number, amountUsd: number, capUsd: number, hold?: BudgetHold): Promise<boolean>;
  /**
   * Releases a reservation and books the actual cost: reserved -= reserved, spent += actual.
   * With `requestId` (a reservation made with a hold) only while the hold is still there.
   */
  settleBudget(scope: string, periodStart: number, reservedUsd: number, actualUsd: number, requestId?: string): Promise<void>;
  /**
   * Releases reservations held since before `createdBefore` by requests whose process died,
   * booking what the ledger says each request cost (the reservation when unknown). Run after
   * `recoverOrphans`, with the same age. Returns how many were released.
   */
  releaseStaleHolds(createdBefore: number): Promise<number>;
  budgetUsage(scope: string, periodStart: number): Promise<BudgetUsage>;

  // --- Idempotency-Key (G19) ---
  /** Atomically claims the key, or reports its state (a different body is a mismatch). */
  idempotencyBegin(tenantId: string, key: string, bodyHash: string, now: number): Promise<IdempotencyBegin>;
  /** Stores the response to replay; false when the key was not in flight. */
  idempotencyComplete(tenantId: string, key: string, status: number, body: string): Promise<boolean>;
  /** Releases an in-flight key so the client may retry (completed keys are kept). */
  idempotencyAbandon(tenantId: string, key: string): Promise<void>;
  /** Forgets completed keys claimed before `claimedBefore` (the retention window); returns how many. */
  pruneIdempotency(claimedBefore: number): Promise<number>;

  writeStats(): WriteStats;
  /** Flushes queued attempt writes, then closes connections. */
  close(): Promise<void>;
}
