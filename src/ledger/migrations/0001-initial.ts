// Version 1: attempts, tenants, keys, budgets, idempotency keys. Written once with Kysely's
// schema builder so both dialects get the same tables; types are chosen to mean the same in
// both (bigint = 64-bit integer in Postgres, INTEGER affinity in SQLite).

import { sql, type Kysely } from 'kysely';

// Migrations must not depend on the current LedgerDb type: they describe the schema as it
// was at their version, so they work on an untyped handle.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('attempts')
    .addColumn('request_id', 'text', (c) => c.notNull())
    .addColumn('attempt_no', 'integer', (c) => c.notNull())
    .addColumn('tenant_id', 'text')
    .addColumn('key_id', 'text')
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('deployment_id', 'text', (c) => c.notNull())
    .addColumn('account', 'text', (c) => c.notNull())
    .addColumn('region', 'text', (c) => c.notNull())
    .addColumn('stream', 'integer', (c) => c.notNull())
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('decision', 'text')
    .addColumn('contract_version', 'text')
    .addColumn('estimated_prompt_tokens', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('ended_at', 'bigint')
    .addColumn('first_byte_at', 'bigint')
    .addColumn('http_status', 'integer')
    .addColumn('failure_kind', 'text')
    // Token and cost columns are nullable on purpose: NULL is "unknown", never 0.
    .addColumn('prompt_tokens', 'integer')
    .addColumn('completion_tokens', 'integer')
    .addColumn('cached_prompt_tokens', 'integer')
    .addColumn('cache_write_tokens', 'integer')
    .addColumn('usage_source', 'text')
    .addColumn('list_cost_nano_usd', 'bigint')
    .addColumn('effective_cost_nano_usd', 'bigint')
    .addColumn('settled_from_estimate', 'integer', (c) => c.notNull().defaultTo(0))
    // One row per upstream attempt: replayed inserts hit this and do nothing (1.6).
    .addPrimaryKeyConstraint('attempts_pk', ['request_id', 'attempt_no'])
    .addCheckConstraint('attempts_status_ck', sql`status in ('started','ok','failed','cancelled','interrupted','orphaned')`)
    .addCheckConstraint('attempts_usage_source_ck', sql`usage_source is null or usage_source in ('reported','estimated')`)
    .execute();
  // The sweeper looks for stale 'started' rows; reports scan a time range, often per tenant
  // or per account (commitment pacing, invoice reconciliation).
  await db.schema.createIndex('attempts_status_started_ix').on('attempts').columns(['status', 'started_at']).execute();
  await db.schema.createIndex('attempts_started_ix').on('attempts').column('started_at').execute();
  await db.schema.createIndex('attempts_tenant_started_ix').on('attempts').columns(['tenant_id', 'started_at']).execute();
  await db.schema.createIndex('attempts_account_started_ix').on('attempts').columns(['account', 'started_at']).execute();

  await db.schema
    .createTable('tenants')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .$call(accessColumns)
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull().unique())
    .addColumn('prefix', 'text', (c) => c.notNull())
    .$call(accessColumns)
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('revoked_at', 'bigint')
    .execute();
  await db.schema.createIndex('api_keys_tenant_ix').on('api_keys').column('tenant_id').execute();

  await db.schema
    .createTable('budgets')
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('period_start', 'bigint', (c) => c.notNull())
    .addColumn('spent_nano_usd', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('reserved_nano_usd', 'bigint', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('budgets_pk', ['scope', 'period_start'])
    .execute();

  await db.schema
    .createTable('idempotency_keys')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('body_hash', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('status', 'integer')
    .addColumn('body', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('idempotency_keys_pk', ['tenant_id', 'key'])
    .addCheckConstraint('idempotency_state_ck', sql`state in ('in-flight','done')`)
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type TableBuilder = ReturnType<Kysely<any>['schema']['createTable']>;

function accessColumns(t: TableBuilder): TableBuilder {
  return t
    .addColumn('allowed_models', 'text')
    .addColumn('traffic_class', 'text')
    .addColumn('tags', 'text', (c) => c.notNull())
    .addColumn('rpm', 'integer')
    .addColumn('tpm', 'integer')
    .addColumn('budget_nano_usd', 'bigint')
    .addColumn('budget_period', 'text')
    .addCheckConstraint('budget_period_ck', sql`budget_period is null or budget_period in ('day','month')`)
    // A budget without a period (or the reverse) cannot be enforced.
    .addCheckConstraint('budget_pair_ck', sql`(budget_nano_usd is null) = (budget_period is null)`);
}
