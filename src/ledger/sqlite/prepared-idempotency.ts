// Idempotency-Key claims, completions and releases on SQLite, group-committed: an event-loop
// turn's ops in one transaction through prepared statements, each op the same check and write as
// sql/idempotency.ts (which Postgres keeps), applied in order.
//
// Why: each op was an autocommitted Kysely statement, so a request with an Idempotency-Key paid
// two commits of its own (the claim, then the stored answer), each writing the table's and its
// key's pages to the WAL, as budgets did before they were grouped (prepared-budgets.ts: a request
// cost 2.6x the CPU). Inside one transaction nothing else writes, so the claim needs no retry
// loop: it claims, or reads a stable row and takes it over when its holder is long gone.

import type { Database, Statement } from 'better-sqlite3';
import type { Db } from '../sql/db.js';
import type { IdemOp } from '../sql/sql-store.js';
import type { IdempotencyBegin } from '../store.js';
import { batchTransaction } from './batch-transaction.js';

const CLAIM_SQL =
  "insert into idempotency_keys (tenant_id, key, body_hash, state, status, body, created_at) values (?, ?, ?, 'in-flight', null, null, ?) " +
  'on conflict (tenant_id, key) do nothing returning key';
const READ_SQL = 'select body_hash, state, status, body, created_at from idempotency_keys where tenant_id = ? and key = ?';
// Guarded on the timestamp read, as the shared path's takeover.
const TAKE_OVER_SQL = "update idempotency_keys set created_at = ? where tenant_id = ? and key = ? and state = 'in-flight' and created_at = ?";
const COMPLETE_SQL = "update idempotency_keys set state = 'done', status = ?, body = ? where tenant_id = ? and key = ? and state = 'in-flight'";
// Completed keys stay: abandoning must not turn a finished request into a repeatable one.
const ABANDON_SQL = "delete from idempotency_keys where tenant_id = ? and key = ? and state = 'in-flight'";

interface Row {
  body_hash: string;
  state: string;
  status: number | null;
  body: string | null;
  created_at: number;
}

/** Results per op: a claim's IdempotencyBegin, a completion's or release's whether it applied. */
export function preparedIdempotencyCommit(db: Db, sqlite: Database): (ops: readonly IdemOp[]) => Promise<(IdempotencyBegin | boolean)[]> {
  return batchTransaction(db, sqlite, () => {
    const claim: Statement = sqlite.prepare(CLAIM_SQL);
    const read: Statement = sqlite.prepare(READ_SQL);
    const takeOver: Statement = sqlite.prepare(TAKE_OVER_SQL);
    const complete: Statement = sqlite.prepare(COMPLETE_SQL);
    const abandon: Statement = sqlite.prepare(ABANDON_SQL);
    return (ops: readonly IdemOp[]): (IdempotencyBegin | boolean)[] =>
      ops.map((op): IdempotencyBegin | boolean => {
        if (op.kind === 'complete') return complete.run(op.status, op.body, op.tenantId, op.key).changes === 1;
        if (op.kind === 'abandon') return abandon.run(op.tenantId, op.key).changes === 1;
        if (claim.get(op.tenantId, op.key, op.bodyHash, op.now) !== undefined) return { state: 'new' };
        const row = read.get(op.tenantId, op.key) as Row | undefined;
        // Claimed or not, the row is there: nothing else writes inside this transaction.
        if (!row) return { state: 'in-flight' };
        if (row.body_hash !== op.bodyHash) return { state: 'mismatch' };
        if (row.state === 'done') return { state: 'done', status: Number(row.status), body: row.body ?? '' };
        const createdAt = Number(row.created_at);
        if (createdAt >= op.now - op.ttlMs) return { state: 'in-flight' };
        // The holder has been in flight longer than any request may run: it crashed.
        return takeOver.run(op.now, op.tenantId, op.key, createdAt).changes === 1 ? { state: 'new' } : { state: 'in-flight' };
      });
  });
}
