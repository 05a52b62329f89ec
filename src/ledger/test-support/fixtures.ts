// Builders for attempt records in tests: a complete, valid record with overrides, so each
// test states only what it is about.

import type { AttemptFinish, AttemptStart, TenantInput } from '../store.js';

export const T0 = Date.UTC(2025, 0, 15, 12, 0, 0);

export function start(over: Partial<AttemptStart> = {}): AttemptStart {
  return {
    requestId: 'req-1',
    attemptNo: 1,
    clientRequestId: null,
    tenantId: 'tenant-a',
    keyId: 'key-a',
    model: 'frontier',
    deploymentId: 'dep-east',
    account: 'acct-east',
    region: 'eastus',
    stream: true,
    startedAt: T0,
    decision: '{"pick":"dep-east"}',
    contractVersion: 'v7',
    estimatedPromptTokens: 120,
    ...over,
  };
}

export function finish(over: Partial<AttemptFinish> = {}): AttemptFinish {
  return {
    requestId: 'req-1',
    attemptNo: 1,
    status: 'ok',
    endedAt: T0 + 900,
    firstByteAt: T0 + 150,
    httpStatus: 200,
    failureKind: null,
    promptTokens: 100,
    completionTokens: 50,
    cachedPromptTokens: 20,
    cacheWriteTokens: null,
    usageSource: 'reported',
    listCostUsd: 0.0025,
    effectiveCostUsd: 0.002,
    ...over,
  };
}

export function tenant(over: Partial<TenantInput> = {}): TenantInput {
  return {
    name: 'Tenant A',
    allowedModels: null,
    trafficClass: null,
    tags: [],
    rpm: null,
    tpm: null,
    budgetUsd: null,
    budgetPeriod: null,
    ...over,
  };
}
