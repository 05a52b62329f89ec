// Version 3: each budget reservation is also held per request, so one a crashed process can
// no longer settle is released by recovery (at start-up, or by the cluster's sweeper) instead
// of staying reserved, and refusing the tenant, until the budget period ends.

import type { Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('budget_holds')
    .addColumn('request_id', 'text', (c) => c.notNull())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('period_start', 'bigint', (c) => c.notNull())
    .addColumn('amount_nano_usd', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('budget_holds_pk', ['request_id', 'scope'])
    .execute();
  await db.schema.createIndex('budget_holds_created_ix').on('budget_holds').column('created_at').execute();
}
