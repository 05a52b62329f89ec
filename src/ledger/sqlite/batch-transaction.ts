// A group-commit function on the serving connection: each batch in one BEGIN IMMEDIATE
// transaction, run synchronously while holding the Kysely connection's mutex.
//
// `db` is the Kysely instance on the same connection. Its SQLite driver has one connection
// behind a mutex, and every Kysely transaction (inWriteTx for orphan recovery, migrations)
// holds that mutex from BEGIN to COMMIT across awaits. Taking the same mutex here, and then
// running the batch synchronously (better-sqlite3 is synchronous, so nothing else can run on
// the event loop meanwhile), means a batch never lands inside someone else's transaction and
// nobody else's statement lands inside ours. BEGIN IMMEDIATE, as inWriteTx: the write lock is
// taken up front, so another process holding it makes us wait busy_timeout instead of failing a
// deferred lock upgrade.

import type { Database } from 'better-sqlite3';
import type { Db } from '../sql/db.js';

/**
 * `prepare` is called on the first batch (the store is opened before migrate() creates the
 * tables) and returns what one batch does inside the transaction: one result per op, in order.
 */
export function batchTransaction<Op, R>(db: Db, sqlite: Database, prepare: () => (ops: readonly Op[]) => R[]): (ops: readonly Op[]) => Promise<R[]> {
  let apply: ((ops: readonly Op[]) => R[]) | undefined;
  return (ops) =>
    db.connection().execute(async () => {
      // Holding the mutex, no transaction of ours can be open; if one is, something bypassed
      // the mutex, and writing now would silently join (or commit) a stranger's transaction.
      if (sqlite.inTransaction) throw new Error('ledger: a transaction is open outside the connection mutex');
      if (!apply) {
        const body = prepare();
        const tx = sqlite.transaction(body);
        apply = (batch) => tx.immediate(batch);
      }
      return apply(ops);
    });
}
