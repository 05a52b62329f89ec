// Idempotency-Key (G19). The claim is an INSERT … ON CONFLICT DO NOTHING: exactly one caller
// inserts the row and proceeds; everyone else reads what is there.

import type { IdempotencyBegin } from '../store.js';
import type { Db } from './db.js';

export async function idempotencyBegin(db: Db, tenantId: string, key: string, bodyHash: string, now: number, inFlightTtlMs: number): Promise<IdempotencyBegin> {
  // A few rounds at most: the row can vanish (abandoned) or be taken over between our
  // INSERT and SELECT; each round either claims, reads a stable state, or sees a change.
  for (let round = 0; round < 5; round++) {
    const claimed = await db
      .insertInto('idempotency_keys')
      .values({ tenant_id: tenantId, key, body_hash: bodyHash, state: 'in-flight', status: null, body: null, created_at: now })
      .onConflict((oc) => oc.columns(['tenant_id', 'key']).doNothing())
      .returning('key')
      .executeTakeFirst();
    if (claimed) return { state: 'new' };
    const row = await db
      .selectFrom('idempotency_keys')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('key', '=', key)
      .executeTakeFirst();
    if (!row) continue;
    if (row.body_hash !== bodyHash) return { state: 'mismatch' };
    if (row.state === 'done') return { state: 'done', status: Number(row.status), body: row.body ?? '' };
    const createdAt = Number(row.created_at);
    if (createdAt >= now - inFlightTtlMs) return { state: 'in-flight' };
    // The holder has been in flight longer than any request may run: it crashed. Take the
    // key over, guarded on the timestamp we read so only one taker wins.
    const took = await db
      .updateTable('idempotency_keys')
      .set({ created_at: now })
      .where('tenant_id', '=', tenantId)
      .where('key', '=', key)
      .where('state', '=', 'in-flight')
      .where('created_at', '=', createdAt)
      .executeTakeFirst();
    if (took.numUpdatedRows === 1n) return { state: 'new' };
  }
  // Only reachable under pathological churn on one key; the client may retry.
  return { state: 'in-flight' };
}

export async function idempotencyComplete(db: Db, tenantId: string, key: string, status: number, body: string): Promise<boolean> {
  const r = await db
    .updateTable('idempotency_keys')
    .set({ state: 'done', status, body })
    .where('tenant_id', '=', tenantId)
    .where('key', '=', key)
    .where('state', '=', 'in-flight')
    .executeTakeFirst();
  return r.numUpdatedRows === 1n;
}

export async function idempotencyAbandon(db: Db, tenantId: string, key: string): Promise<void> {
  // Completed keys stay: abandoning must not turn a finished request into a repeatable one.
  await db.deleteFrom('idempotency_keys').where('tenant_id', '=', tenantId).where('key', '=', key).where('state', '=', 'in-flight').execute();
}

/**
 * Forgets completed keys claimed before `claimedBefore` (a retention window, like the 24 h
 * other APIs keep them), so the table does not grow forever. In-flight keys are left to the
 * takeover rule above. Returns how many were removed.
 */
export async function pruneIdempotency(db: Db, claimedBefore: number): Promise<number> {
  const r = await db.deleteFrom('idempotency_keys').where('state', '=', 'done').where('created_at', '<', claimedBefore).executeTakeFirst();
  return Number(r.numDeletedRows);
}
