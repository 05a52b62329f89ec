// Attempt writes on SQLite through two prepared better-sqlite3 statements instead of Kysely.
// Per attempt the gateway does one begin and one finish; through Kysely each batch built and
// compiled a multi-row INSERT (26 parameters a row, a new SQL string for the statement cache
// to hash, and to prepare for each new batch size) and every finish built its own UPDATE:
// about as much CPU as SQLite's own work (README, Performance). The statements here are the
// same SQL as the shared path in sql/attempts.ts (which Postgres keeps), bound by column name
// from the same row mappers in sql/rows.ts, so the two cannot drift apart.

import type { Database, Statement } from 'better-sqlite3';
import type { AttemptWrite } from '../sql/attempts.js';
import { batchTransaction } from './batch-transaction.js';
import type { AttemptsTable, Db } from '../sql/db.js';
import { finishToColumns, startToRow, type FinishColumns } from '../sql/rows.js';

// `satisfies` makes the compiler reject a column added to the table types but not here.
const COLUMNS = Object.keys({
  request_id: 1, attempt_no: 1, client_request_id: 1, tenant_id: 1, key_id: 1, model: 1, deployment_id: 1, account: 1, region: 1,
  stream: 1, started_at: 1, decision: 1, contract_version: 1, estimated_prompt_tokens: 1, status: 1, ended_at: 1,
  first_byte_at: 1, http_status: 1, failure_kind: 1, prompt_tokens: 1, completion_tokens: 1, cached_prompt_tokens: 1,
  cache_write_tokens: 1, usage_source: 1, list_cost_nano_usd: 1, effective_cost_nano_usd: 1, settled_from_estimate: 1,
} satisfies Record<keyof AttemptsTable, 1>);

// ON CONFLICT DO NOTHING: a replayed begin cannot create a second row (as in sql/attempts.ts).
// Positional parameters, bound from the row objects in COLUMNS order: about 10 % less
// SQLite-side work per row than binding 27 named parameters from an object, which the driver
// looks up property by property through the V8 API (measured on this table's row shape).
const INSERT_SQL =
  `insert into attempts (${COLUMNS.join(', ')}) values (${COLUMNS.map(() => '?').join(', ')}) ` +
  'on conflict (request_id, attempt_no) do nothing';
const insertParams = (row: AttemptsTable): unknown[] => (COLUMNS as (keyof AttemptsTable)[]).map((c) => row[c]);

// Guarded: only a `started` row changes, so a second finish (or one after orphan recovery)
// is a no-op and reports false.
const FINISH_COLUMNS = Object.keys({
  status: 1, ended_at: 1, first_byte_at: 1, http_status: 1, failure_kind: 1, prompt_tokens: 1, completion_tokens: 1,
  cached_prompt_tokens: 1, cache_write_tokens: 1, usage_source: 1, list_cost_nano_usd: 1, effective_cost_nano_usd: 1,
} satisfies Record<keyof FinishColumns, 1>);
const UPDATE_SQL =
  `update attempts set ${FINISH_COLUMNS.map((c) => `${c} = @${c}`).join(', ')} ` +
  "where request_id = @request_id and attempt_no = @attempt_no and status = 'started'";

/**
 * A commit function for the group-commit writer: the whole batch in one transaction, in queue
 * order (batch-transaction.ts), returning begins true and finishes whether they applied.
 */
export function preparedAttemptCommit(db: Db, sqlite: Database): (writes: readonly AttemptWrite[]) => Promise<boolean[]> {
  return batchTransaction(db, sqlite, () => {
    const insert: Statement = sqlite.prepare(INSERT_SQL);
    const update: Statement = sqlite.prepare(UPDATE_SQL);
    return (writes: readonly AttemptWrite[]): boolean[] => {
      const results: boolean[] = new Array<boolean>(writes.length);
      const merged = mergeFinishes(writes);
      for (let i = 0; i < writes.length; i++) {
        const w = writes[i]!;
        if (w.kind === 'begin') {
          const j = merged.get(i);
          if (j === undefined) {
            insert.run(insertParams(startToRow(w.start)));
          } else {
            // Begin and finish in one batch (a write-ahead journal in front makes that the
            // rule): the final row in one insert, instead of an insert and an update that
            // touches the row and the status index again.
            const f = (writes[j] as Extract<AttemptWrite, { kind: 'finish' }>).finish;
            const inserted = insert.run(insertParams(Object.assign(startToRow(w.start), finishToColumns(f)))).changes === 1;
            // Not inserted: the row was already there (a replayed begin); finish it as usual.
            results[j] = inserted || update.run({ ...finishToColumns(f), request_id: f.requestId, attempt_no: f.attemptNo }).changes === 1;
          }
          results[i] = true;
        } else if (results[i] === undefined) {
          const f = w.finish;
          results[i] = update.run({ ...finishToColumns(f), request_id: f.requestId, attempt_no: f.attemptNo }).changes === 1;
        }
      }
      return results;
    };
  });
}

/**
 * For each begin followed in the same batch by its attempt's finish, the finish's index
 * (the first finish only: a second one must still find the row final and report false).
 */
function mergeFinishes(writes: readonly AttemptWrite[]): Map<number, number> {
  const merged = new Map<number, number>();
  let begins: Map<string, number> | undefined;
  for (let i = 0; i < writes.length; i++) {
    const w = writes[i]!;
    if (w.kind === 'begin') {
      (begins ??= new Map()).set(`${w.start.attemptNo} ${w.start.requestId}`, i);
    } else if (begins) {
      const key = `${w.finish.attemptNo} ${w.finish.requestId}`;
      const b = begins.get(key);
      if (b !== undefined) {
        merged.set(b, i);
        begins.delete(key);
      }
    }
  }
  return merged;
}
