// Version 2: the client's x-request-id gets a column of its own. Version 1 used it as the
// row key, so two tenants (or one client retrying under the same id) sharing an id collided:
// the second request's rows were silently dropped by ON CONFLICT, or its finish landed on
// the first request's row. The key is now always Treaty's own id.

import type { Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('attempts').addColumn('client_request_id', 'text').execute();
  // Partial: most requests carry no id of their own, and those cost the insert nothing here.
  await db.schema
    .createIndex('attempts_client_request_ix')
    .on('attempts')
    .columns(['client_request_id'])
    .where((eb) => eb('client_request_id', 'is not', null))
    .execute();
}
