// Budget reservations (G17). The check and the reservation are one atomic statement, so
// 1,000 concurrent requests cannot all see the same headroom (the LiteLLM #34732 race).

import { sql } from 'kysely';
import type { BudgetUsage } from '../store.js';
import { fromNano, toNano, type Db } from './db.js';
import { checkAmount } from './validate.js';

export async function reserveBudget(db: Db, scope: string, periodStart: number, amountUsd: number, capUsd: number): Promise<boolean> {
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

export async function settleBudget(db: Db, scope: string, periodStart: number, reservedUsd: number, actualUsd: number): Promise<void> {
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
