import { describe, expect, it } from 'vitest';
import { RetryBudget } from './retry-budget.js';

describe('retry budget (G4)', () => {
  it('always allows the floor of 3 concurrent retries', () => {
    const b = new RetryBudget({ budgetPercent: 20, minRetryConcurrency: 3 });
    b.requestStarted();
    expect([b.tryAcquire(), b.tryAcquire(), b.tryAcquire(), b.tryAcquire()]).toEqual([true, true, true, false]);
  });

  it('allows 20 % of active requests to be retrying, no more', () => {
    const b = new RetryBudget({ budgetPercent: 20, minRetryConcurrency: 3 });
    for (let i = 0; i < 500; i++) b.requestStarted();
    let granted = 0;
    for (let i = 0; i < 500; i++) if (b.tryAcquire()) granted++;
    expect(granted).toBe(100);
    expect(b.stats().denied).toBe(400);
  });

  it('frees slots as retries end', () => {
    const b = new RetryBudget({ budgetPercent: 20, minRetryConcurrency: 1 });
    b.requestStarted();
    expect(b.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(false);
    b.release();
    expect(b.tryAcquire()).toBe(true);
  });
});
