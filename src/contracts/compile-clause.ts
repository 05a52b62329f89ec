// Builds one clause from its validated YAML body. The schema language cannot say "these
// fields only for that type", so this is where a field on the wrong clause type, a missing
// required field, a bad class reference or an impossible date becomes a located error.

import { suggest } from '../config/schema-dsl.js';
import { CLAUSE_TYPES, type ClauseTypeName } from './spec.js';
import { fmtEnd, fmtInstant, parseContractDate, type PeriodKind } from './time.js';
import type { Clause, OnUnavailable, PlanPeriod } from './types.js';

type Raw = Record<string, unknown>;
export type Where = (path: (string | number)[]) => string;

export interface ClauseContext {
  agreementId: string;
  partyId: string;
  /** The default of a commitment's countsToward. */
  partyAccounts: readonly string[];
  termStartMs: number;
  termEndMs: number;
  classIds: ReadonlySet<string>;
  source: string;
  where: Where;
  problems: string[];
}

/** An object the schema filled in because it was absent (all its fields optional) counts as absent. */
const present = (v: unknown): boolean => v !== undefined && !(typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0);

export function compileClause(raw: Raw, path: (string | number)[], ctx: ClauseContext): Clause | undefined {
  const type = raw.type as ClauseTypeName;
  const spec = CLAUSE_TYPES[type];
  const at = (...p: (string | number)[]): string => ctx.where([...path, ...p]);
  const before = ctx.problems.length;
  for (const [key, value] of Object.entries(raw)) {
    if (!spec.fields.includes(key) && present(value)) {
      ctx.problems.push(`${at(key)}: "${key}" does not apply to a ${type} clause; its fields are ${spec.fields.filter((f) => f !== 'type').join(', ')}`);
    }
  }
  for (const key of spec.required) {
    if (!present(raw[key])) ctx.problems.push(`${at()}: a ${type} clause needs "${key}"`);
  }
  if (spec.oneOf && !spec.oneOf.some((k) => present(raw[k]))) ctx.problems.push(`${at()}: a ${type} clause needs ${spec.oneOf.map((k) => `"${k}"`).join(' or ')}`);
  const v = { ...spec.defaults, ...raw } as Raw;
  const classId = v.class === undefined ? null : (v.class as string);
  if (classId !== null && !ctx.classIds.has(classId)) {
    const hint = suggest(classId, [...ctx.classIds]);
    ctx.problems.push(`${at('class')}: unknown traffic class "${classId}"${hint ? `; did you mean "${hint}"?` : ctx.classIds.size ? `; declared: ${[...ctx.classIds].join(', ')}` : '; declare it under trafficClasses'}`);
  }
  const base = {
    id: raw.id as string,
    ref: `${ctx.agreementId}/${raw.id as string}`,
    agreementId: ctx.agreementId,
    partyId: ctx.partyId,
    onUnavailable: (v.onUnavailable ?? 'fail-closed') as OnUnavailable,
    source: ctx.source,
    where: at(),
    ...(v.note !== undefined ? { note: v.note as string } : {}),
    termStartMs: ctx.termStartMs,
    termEndMs: ctx.termEndMs,
  };
  const clause = build(type, v, base, classId, path, ctx);
  return ctx.problems.length === before ? Object.freeze(clause) : undefined;
}

type Base = Pick<Clause, 'id' | 'ref' | 'agreementId' | 'partyId' | 'onUnavailable' | 'source' | 'where' | 'note' | 'termStartMs' | 'termEndMs'>;

