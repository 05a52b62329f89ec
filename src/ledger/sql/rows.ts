// Translation between stored rows and the port's records. Kept in one place so a column is
// mapped once, and so NULL stays null in both directions (never `?? 0`).

import type { AccessSettings, ApiKeyRecord, AttemptFinish, AttemptRow, AttemptStart, AttemptStatus, BudgetPeriod, Tenant, UsageSource } from '../store.js';
import { fromNano, fromNanoOrNull, toNanoOrNull, type AccessColumns, type ApiKeysTable, type AttemptsTable, type TenantsTable } from './db.js';

/** Postgres hands BIGINT back through our int8 parser; this guards a missed parser. */
function int(v: number | string): number {
  return typeof v === 'number' ? v : Number(v);
}
function intOrNull(v: number | string | null): number | null {
  return v === null ? null : int(v);
}

export function startToRow(s: AttemptStart): AttemptsTable {
  return {
    request_id: s.requestId,
    attempt_no: s.attemptNo,
    client_request_id: s.clientRequestId ?? null,
    tenant_id: s.tenantId,
    key_id: s.keyId,
    model: s.model,
    deployment_id: s.deploymentId,
    account: s.account,
    region: s.region,
    stream: s.stream ? 1 : 0,
    started_at: s.startedAt,
    decision: s.decision,
    contract_version: s.contractVersion,
    estimated_prompt_tokens: s.estimatedPromptTokens,
    status: 'started',
    ended_at: null,
    first_byte_at: null,
    http_status: null,
    failure_kind: null,
    prompt_tokens: null,
    completion_tokens: null,
    cached_prompt_tokens: null,
    cache_write_tokens: null,
    usage_source: null,
    list_cost_nano_usd: null,
    effective_cost_nano_usd: null,
    settled_from_estimate: 0,
  };
}

/** The columns a finish writes; the WHERE (key and `status = 'started'`) is the caller's. */
export type FinishColumns = Pick<
  AttemptsTable,
  'status' | 'ended_at' | 'first_byte_at' | 'http_status' | 'failure_kind' | 'prompt_tokens' | 'completion_tokens'
  | 'cached_prompt_tokens' | 'cache_write_tokens' | 'usage_source' | 'list_cost_nano_usd' | 'effective_cost_nano_usd'
>;

export function finishToColumns(f: AttemptFinish): FinishColumns {
  return {
    status: f.status,
    ended_at: f.endedAt,
    first_byte_at: f.firstByteAt,
    http_status: f.httpStatus,
    failure_kind: f.failureKind,
    prompt_tokens: f.promptTokens,
    completion_tokens: f.completionTokens,
    cached_prompt_tokens: f.cachedPromptTokens,
    cache_write_tokens: f.cacheWriteTokens,
    usage_source: f.usageSource,
    list_cost_nano_usd: toNanoOrNull(f.listCostUsd),
    effective_cost_nano_usd: toNanoOrNull(f.effectiveCostUsd),
  };
}

export function rowToAttempt(r: AttemptsTable): AttemptRow {
  return {
    requestId: r.request_id,
    attemptNo: int(r.attempt_no),
    clientRequestId: r.client_request_id,
    tenantId: r.tenant_id,
    keyId: r.key_id,
    model: r.model,
    deploymentId: r.deployment_id,
    account: r.account,
    region: r.region,
    stream: int(r.stream) === 1,
    startedAt: int(r.started_at),
    decision: r.decision,
    contractVersion: r.contract_version,
    estimatedPromptTokens: int(r.estimated_prompt_tokens),
    status: r.status as AttemptStatus,
    endedAt: intOrNull(r.ended_at),
    firstByteAt: intOrNull(r.first_byte_at),
    httpStatus: intOrNull(r.http_status),
    failureKind: r.failure_kind,
    promptTokens: intOrNull(r.prompt_tokens),
    completionTokens: intOrNull(r.completion_tokens),
    cachedPromptTokens: intOrNull(r.cached_prompt_tokens),
    cacheWriteTokens: intOrNull(r.cache_write_tokens),
    usageSource: r.usage_source as UsageSource | null,
    listCostUsd: fromNanoOrNull(intOrNull(r.list_cost_nano_usd)),
    effectiveCostUsd: fromNanoOrNull(intOrNull(r.effective_cost_nano_usd)),
    settledFromEstimate: int(r.settled_from_estimate) === 1,
  };
}

export function accessToColumns(a: Partial<AccessSettings>): Partial<AccessColumns> {
  const c: Partial<AccessColumns> = {};
  if (a.allowedModels !== undefined) c.allowed_models = a.allowedModels === null ? null : JSON.stringify(a.allowedModels);
  if (a.trafficClass !== undefined) c.traffic_class = a.trafficClass;
  if (a.tags !== undefined) c.tags = JSON.stringify(a.tags);
  if (a.rpm !== undefined) c.rpm = a.rpm;
  if (a.tpm !== undefined) c.tpm = a.tpm;
  if (a.budgetUsd !== undefined) c.budget_nano_usd = toNanoOrNull(a.budgetUsd);
  if (a.budgetPeriod !== undefined) c.budget_period = a.budgetPeriod;
  return c;
}

function columnsToAccess(c: AccessColumns): AccessSettings {
  return {
    allowedModels: c.allowed_models === null ? null : (JSON.parse(c.allowed_models) as string[]),
    trafficClass: c.traffic_class,
    tags: JSON.parse(c.tags) as string[],
    rpm: intOrNull(c.rpm),
    tpm: intOrNull(c.tpm),
    budgetUsd: c.budget_nano_usd === null ? null : fromNano(int(c.budget_nano_usd)),
    budgetPeriod: c.budget_period as BudgetPeriod | null,
  };
}

export function rowToTenant(r: TenantsTable): Tenant {
  return { id: r.id, name: r.name, createdAt: int(r.created_at), ...columnsToAccess(r) };
}

/** The hash column is never read back into a record (see ApiKeyRecord). */
export function rowToKey(r: Omit<ApiKeysTable, 'hash'>): ApiKeyRecord {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    name: r.name,
    prefix: r.prefix,
    createdAt: int(r.created_at),
    revokedAt: intOrNull(r.revoked_at),
    ...columnsToAccess(r),
  };
}
