// Spend aggregates for finance reports and commitment pacing. Sums add integer nano-dollars
// in the database, so a report total equals the sum of its rows exactly.

import { sql, type ExpressionBuilder } from 'kysely';
import type { ServedCount, SpendDimension, SpendRow } from '../store.js';
import { aggregate, fromNano, type Db, type LedgerDb, type LongRead, type SqlFlavor } from './db.js';

const COLUMN = {
  account: 'account',
  deployment: 'deployment_id',
  model: 'model',
  tenant: 'tenant_id',
  day_account: 'account',
} as const;

const DAY_MS = 86_400_000;
// Integer division in both dialects (bigint / integer literal); an inline literal, not a
// parameter, so Postgres sees the same expression in SELECT and GROUP BY.
const dayIndex = sql<number>`started_at / ${sql.lit(DAY_MS)}`;

function measures(eb: ExpressionBuilder<LedgerDb, 'attempts'>) {
  return [
    eb.fn.countAll().as('attempts'),
    eb.fn.sum('prompt_tokens').as('prompt_tokens'),
    eb.fn.sum('completion_tokens').as('completion_tokens'),
    eb.fn.sum('list_cost_nano_usd').as('list_cost'),
    eb.fn.sum('effective_cost_nano_usd').as('effective_cost'),
    eb.fn.count(sql`case when usage_source = 'estimated' then 1 end`).as('estimated'),
    eb.fn.count('effective_cost_nano_usd').as('priced'),
  ] as const;
}

export async function spendBy(db: Db, read: LongRead, dim: SpendDimension, from: number, to: number, tenantId?: string): Promise<SpendRow[]> {
  const col = COLUMN[dim];
  const byDay = dim === 'day_account';
  const rows = await read(db
    .selectFrom('attempts')
    .select((eb) => [...measures(eb), eb.ref(col).as('key'), (byDay ? dayIndex : sql<number>`null`).as('day')])
    .where('started_at', '>=', from)
    .where('started_at', '<', to)
    .$if(tenantId !== undefined, (q) => q.where('tenant_id', '=', tenantId ?? null))
    .$if(byDay, (q) => q.groupBy(dayIndex))
    .groupBy(col)
    .$if(byDay, (q) => q.orderBy(dayIndex))
    .orderBy(col));
  return rows.map((r) => {
    const attempts = aggregate(r.attempts);
    const out: SpendRow = {
      key: r.key,
      attempts,
      promptTokens: aggregate(r.prompt_tokens),
      completionTokens: aggregate(r.completion_tokens),
      listCostUsd: fromNano(aggregate(r.list_cost)),
      effectiveCostUsd: fromNano(aggregate(r.effective_cost)),
      estimatedAttempts: aggregate(r.estimated),
      unpricedAttempts: attempts - aggregate(r.priced),
    };
    if (byDay) out.day = new Date(aggregate(r.day) * DAY_MS).toISOString().slice(0, 10);
    return out;
  });
}

export async function spendToDate(db: Db, read: LongRead, accounts: readonly string[], from: number, to: number): Promise<number> {
  if (accounts.length === 0) return 0;
  const [r] = await read(db
    .selectFrom('attempts')
    .select((eb) => eb.fn.sum('effective_cost_nano_usd').as('cost'))
    .where('account', 'in', accounts)
    .where('started_at', '>=', from)
    .where('started_at', '<', to));
  return fromNano(aggregate(r?.cost));
}

/** Served attempts per model, deployment, account and recorded class (grouped in the database). */
export async function servedCounts(db: Db, read: LongRead, flavor: SqlFlavor, from: number, to: number): Promise<ServedCount[]> {
  const cls = flavor.decisionClass;
  const rows = await read(db
    .selectFrom('attempts')
    .select((eb) => [eb.fn.countAll().as('attempts'), 'model', 'deployment_id', 'account', cls.as('class_id')])
    .where('status', '=', 'ok')
    .where('started_at', '>=', from)
    .where('started_at', '<', to)
    .groupBy(['model', 'deployment_id', 'account', cls]));
  return rows.map((r) => ({ model: r.model, deploymentId: r.deployment_id, account: r.account, classId: r.class_id ?? null, attempts: aggregate(r.attempts) }));
}
