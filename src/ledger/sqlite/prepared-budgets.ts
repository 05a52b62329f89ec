// Budget reservations and settlements on SQLite, group-committed: the ops of an event-loop turn
// run in ONE transaction through prepared statements, each op still its own atomic check and
// update, applied in order, so the cap holds exactly as with a transaction per op.
//
// Why: a budgeted tenant's request reserved and settled through Kysely in two transactions of its
// own. Each commit wrote the budgets page and the holds table's pages (table, key, index) to the
// WAL, ~8 frames (32 KB) a request against ~0.65 for its attempt row, and the checkpoints copied
// them back: a budget made a request cost 2.6x the CPU (bench/ab.ts --roots .,.@budget-on, 514
// against 195 µs). The same SQL as sql/budgets.ts (which Postgres keeps, one transaction per op,
// being shared by replicas), so the two stores mean the same.

import type { Database, Statement } from 'better-sqlite3';
import type { Db } from '../sql/db.js';
import type { BudgetOp } from '../sql/sql-store.js';
import { batchTransaction } from './batch-transaction.js';

// Insert the period row with the reservation, or add to it only while spent + reserved + amount
// stays within the cap; RETURNING yields a row only when the reservation was taken.
const RESERVE_SQL =
  'insert into budgets (scope, period_start, spent_nano_usd, reserved_nano_usd) values (?, ?, 0, ?) ' +
  'on conflict (scope, period_start) do update set reserved_nano_usd = budgets.reserved_nano_usd + excluded.reserved_nano_usd ' +
  'where budgets.spent_nano_usd + budgets.reserved_nano_usd + excluded.reserved_nano_usd <= ? returning scope';
const HOLD_SQL = 'insert into budget_holds (request_id, scope, period_start, amount_nano_usd, created_at) values (?, ?, ?, ?, ?)';
const UNHOLD_SQL = 'delete from budget_holds where request_id = ? and scope = ? returning request_id';
// Never lets `reserved` go below zero (a negative reservation would open headroom past the cap);
// the upsert covers settling a period that was never reserved (cost with no cap).
const SETTLE_SQL =
  'insert into budgets (scope, period_start, spent_nano_usd, reserved_nano_usd) values (?, ?, ?, 0) ' +
  'on conflict (scope, period_start) do update set spent_nano_usd = budgets.spent_nano_usd + excluded.spent_nano_usd, ' +
  'reserved_nano_usd = case when budgets.reserved_nano_usd >= ? then budgets.reserved_nano_usd - ? else 0 end';

/**
 * A commit function for the group-commit writer: the whole batch in one transaction, in order
 * (batch-transaction.ts), returning per op whether a reservation was taken (settlements: whether
 * they applied, i.e. their hold was still there).
 */
export function preparedBudgetCommit(db: Db, sqlite: Database): (ops: readonly BudgetOp[]) => Promise<boolean[]> {
  return batchTransaction(db, sqlite, () => {
    const reserve: Statement = sqlite.prepare(RESERVE_SQL);
    const hold: Statement = sqlite.prepare(HOLD_SQL);
    const unhold: Statement = sqlite.prepare(UNHOLD_SQL);
    const settle: Statement = sqlite.prepare(SETTLE_SQL);
    return (ops: readonly BudgetOp[]): boolean[] =>
      ops.map((op) => {
        if (op.kind === 'reserve') {
          // A new period row starts at spent = reserved = 0, so its condition is just amount <= cap.
          if (op.amount > op.cap) return false;
          const taken = reserve.get(op.scope, op.periodStart, op.amount, op.cap) !== undefined;
          if (taken && op.hold) hold.run(op.hold.requestId, op.scope, op.periodStart, op.amount, op.hold.at);
          return taken;
        }
        // With a request id, only while its hold is there (removed here): a reservation that
        // recovery already released is never released twice.
        if (op.requestId !== undefined && unhold.get(op.requestId, op.scope) === undefined) return false;
        settle.run(op.scope, op.periodStart, op.actual, op.released, op.released);
        return true;
      });
  });
}
