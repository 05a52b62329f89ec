// Attempt rows: the write-ahead insert, the guarded finish, crash recovery and listing.
// Writes arrive here in batches from the group-commit writer; each batch is one transaction.

import { sql, type ExpressionBuilder } from 'kysely';
import type { AttemptFilter, AttemptFinish, AttemptPage, AttemptRow, AttemptStart, OrphanSettlement } from '../store.js';
import { aggregate, inWriteTx, toNanoOrNull, type AttemptsTable, type Db, type LedgerDb, type LongRead, type SqlFlavor } from './db.js';
import { finishToColumns, rowToAttempt, startToRow } from './rows.js';
import { checkFinish } from './validate.js';

export type AttemptWrite = { kind: 'begin'; start: AttemptStart } | { kind: 'finish'; finish: AttemptFinish };

// Rows per multi-row INSERT: 26 columns x 200 rows stays far below SQLite's 32,766 and
// Postgres' 65,535 bound-parameter limits.
const INSERT_CHUNK = 200;
const RECOVERY_PAGE = 500;

/**
 * Commits a batch in one transaction, in queue order (a begin and the finish of the same
 * attempt may share a batch). Result per write: begins true, finishes whether they applied.
 */
export async function commitAttemptWrites(db: Db, flavor: SqlFlavor, writes: readonly AttemptWrite[]): Promise<boolean[]> {
  return inWriteTx(db, flavor, async (tx) => {
    const results: boolean[] = [];
    let begins: AttemptsTable[] = [];
    const flushBegins = async (): Promise<void> => {
      for (let i = 0; i < begins.length; i += INSERT_CHUNK) {
        // ON CONFLICT DO NOTHING: a replayed begin cannot create a second row (1.6).
        await tx
          .insertInto('attempts')
          .values(begins.slice(i, i + INSERT_CHUNK))
          .onConflict((oc) => oc.columns(['request_id', 'attempt_no']).doNothing())
          .execute();
      }
      begins = [];
    };
    for (const w of writes) {
      if (w.kind === 'begin') {
        begins.push(startToRow(w.start));
        results.push(true);
      } else {
        await flushBegins();
        results.push(await finishOne(tx, w.finish));
      }
    }
    await flushBegins();
    return results;
  });
}

/** One guarded UPDATE: only a `started` row changes, so a second finish is a no-op. */
async function finishOne(tx: Db, f: AttemptFinish): Promise<boolean> {
  const r = await tx
    .updateTable('attempts')
    .set(finishToColumns(f))
    .where('request_id', '=', f.requestId)
    .where('attempt_no', '=', f.attemptNo)
    .where('status', '=', 'started')
    .executeTakeFirst();
  return r.numUpdatedRows === 1n;
}

/** A page of rows still 'started' from before `startedBefore`, oldest first. */
export function staleStartedQuery(db: Db, startedBefore: number) {
  return (
    db
      .selectFrom('attempts')
      .selectAll()
      // A literal: it matches the partial index of open rows (migration 4) in any plan, a
      // Postgres generic plan included (SQLite also matches a bound 'started', by re-preparing).
      .where('status', '=', sql.lit('started'))
      .where('started_at', '<', startedBefore)
      .orderBy('started_at')
      .limit(RECOVERY_PAGE)
  );
}

export async function recoverOrphans(
  db: Db,
  flavor: SqlFlavor,
  startedBefore: number,
  settle: (row: AttemptRow) => OrphanSettlement,
): Promise<number> {
  let recovered = 0;
  for (;;) {
    const stale = await staleStartedQuery(db, startedBefore).execute();
    if (stale.length === 0) return recovered;
    const settled = stale.map(rowToAttempt).map((row) => ({ row, est: checkedSettlement(row, settle(row)) }));
    recovered += await inWriteTx(db, flavor, async (tx) => {
      let n = 0;
      for (const { row, est } of settled) {
        // Guarded like finishAttempt: an attempt that finished meanwhile keeps its real figures.
        const r = await tx
          .updateTable('attempts')
          .set({
            status: 'orphaned',
            prompt_tokens: est.promptTokens,
            completion_tokens: est.completionTokens,
            usage_source: 'estimated',
            list_cost_nano_usd: toNanoOrNull(est.listCostUsd),
            effective_cost_nano_usd: toNanoOrNull(est.effectiveCostUsd),
            settled_from_estimate: 1,
          })
          .where('request_id', '=', row.requestId)
          .where('attempt_no', '=', row.attemptNo)
          .where('status', '=', 'started')
          .executeTakeFirst();
        if (r.numUpdatedRows === 1n) n++;
      }
      return n;
    });
    // Every row of the page has left 'started' (orphaned here or finished meanwhile), so the
    // next query returns the next page; a short page was the last.
    if (stale.length < RECOVERY_PAGE) return recovered;
  }
}

function checkedSettlement(row: AttemptRow, est: OrphanSettlement): OrphanSettlement {
  // Reuse the finish checks: an estimate obeys the same rules as a reported figure.
  checkFinish({ ...nullFinish(row), ...est });
  return est;
}

function nullFinish(row: AttemptRow): AttemptFinish {
  return {
    requestId: row.requestId, attemptNo: row.attemptNo, status: 'interrupted', endedAt: row.startedAt,
    firstByteAt: null, httpStatus: null, failureKind: null, promptTokens: null, completionTokens: null,
    cachedPromptTokens: null, cacheWriteTokens: null, usageSource: null, listCostUsd: null, effectiveCostUsd: null,
  };
}

function matches(eb: ExpressionBuilder<LedgerDb, 'attempts'>, f: AttemptFilter, flavor: SqlFlavor) {
  const conds = [];
  if (f.requestId !== undefined) conds.push(eb('request_id', '=', f.requestId));
  if (f.clientRequestId !== undefined) conds.push(eb('client_request_id', '=', f.clientRequestId));
  if (f.tenantId !== undefined) conds.push(eb('tenant_id', '=', f.tenantId));
  if (f.model !== undefined) conds.push(eb('model', '=', f.model));
  if (f.deploymentId !== undefined) conds.push(eb('deployment_id', '=', f.deploymentId));
  if (f.status !== undefined) conds.push(eb('status', '=', f.status));
  if (f.from !== undefined) conds.push(eb('started_at', '>=', f.from));
  if (f.to !== undefined) conds.push(eb('started_at', '<', f.to));
  if (f.decisionContains !== undefined) conds.push(flavor.decisionContains(f.decisionContains));
  return eb.and(conds);
}

export const MAX_PAGE = 10_000;

export async function listAttempts(db: Db, flavor: SqlFlavor, page: AttemptPage): Promise<AttemptRow[]> {
  const limit = page.limit ?? 100;
  const offset = page.offset ?? 0;
  if (!Number.isSafeInteger(limit) || limit < 0 || limit > MAX_PAGE) throw new RangeError(`limit must be an integer in [0, ${MAX_PAGE}], got ${limit}`);
  if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`offset must be a non-negative integer, got ${offset}`);
  const rows = await db
    .selectFrom('attempts')
    .selectAll()
    .where((eb) => matches(eb, page, flavor))
    .orderBy('started_at')
    .orderBy('request_id')
    .orderBy('attempt_no')
    .limit(limit)
    .offset(offset)
    .execute();
  return rows.map(rowToAttempt);
}

export async function countAttempts(db: Db, read: LongRead, flavor: SqlFlavor, filter: AttemptFilter): Promise<number> {
  const [r] = await read(db
    .selectFrom('attempts')
    .select((eb) => eb.fn.countAll().as('n'))
    .where((eb) => matches(eb, filter, flavor)));
  return aggregate(r?.n);
}
