// Admission: before any upstream work, check what the key and its tenant may do — allowed
// models, RPM/TPM, and USD budgets. Budgets are reserved atomically for the request's worst
// case and settled with the real cost, so concurrent requests can overshoot a cap by at most
// what is in flight (G17).

import { GatewayError } from '../domain/errors.js';
import type { Principal } from '../http/principal.js';
import { limitScope, type LimitScope, type RateLimiter } from '../limits/rate-limiter.js';

/** The ledger's budget operations (a port). */
export interface BudgetBook {
  /** With `hold`, the reservation is also recorded under the request, for recovery after a crash. */
  reserveBudget(scope: string, periodStart: number, amountUsd: number, capUsd: number, hold?: { requestId: string; at: number }): Promise<boolean>;
  /** With `requestId`, settles only while that request's hold is there (never twice). */
  settleBudget(scope: string, periodStart: number, reservedUsd: number, actualUsd: number, requestId?: string): Promise<void>;
}

export interface Admitted {
  /** Books the real cost and tokens; undefined cost books the reservation (the worst case). Synchronous when nothing needs a store round trip. */
  release(actualUsd: number | undefined, actualTokens: number | undefined): void | Promise<void>;
}

/** Nothing was reserved or counted: nothing to settle. */
const UNLIMITED: Admitted = Object.freeze({ release: () => undefined });

/** Counted on the in-process limiter, no budget reserved: settled without a promise. */
class CountedHere implements Admitted {
  constructor(
    private readonly limiter: RateLimiter,
    private readonly scopes: readonly LimitScope[],
    private readonly windowStart: number,
    private readonly estTokens: number,
  ) {}

  release(_actualUsd: number | undefined, actualTokens: number | undefined): void {
    if (actualTokens !== undefined) this.limiter.settleTokensNow(this.scopes, this.windowStart, this.estTokens, actualTokens);
  }
}

/** What a principal is limited by, worked out once per principal (the authenticator reuses them). */
interface Plan {
  /** Scopes with an RPM or TPM limit. */
  scopes: LimitScope[];
  /** Scopes with a USD budget. */
  budgets: { scope: string; l: Principal['key'] & object }[];
}

interface Reservation {
  scope: string;
  periodStart: number;
  amountUsd: number;
  /** The request the reservation is held for (undefined: no hold, e.g. nothing reserved). */
  heldBy: string | undefined;
}

export function periodStart(period: 'day' | 'month', now: number): number {
  const d = new Date(now);
  return period === 'day' ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) : Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

export class Admission {
  private readonly plans = new WeakMap<Principal, Plan>();

  constructor(
    private readonly limiter: RateLimiter,
    private readonly budgets: BudgetBook | undefined,
    private readonly now: () => number,
  ) {}

  /**
   * @param worstCaseUsd the most this request can cost, or undefined when prices are unknown.
   * @param requestId Treaty's id for the request: budget reservations are held under it.
   */
  admit(p: Principal, model: string, estTokens: number, worstCaseUsd: number | undefined, requestId?: string): Admitted | Promise<Admitted> {
    allowed('key', p.key, model);
    allowed('tenant', p.tenant, model);
    const plan = this.planOf(p);
    const now = this.now();
    // No budget to reserve and counters in this process (the usual case): no promise at all.
    if (!plan.budgets.length || !this.budgets) {
      if (!plan.scopes.length) return UNLIMITED;
      const adm = this.limiter.admitNow(plan.scopes, estTokens, now);
      if (adm) {
        if (!adm.ok) throw rateLimited(adm);
        return new CountedHere(this.limiter, plan.scopes, adm.windowStart, estTokens);
      }
    }
    return this.admitAsync(plan, estTokens, worstCaseUsd, now, requestId);
  }

