// Budget reservations (G17). The check and the reservation are one atomic statement, so
// 1,000 concurrent requests cannot all see the same headroom (the LiteLLM #34732 race).

import { sql } from 'kysely';
import type { BudgetHold, BudgetUsage } from '../store.js';
import { fromNano, inWriteTx, toNano, type Db, type SqlFlavor } from './db.js';
import { checkAmount } from './validate.js';

/**
 * Reserves, and with `hold` also records the reservation under the request in the same
 * transaction, so a crash between reserving and settling leaves a hold recovery can release.
 */
export async function reserveBudget(db: Db, flavor: SqlFlavor, scope: string, periodStart: number, amountUsd: number, capUsd: number, hold?: BudgetHold): Promise<boolean> {
  if (!hold) return reserveOnce(db, scope, periodStart, amountUsd, capUsd);
  return inWriteTx(db, flavor, async (tx) => {
    const ok = await reserveOnce(tx, scope, periodStart, amountUsd, capUsd);
    if (ok) {
      await tx.insertInto('budget_holds')
        .values({ request_id: hold.requestId, scope, period_start: periodStart, amount_nano_usd: toNano(amountUsd), created_at: hold.at })
        .execute();
    }
    return ok;
  });
}

async function reserveOnce(db: Db, scope: string, periodStart: number, amountUsd: number, capUsd: number): Promise<boolean> {
  checkAmount('amountUsd', amountUsd);
  checkAmount('capUsd', capUsd);
  const r = toNano(amountUsd);
  const cap = toNano(capUsd);
  // A new period row starts at spent = reserved = 0, so its condition is just r <= cap.
  if (r > cap) return false;
  // Insert the period row with the reservation, or add to an existing row only while
  // spent + reserved + r <= cap. Postgres locks the conflicting row and re-checks the WHERE
  // on its latest version; SQLite runs the statement under its single writer lock. Either
  // way nothing can slip between the check and the update. RETURNING yields a row only when
  // the reservation was taken.
  const taken = await db
    .insertInto('budgets')
    .values({ scope, period_start: periodStart, spent_nano_usd: 0, reserved_nano_usd: r })
    .onConflict((oc) =>
      oc
        .columns(['scope', 'period_start'])
        .doUpdateSet({ reserved_nano_usd: sql`budgets.reserved_nano_usd + excluded.reserved_nano_usd` })
        .where(sql<boolean>`budgets.spent_nano_usd + budgets.reserved_nano_usd + excluded.reserved_nano_usd <= ${cap}`),
    )
    .returning('scope')
    .executeTakeFirst();
  return taken !== undefined;
}

/**
 * Settles; with `requestId`, only while the request's hold is still there (removed in the same
 * transaction), so a reservation recovery already released is never released twice.
 */
export async function settleBudget(db: Db, flavor: SqlFlavor, scope: string, periodStart: number, reservedUsd: number, actualUsd: number, requestId?: string): Promise<void> {
  if (requestId === undefined) return settleOnce(db, scope, periodStart, reservedUsd, actualUsd);
  await inWriteTx(db, flavor, async (tx) => {
    const held = await tx.deleteFrom('budget_holds').where('request_id', '=', requestId).where('scope', '=', scope).returning('request_id').executeTakeFirst();
    if (held) await settleOnce(tx, scope, periodStart, reservedUsd, actualUsd);
  });
}

/**
 * Releases the holds taken before `createdBefore` (their process died: no live request is that
 * old). Each is settled with what the ledger says its request cost — its attempt rows, settled
 * from estimates by orphan recovery, which runs first — or, when that is unknown, the amount
 * reserved (the worst case: never less than it may have cost). Returns how many were released.
 */
export async function releaseStaleHolds(db: Db, flavor: SqlFlavor, createdBefore: number): Promise<number> {
  let released = 0;
  for (;;) {
    const stale = await db.selectFrom('budget_holds').selectAll().where('created_at', '<', createdBefore).orderBy('created_at').limit(500).execute();
    for (const h of stale) {
      const cost = await db.selectFrom('attempts').select((eb) => eb.fn.sum('effective_cost_nano_usd').as('nano')).where('request_id', '=', h.request_id).executeTakeFirst();
      const amount = Number(h.amount_nano_usd);
      const actual = cost?.nano == null ? amount : Number(cost.nano);
      await inWriteTx(db, flavor, async (tx) => {
        const held = await tx.deleteFrom('budget_holds').where('request_id', '=', h.request_id).where('scope', '=', h.scope).returning('request_id').executeTakeFirst();
        if (!held) return; // settled meanwhile by its own request
        await settleOnce(tx, h.scope, Number(h.period_start), fromNano(amount), fromNano(actual));
        released++;
      });
    }
    if (stale.length < 500) return released;
  }
}

async function settleOnce(db: Db, scope: string, periodStart: number, reservedUsd: number, actualUsd: number): Promise<void> {
  checkAmount('reservedUsd', reservedUsd);
  checkAmount('actualUsd', actualUsd);
  const released = toNano(reservedUsd);
  const actual = toNano(actualUsd);
  // Never let `reserved` go below zero: a negative reservation would open headroom past the
  // cap. The upsert covers settling a period whose row was never reserved (cost with no cap).
  await db
    .insertInto('budgets')
    .values({ scope, period_start: periodStart, spent_nano_usd: actual, reserved_nano_usd: 0 })
    .onConflict((oc) =>
      oc.columns(['scope', 'period_start']).doUpdateSet({
        spent_nano_usd: sql`budgets.spent_nano_usd + excluded.spent_nano_usd`,
        reserved_nano_usd: sql`case when budgets.reserved_nano_usd >= ${released} then budgets.reserved_nano_usd - ${released} else 0 end`,
      }),
    )
    .execute();
}

export async function budgetUsage(db: Db, scope: string, periodStart: number): Promise<BudgetUsage> {
  const row = await db
    .selectFrom('budgets')
    .select(['spent_nano_usd', 'reserved_nano_usd'])
    .where('scope', '=', scope)
    .where('period_start', '=', periodStart)
    .executeTakeFirst();
  // No row means nothing was reserved or spent in the period: a true zero, not an unknown.
  if (!row) return { spentUsd: 0, reservedUsd: 0 };
  return { spentUsd: fromNano(Number(row.spent_nano_usd)), reservedUsd: fromNano(Number(row.reserved_nano_usd)) };
}
