// Checker rules about references and sums: amendments naming what does not exist, clauses
// naming deployments or models the estate lacks, shares of one class above 100 %.

import { suggest } from '../config/schema-dsl.js';
import { Spans, type CheckContext } from './check-context.js';
import type { Finding } from './findings.js';
import { fmtEnd, fmtInstant } from './time.js';
import type { Clause, CompiledContracts } from './types.js';

/** Every clause body the contracts contain: originals, superseding bodies and additions. */
export function allClauses(compiled: CompiledContracts): Clause[] {
  return [...compiled.agreements.flatMap((a) => a.clauses), ...compiled.amendments.filter((m) => !m.unknownAgreement).flatMap((m) => [...m.supersedes, ...m.adds])];
}

const hintFor = (word: string, options: string[]): string => {
  const h = suggest(word, options);
  return h ? `; did you mean "${h}"?` : '';
};

export function checkRefs(ctx: CheckContext): Finding[] {
  const { compiled, byId } = ctx;
  const out: Finding[] = [];
  const depIds = [...byId.keys()];
  for (const m of compiled.amendments) {
    const agreement = compiled.agreements.find((a) => a.id === m.agreementId);
    if (!agreement) {
      out.push({ severity: 'error', code: 'AMENDMENT_UNKNOWN_AGREEMENT', where: m.where, refs: [m.id], message: `amendment ${m.id} amends agreement "${m.agreementId}", which does not exist${hintFor(m.agreementId, compiled.agreements.map((a) => a.id))}; it has no effect` });
      continue;
    }
    for (const u of m.unknownClauses) {
      out.push({ severity: 'error', code: 'AMENDMENT_UNKNOWN_CLAUSE', where: u.where, refs: [m.id], message: `amendment ${m.id} names clause "${u.id}", which agreement ${agreement.id} does not have${hintFor(u.id, agreement.clauses.map((c) => c.id))}; that part has no effect` });
    }
    if (m.effectiveMs < agreement.termStartMs || m.effectiveMs >= agreement.termEndMs) {
      out.push({ severity: 'warning', code: 'AMENDMENT_OUTSIDE_TERM', where: m.where, refs: [m.id], message: `amendment ${m.id} takes effect ${fmtInstant(m.effectiveMs)}, outside the term of ${agreement.id} (${fmtInstant(agreement.termStartMs)} → ${fmtEnd(agreement.termEndMs)})` });
    }
  }
  const unknownDep = (c: Clause, id: string, field: string): void => {
    if (!byId.has(id)) out.push({ severity: 'error', code: 'UNKNOWN_DEPLOYMENT', where: c.where, refs: [c.ref], message: `${c.ref}: ${field} names deployment "${id}", which the config does not declare${hintFor(id, depIds)}` });
  };
  for (const c of allClauses(compiled)) {
    if (c.type === 'reservation') {
      unknownDep(c, c.deployment, 'deployment');
      const dep = byId.get(c.deployment);
      const owner = dep ? compiled.partyByAccount.get(dep.account) : undefined;
      if (dep && owner !== c.partyId) out.push({ severity: 'warning', code: 'RESERVATION_NOT_OWNED', where: c.where, refs: [c.ref], message: `${c.ref}: deployment ${dep.id} bills to account ${dep.account}, which is not ${c.partyId}'s` });
    }
    if (c.type === 'commitment') {
      c.countsToward.deployments.forEach((id) => unknownDep(c, id, 'countsToward'));
      Object.keys(c.maxUsdPerHour).forEach((id) => unknownDep(c, id, 'maxUsdPerHour'));
    }
    if (c.type === 'preferred-share' || c.type === 'exclusivity' || c.type === 'early-access') {
      for (const m of c.models) {
        if (!(m in ctx.models)) out.push({ severity: 'warning', code: 'UNKNOWN_MODEL', where: c.where, refs: [c.ref], message: `${c.ref}: model "${m}" is not served by any pool in the config${hintFor(m, Object.keys(ctx.models))}` });
      }
    }
  }
  for (const p of compiled.parties) {
    for (const a of p.accounts) {
      if (!ctx.deployments.some((d) => d.account === a)) out.push({ severity: 'warning', code: 'ACCOUNT_UNUSED', refs: [p.id], message: `party ${p.id}: no deployment bills to account "${a}"${hintFor(a, [...new Set(ctx.deployments.map((d) => d.account))])}` });
    }
  }
  const dup = new Spans<string[]>();
  for (const s of ctx.ahead) {
    const seen = new Map<string, string>();
    for (const c of s.clauses) {
      if (c.type !== 'reservation') continue;
      const first = seen.get(c.deployment);
      if (first !== undefined) dup.add(`${first}|${c.ref}`, s.startMs, s.endMs, [first, c.ref]);
      else seen.set(c.deployment, c.ref);
    }
  }
  for (const d of dup.spans()) {
    out.push({ severity: 'error', code: 'RESERVATION_DUPLICATE', refs: d.data, message: `${d.data.join(' and ')} reserve the same deployment from ${fmtInstant(d.startMs)} to ${fmtEnd(d.endMs)}; only the first counts` });
  }
  return out;
}

export function checkShares(ctx: CheckContext): Finding[] {
  const spans = new Spans<{ scope: string; refs: string[]; sum: number; where: string }>();
  for (const s of ctx.ahead) {
    const byScope = new Map<string, Clause[]>();
    for (const c of s.clauses) if (c.type === 'preferred-share') byScope.set(c.scope, [...(byScope.get(c.scope) ?? []), c]);
    for (const [scope, list] of byScope) {
      const sum = list.reduce((t, c) => t + (c.type === 'preferred-share' ? c.minPercent : 0), 0);
      if (sum > 100) spans.add(`${scope}|${list.map((c) => c.ref).join(',')}`, s.startMs, s.endMs, { scope, refs: list.map((c) => c.ref), sum, where: list[list.length - 1]!.where });
    }
  }
  return spans.spans().map(({ startMs, endMs, data }) => ({
    severity: 'error',
    code: 'SHARES_ABOVE_100',
    where: data.where,
    refs: data.refs,
    message: `preferred shares of ${data.scope.replace(':', ' ')} add up to ${data.sum}% from ${fmtInstant(startMs)} to ${fmtEnd(endMs)} (${data.refs.join(', ')}); no routing can honour them all`,
  }));
}
