// The gateway's RetryBudget in real units. One simulated request stands for N real ones that
// arrive over a minute, not at once, so it must not claim N slots for an instant: it holds
// N × (hold time) / 60 s slots for 60 s — the same average occupancy (Little's law), rounded
// at random so the expectation is exact. The admission rule itself is the real class's.

import type { RetryBudget } from '../routing/retry-budget.js';

const WINDOW_MS = 60_000;

export interface Scheduler {
  schedule(s: { at: number; run(): void }): void;
}

export class FluidRetryBudget {
  constructor(private readonly budget: RetryBudget, private readonly clock: Scheduler, private readonly random: () => number) {}

  private units(n: number, holdMs: number): number {
    const x = (n * holdMs) / WINDOW_MS;
    const k = Math.floor(x);
    return k + (this.random() < x - k ? 1 : 0);
  }

  /** `n` real requests start at t and stay active about `holdMs` (until their first token). */
  requestsStarted(t: number, n: number, holdMs: number): void {
    const k = this.units(n, holdMs);
    for (let i = 0; i < k; i++) this.budget.requestStarted();
    this.clock.schedule({ at: t + WINDOW_MS, run: () => { for (let i = 0; i < k; i++) this.budget.requestEnded(); } });
  }

  /** How many of `n` real retries, each holding a slot about `holdMs`, the budget admits at t. */
  admitRetries(t: number, n: number, holdMs: number): number {
    const k = this.units(n, holdMs);
    let got = 0;
    while (got < k && this.budget.tryAcquire()) got++;
    this.clock.schedule({ at: t + WINDOW_MS, run: () => { for (let i = 0; i < got; i++) this.budget.release(); } });
    return k === 0 || got === k ? n : Math.floor((n * got) / k);
  }
}
