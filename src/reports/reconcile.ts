// The invoice reconciliation view: per account and UTC day, what the attempts cost (from the
// ledger) plus the reserved capacity's fixed fees (from the contracts), so the total is what
// the cloud bills. Reserved traffic costs nothing per request; its price is the fee, paid
// whether used or not. A spend log without it misses the invoice by exactly that.

import { feeOver } from '../contracts/schedule.js';
import type { CompiledContracts } from '../contracts/types.js';
import type { LedgerStore } from '../ledger/store.js';

const DAY = 86_400_000;

export interface ReconcileRow {
  day: string;
  account: string;
  attempts: number;
  /** Contract-effective cost of the attempts (reserved ones at 0). */
  usageUsd: number;
  listUsd: number;
  /** Reserved capacity's fixed fees for the day, prorated over each billing period. */
  reservationFeesUsd: number;
  invoiceUsd: number;
  /** Attempts whose cost is estimated, or unknown (no price): the day's figure is not exact. */
  estimatedAttempts: number;
  unpricedAttempts: number;
}

/**
 * Rows for [from, to), by day then account. `accountOf` names the account a deployment bills
 * to; a reservation on a deployment the config does not know is billed to `deployment:<id>`,
 * shown rather than dropped.
 */
export async function reconcileReport(store: LedgerStore, compiled: CompiledContracts | undefined, accountOf: (deploymentId: string) => string | undefined, from: number, to: number): Promise<ReconcileRow[]> {
  const rows = new Map<string, ReconcileRow>();
  const row = (day: string, account: string): ReconcileRow => {
    const k = `${day}|${account}`;
    let r = rows.get(k);
    if (!r) rows.set(k, (r = { day, account, attempts: 0, usageUsd: 0, listUsd: 0, reservationFeesUsd: 0, invoiceUsd: 0, estimatedAttempts: 0, unpricedAttempts: 0 }));
    return r;
  };
  for (const s of await store.spendBy('day_account', from, to)) {
    const r = row(s.day!, s.key ?? '(no account)');
    r.attempts += s.attempts;
    r.usageUsd += s.effectiveCostUsd;
    r.listUsd += s.listCostUsd;
    r.estimatedAttempts += s.estimatedAttempts;
    r.unpricedAttempts += s.unpricedAttempts;
  }
  // Segment by segment, each at the terms in force then: an amendment that changes a fee
  // changes it from its effective date, not back to the window's start.
  for (const seg of compiled?.segments ?? []) {
    const a = Math.max(seg.startMs, from);
    const b = Math.min(seg.endMs, to);
    if (a >= b) continue;
    for (const clause of seg.index.reservationsByDeployment.values()) {
      const account = accountOf(clause.deployment) ?? `deployment:${clause.deployment}`;
      for (let d = Math.floor(a / DAY) * DAY; d < b; d += DAY) {
        const fee = feeOver(clause, Math.max(a, d), Math.min(b, d + DAY));
        if (fee > 0) row(new Date(d).toISOString().slice(0, 10), account).reservationFeesUsd += fee;
      }
    }
  }
  const out = [...rows.values()];
  for (const r of out) r.invoiceUsd = r.usageUsd + r.reservationFeesUsd;
  return out.sort((x, y) => (x.day === y.day ? x.account.localeCompare(y.account) : x.day.localeCompare(y.day)));
}
