// What a blocking clause forbids, in one place, so the policy engine (per request) and the
// conflict checker (per model and class) can never disagree about it.

import type { Deployment } from '../domain/deployment.js';
import { fmtEnd, fmtInstant } from './time.js';
import type { BlockingClause, Clause, CompiledContracts } from './types.js';

/** The party that owns a deployment (through its account), or null when no party does. */
export function partyOf(compiled: CompiledContracts, dep: Pick<Deployment, 'account'>): string | null {
  return compiled.partyByAccount.get(dep.account) ?? null;
}

/** Why `clause` forbids `dep` (undefined when it allows it). `party` is the deployment's party. */
export function violation(clause: BlockingClause, dep: Pick<Deployment, 'region'>, party: string | null): string | undefined {
  if (clause.type === 'residency') {
    return clause.regions.includes(dep.region) ? undefined : `region ${dep.region} is not allowed by ${clause.ref} (allowed: ${clause.regions.join(', ')})`;
  }
  if (party === clause.partyId) return undefined;
  const what = [clause.models.length ? `model ${clause.models.join('/')}` : '', clause.classId !== null ? `class ${clause.classId}` : ''].filter(Boolean).join(', ');
  return `${what} only via ${clause.partyId} until ${fmtEnd(clause.windowEndMs)} (${clause.type} ${clause.ref})`;
}

/** One line a person can read, for findings, the admin view and docs. */
export function describeClause(c: Clause): string {
  switch (c.type) {
    case 'commitment':
      return `spend ≥ $${c.amountUsd.toLocaleString('en-US')} with ${c.partyId} over ${fmtInstant(c.termStartMs)} → ${fmtEnd(c.termEndMs)} (${c.schedule}, ${c.discountPercent}% discount, shortfall ${c.shortfall})`;
    case 'reservation':
      return `reserved capacity on ${c.deployment}: ${[c.capacity.concurrency !== undefined ? `${c.capacity.concurrency} in flight` : '', c.capacity.tokensPerMinute !== undefined ? `${c.capacity.tokensPerMinute} tokens/min` : ''].filter(Boolean).join(', ')} for $${c.usdPerPeriod}/${c.period}`;
    case 'preferred-share':
      return `≥ ${c.minPercent}% of ${c.classId !== null ? `class ${c.classId}` : `model ${c.models.join('/')}`} to ${c.partyId} per ${c.period}`;
    case 'exclusivity':
    case 'early-access':
      return `${[c.models.length ? `model ${c.models.join('/')}` : '', c.classId !== null ? `class ${c.classId}` : ''].filter(Boolean).join(', ')} only via ${c.partyId}, ${fmtInstant(c.windowStartMs)} → ${fmtEnd(c.windowEndMs)}${c.type === 'early-access' ? ' (early access)' : ''}`;
    case 'residency':
      return `${[c.tenants.length ? `tenants ${c.tenants.join('/')}` : '', c.classId !== null ? `class ${c.classId}` : ''].filter(Boolean).join(', ')} only in ${c.regions.join(', ')}`;
  }
}
