// Input checks at the port boundary. A NaN or negative token count would otherwise be stored
// and summed into an invoice; failing loudly here is cheaper than reconciling it later.

import type { AccessSettings, AttemptFinish, AttemptStart } from '../store.js';

function count(name: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${name} must be a non-negative integer, got ${v}`);
}
function countOrNull(name: string, v: number | null): void {
  if (v !== null) count(name, v);
}
function timeOrNull(name: string, v: number | null): void {
  if (v !== null && !Number.isSafeInteger(v)) throw new RangeError(`${name} must be epoch milliseconds, got ${v}`);
}
function moneyOrNull(name: string, v: number | null): void {
  if (v !== null && (!Number.isFinite(v) || v < 0)) throw new RangeError(`${name} must be a non-negative USD amount, got ${v}`);
}

export function checkStart(s: AttemptStart): void {
  if (!Number.isSafeInteger(s.attemptNo) || s.attemptNo < 1) throw new RangeError(`attemptNo must be an integer >= 1, got ${s.attemptNo}`);
  timeOrNull('startedAt', s.startedAt);
  count('estimatedPromptTokens', s.estimatedPromptTokens);
}

const FINAL = new Set(['ok', 'failed', 'cancelled', 'interrupted']);

export function checkFinish(f: AttemptFinish): void {
  if (!FINAL.has(f.status)) throw new RangeError(`finishAttempt needs a final status, got ${String(f.status)}`);
  timeOrNull('endedAt', f.endedAt);
  timeOrNull('firstByteAt', f.firstByteAt);
  countOrNull('promptTokens', f.promptTokens);
  countOrNull('completionTokens', f.completionTokens);
  countOrNull('cachedPromptTokens', f.cachedPromptTokens);
  countOrNull('cacheWriteTokens', f.cacheWriteTokens);
  moneyOrNull('listCostUsd', f.listCostUsd);
  moneyOrNull('effectiveCostUsd', f.effectiveCostUsd);
}

export function checkAccess(a: Partial<AccessSettings>): void {
  if (a.rpm !== undefined && a.rpm !== null) count('rpm', a.rpm);
  if (a.tpm !== undefined && a.tpm !== null) count('tpm', a.tpm);
  if (a.budgetUsd !== undefined) moneyOrNull('budgetUsd', a.budgetUsd);
}

/** A budget without a period (or a period without a budget) cannot be enforced. */
export function checkBudgetPair(a: Pick<AccessSettings, 'budgetUsd' | 'budgetPeriod'>): void {
  if ((a.budgetUsd === null) !== (a.budgetPeriod === null)) {
    throw new RangeError('budgetUsd and budgetPeriod must be set together (or both null)');
  }
}

export function checkAmount(name: string, v: number): void {
  if (!Number.isFinite(v) || v < 0) throw new RangeError(`${name} must be a non-negative USD amount, got ${v}`);
}