/** The type-specific part of a clause; problems go to ctx.problems. */
function build(type: ClauseTypeName, v: Raw, base: Base, classId: string | null, path: (string | number)[], ctx: ClauseContext): Clause {
  const at = (...p: (string | number)[]): string => ctx.where([...path, ...p]);
  const models = Object.freeze([...((v.models as string[] | undefined) ?? [])]);
  switch (type) {
    case 'commitment':
      return {
        ...base,
        type,
        amountUsd: v.amountUsd as number,
        schedule: v.schedule as 'even' | 'periods',
        plan: Object.freeze(plan(v, at, ctx)),
        countsToward: countsToward(v.countsToward as Raw | undefined, ctx.partyAccounts),
        discountPercent: v.discountPercent as number,
        shortfall: v.shortfall as 'true-up' | 'none',
        maxUsdPerHour: Object.freeze({ ...((v.maxUsdPerHour as Record<string, number> | undefined) ?? {}) }),
      };
    case 'reservation': {
      const cap = (v.capacity ?? {}) as { concurrency?: number; tokensPerMinute?: number };
      if (present(v.capacity) && cap.concurrency === undefined && cap.tokensPerMinute === undefined) ctx.problems.push(`${at('capacity')}: give concurrency and/or tokensPerMinute`);
      return { ...base, type, deployment: v.deployment as string, usdPerPeriod: v.usdPerPeriod as number, period: v.period as PeriodKind, capacity: Object.freeze({ ...cap }) };
    }
    case 'preferred-share':
      if (v.period !== 'month' && v.period !== 'quarter') ctx.problems.push(`${at('period')}: a preferred share holds per month or quarter (got "${String(v.period)}")`);
      if (classId !== null && models.length) ctx.problems.push(`${at()}: a preferred share selects by class OR models, not both`);
      return { ...base, type, classId, models, scope: classId !== null ? `class:${classId}` : `models:${[...models].sort().join(',')}`, minPercent: v.minPercent as number, period: v.period as 'month' | 'quarter' };
    case 'exclusivity':
    case 'early-access': {
      const w = (v.window ?? {}) as Raw;
      const windowStartMs = parseContractDate(String(w.start ?? ''), 'start');
      const windowEndMs = parseContractDate(String(w.end ?? ''), 'end');
      if (present(v.window)) checkSpan(windowStartMs, windowEndMs, [...path, 'window'], ctx);
      return { ...base, type, models, classId, windowStartMs: windowStartMs ?? 0, windowEndMs: windowEndMs ?? 0 };
    }
    case 'residency':
      return { ...base, type, tenants: Object.freeze([...((v.tenants as string[] | undefined) ?? [])]), classId, regions: Object.freeze([...((v.regions as string[] | undefined) ?? [])]) };
  }
}

function countsToward(raw: Raw | undefined, partyAccounts: readonly string[]): { accounts: readonly string[]; deployments: readonly string[] } {
  const accounts = (raw?.accounts as string[] | undefined) ?? [];
  const deployments = (raw?.deployments as string[] | undefined) ?? [];
  // Naming neither means "the party's own spend", the usual meaning of a cloud commitment.
  if (!accounts.length && !deployments.length) return Object.freeze({ accounts: partyAccounts, deployments: Object.freeze([]) });
  return Object.freeze({ accounts: Object.freeze([...accounts]), deployments: Object.freeze([...deployments]) });
}

/** Checks start < end of a {start, end} span already compiled to instants. */
export function checkSpan(startMs: number | undefined, endMs: number | undefined, path: (string | number)[], ctx: Pick<ClauseContext, 'where' | 'problems'>): void {
  if (startMs === undefined) ctx.problems.push(`${ctx.where([...path, 'start'])}: not a real date`);
  if (endMs === undefined) ctx.problems.push(`${ctx.where([...path, 'end'])}: not a real date`);
  if (startMs !== undefined && endMs !== undefined && endMs <= startMs) ctx.problems.push(`${ctx.where([...path, 'end'])}: ends (${fmtEnd(endMs)}) before it starts (${fmtInstant(startMs)})`);
}

function plan(v: Raw, at: (...p: (string | number)[]) => string, ctx: ClauseContext): PlanPeriod[] {
  const amount = v.amountUsd as number;
  if (v.schedule === 'even') return [{ startMs: ctx.termStartMs, endMs: ctx.termEndMs, amountUsd: amount }];
  const raw = (v.periods as Raw[] | undefined) ?? [];
  if (!raw.length) {
    ctx.problems.push(`${at('schedule')}: schedule "periods" needs a periods list`);
    return [];
  }
  const out = raw.map((p, i) => {
    const startMs = parseContractDate(p.start as string, 'start');
    const endMs = parseContractDate(p.end as string, 'end');
    checkSpan(startMs, endMs, ['periods', i], { where: (p2) => at(...p2), problems: ctx.problems });
    if (startMs !== undefined && endMs !== undefined && (startMs < ctx.termStartMs || endMs > ctx.termEndMs)) ctx.problems.push(`${at('periods', i)}: period lies outside the term ${fmtInstant(ctx.termStartMs)} .. ${fmtEnd(ctx.termEndMs)}`);
    return { startMs: startMs ?? 0, endMs: endMs ?? 0, amountUsd: p.amountUsd as number };
  });
  out.sort((a, b) => a.startMs - b.startMs);
  for (let i = 1; i < out.length; i++) if (out[i]!.startMs < out[i - 1]!.endMs) ctx.problems.push(`${at('periods')}: periods overlap around ${fmtInstant(out[i]!.startMs)}`);
  const sum = out.reduce((s, p) => s + p.amountUsd, 0);
  if (Math.abs(sum - amount) > 0.005) ctx.problems.push(`${at('periods')}: the periods sum to ${sum} USD but amountUsd is ${amount}`);
  return out;
}