  private async admitAsync(plan: Plan, estTokens: number, worstCaseUsd: number | undefined, now: number, requestId: string | undefined): Promise<Admitted> {
    const active = plan.scopes;
    const adm = active.length ? await this.limiter.admit(active, estTokens, now) : ({ ok: true, windowStart: 0 } as const);
    if (!adm.ok) throw rateLimited(adm);
    const reserved: Reservation[] = [];
    try {
      await this.reserve(plan, worstCaseUsd, now, reserved, requestId);
    } catch (err) {
      if (active.length) await this.limiter.settleTokens(active, adm.windowStart, estTokens, 0);
      throw err;
    }
    return {
      release: async (actualUsd, actualTokens) => {
        for (const r of reserved) await this.budgets!.settleBudget(r.scope, r.periodStart, r.amountUsd, actualUsd ?? r.amountUsd, r.heldBy);
        if (active.length && actualTokens !== undefined) await this.limiter.settleTokens(active, adm.windowStart, estTokens, actualTokens);
      },
    };
  }

  /** Whether admitting `p` reserves a budget: only then does it need the request's worst-case cost. */
  reservesBudget(p: Principal): boolean {
    return this.budgets !== undefined && this.planOf(p).budgets.length > 0;
  }

  private planOf(p: Principal): Plan {
    let plan = this.plans.get(p);
    if (plan) return plan;
    const scopes: LimitScope[] = [];
    if (p.key && p.keyId) scopes.push(limitScope(`key:${p.keyId}`, p.key.rpm, p.key.tpm));
    if (p.tenant && p.tenantId) scopes.push(limitScope(`tenant:${p.tenantId}`, p.tenant.rpm, p.tenant.tpm));
    const budgets: Plan['budgets'] = [];
    for (const [scope, l] of [[`key:${p.keyId}`, p.key], [`tenant:${p.tenantId}`, p.tenant]] as const) {
      if (l && l.budgetUsd != null && l.budgetPeriod != null) budgets.push({ scope, l });
    }
    plan = { scopes: scopes.filter((s) => s.rpm !== null || s.tpm !== null), budgets };
    this.plans.set(p, plan);
    return plan;
  }

  private async reserve(plan: Plan, worstCaseUsd: number | undefined, now: number, out: Reservation[], requestId: string | undefined): Promise<void> {
    const budgeted = plan.budgets;
    if (!budgeted.length || !this.budgets) return;
    // Unknown prices: nothing to reserve against; the cap cannot be enforced for this request.
    const amount = worstCaseUsd ?? 0;
    // Nothing reserved, nothing to hold (and no extra write).
    const heldBy = amount > 0 ? requestId : undefined;
    for (const b of budgeted) {
      const start = periodStart(b.l!.budgetPeriod!, now);
      const ok = await this.budgets.reserveBudget(b.scope, start, amount, b.l!.budgetUsd!, heldBy === undefined ? undefined : { requestId: heldBy, at: now });
      if (!ok) {
        for (const r of out) await this.budgets.settleBudget(r.scope, r.periodStart, r.amountUsd, 0, r.heldBy);
        throw new GatewayError('TREATY_BUDGET_EXCEEDED', `The ${b.scope.startsWith('key:') ? 'key' : 'tenant'}'s budget of $${b.l!.budgetUsd} per ${b.l!.budgetPeriod} is spent (or reserved by requests in flight).`);
      }
      out.push({ scope: b.scope, periodStart: start, amountUsd: amount, heldBy });
    }
  }
}

function rateLimited(adm: { limit: 'rpm' | 'tpm'; scope: string; retryAfterMs: number }): GatewayError {
  return new GatewayError('TREATY_RATE_LIMITED', `Rate limit reached for ${adm.scope.replace(':', ' ')}: ${adm.limit.toUpperCase()} limit. Retry after ${Math.ceil(adm.retryAfterMs / 1000)}s.`, { retryAfterMs: adm.retryAfterMs });
}

function allowed(who: 'key' | 'tenant', limits: Principal['key'], model: string): void {
  if (limits?.allowedModels && !limits.allowedModels.includes(model)) {
    throw new GatewayError('TREATY_FORBIDDEN', `This ${who} may not use model "${model}". Allowed: ${limits.allowedModels.join(', ') || '(none)'}.`, { param: 'model' });
  }
}
