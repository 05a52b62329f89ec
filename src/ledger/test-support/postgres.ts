// The Postgres server tests run against (TREATY_TEST_PG_URL, default the local one) and the
// per-run schema they write in: shared by the ledger's store suite and the cluster suites.

import pg from 'pg';

export const PG_URL = process.env.TREATY_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Why Postgres cannot be used right now, or undefined when it answers. */
export async function pgProblem(timeoutMs = 3_000): Promise<string | undefined> {
  const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: timeoutMs });
  try {
    await c.connect();
    await c.query('select 1');
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** PG_URL pointing at `schema` (the ledger creates it on open). */
export function withSchema(schema: string): string {
  const u = new URL(PG_URL);
  u.searchParams.set('schema', schema);
  return u.toString();
}

export async function dropSchema(schema: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    await c.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await c.end();
  }
}
