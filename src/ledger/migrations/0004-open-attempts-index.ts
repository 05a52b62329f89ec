// Version 4: the index the orphan search uses holds only rows still 'started'. Version 1
// indexed (status, started_at) over every row, so every attempt's INSERT paid for a fifth
// index (~0.9 µs of ~9 µs of SQLite work a row, measured with the other indexes in place);
// attempts are now written final in one INSERT, so almost no row enters this one, and the
// search for stale rows reads only those (sql/attempts.ts staleStartedQuery names the status
// as a literal, so every planner can match the index's condition).

import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('attempts_status_started_ix').execute();
  await db.schema
    .createIndex('attempts_open_started_ix')
    .on('attempts')
    .column('started_at')
    .where(sql.ref('status'), '=', sql.lit('started'))
    .execute();
}
