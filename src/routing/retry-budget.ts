// A replica-wide retry budget (Envoy's retry_budget): retries in flight may not exceed a
// share of active requests, with a floor, so a dead cloud cannot multiply load. Pure
// bookkeeping; the caller reports when requests and retries start and end.

export interface RetryBudgetConfig {
  /** Retries in flight may be at most this percent of active requests… */
  budgetPercent: number;
  /** …but at least this many are always allowed. */
  minRetryConcurrency: number;
}

export const DEFAULT_RETRY_BUDGET: RetryBudgetConfig = { budgetPercent: 20, minRetryConcurrency: 3 };

export class RetryBudget {
  private active = 0;
  private retrying = 0;
  private denied = 0;

  constructor(private readonly cfg: RetryBudgetConfig) {}

  requestStarted(): void {
    this.active++;
  }

  requestEnded(): void {
    this.active = Math.max(0, this.active - 1);
  }

  /** Claims a retry slot if the budget allows; the caller must release it when the retry ends. */
  tryAcquire(): boolean {
    const allowed = Math.max(this.cfg.minRetryConcurrency, Math.floor((this.active * this.cfg.budgetPercent) / 100));
    if (this.retrying >= allowed) {
      this.denied++;
      return false;
    }
    this.retrying++;
    return true;
  }

  release(): void {
    this.retrying = Math.max(0, this.retrying - 1);
  }

  stats(): { active: number; retrying: number; denied: number } {
    return { active: this.active, retrying: this.retrying, denied: this.denied };
  }
}
