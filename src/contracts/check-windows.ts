// Checker rules about windows and hard filters: exclusivities granted to different parties
// over the same traffic at the same time, and rules that leave a model with no deployment.

import type { Deployment } from '../domain/deployment.js';
import { Spans, type CheckContext } from './check-context.js';
import type { Finding } from './findings.js';
import { blockingClauses } from './timeline.js';
import { partyOf, violation } from './rules.js';
import { fmtEnd, fmtInstant } from './time.js';
import type { BlockingClause, Segment, TrafficClass, WindowClause } from './types.js';

export function checkExclusivityOverlaps(ctx: CheckContext): Finding[] {
  const spans = new Spans<{ a: WindowClause; b: WindowClause; over: string }>();
  for (const s of ctx.ahead) {
    const open = [...new Set([...s.index.windowsByModel.values(), ...s.index.windowsByClass.values()].flat())];
    for (let i = 0; i < open.length; i++) {
      for (let j = i + 1; j < open.length; j++) {
        const [a, b] = [open[i]!, open[j]!];
        if (a.partyId === b.partyId) continue;
        const models = a.models.filter((m) => b.models.includes(m));
        const over = [models.length ? `model ${models.join('/')}` : '', a.classId !== null && a.classId === b.classId ? `class ${a.classId}` : ''].filter(Boolean).join(' and ');
        if (over) spans.add(`${a.ref}|${b.ref}`, s.startMs, s.endMs, { a, b, over });
      }
    }
  }
  return spans.spans().map(({ startMs, endMs, data: { a, b, over } }) => ({
    severity: 'error',
    code: 'EXCLUSIVITY_OVERLAP',
    where: b.where,
    refs: [a.ref, b.ref],
    message: `${over} is granted exclusively to both ${a.partyId} (${a.ref}) and ${b.partyId} (${b.ref}) from ${fmtInstant(startMs)} to ${fmtEnd(endMs)}: no deployment can honour both`,
  }));
}

interface Profile {
  label: string;
  classId: string | null;
  tenantId: string | null;
  /** The models this traffic can ask for (undefined: any). */
  models?: readonly string[];
}

/** The models a class can ask for, when its match pins them down; otherwise any. */
function classModels(c: TrafficClass): readonly string[] | undefined {
  const onlyModels = c.models !== undefined && (c.combine === 'all' || (!c.tenants && !c.keys && !c.tags));
  return onlyModels && c.models!.prefixes.length === 0 ? c.modelNames : undefined;
}

function profiles(ctx: CheckContext, s: Segment): Profile[] {
  const out: Profile[] = [{ label: 'all traffic', classId: null, tenantId: null }];
  for (const c of ctx.compiled.classes) {
    const models = classModels(c);
    out.push({ label: `class ${c.id}`, classId: c.id, tenantId: null, ...(models ? { models } : {}) });
  }
  for (const tenant of s.index.residencyByTenant.keys()) out.push({ label: `tenant ${tenant}`, classId: null, tenantId: tenant });
  return out;
}

/** Pool members that pass every blocking clause, and why each other one fails. */
export function eligible(ctx: CheckContext, pool: readonly Deployment[], clauses: readonly BlockingClause[]): { ok: Deployment[]; why: Map<string, BlockingClause[]> } {
  const ok: Deployment[] = [];
  const why = new Map<string, BlockingClause[]>();
  for (const d of pool) {
    const party = partyOf(ctx.compiled, d);
    const blockers = clauses.filter((c) => violation(c, d, party) !== undefined);
    if (blockers.length) why.set(d.id, blockers);
    else ok.push(d);
  }
  return { ok, why };
}

export function poolOf(ctx: CheckContext, model: string): Deployment[] {
  return (ctx.models[model] ?? []).map((id) => ctx.byId.get(id)).filter((d): d is Deployment => d !== undefined);
}

export function checkEligibility(ctx: CheckContext): Finding[] {
  const spans = new Spans<{ model: string; label: string; blockers: BlockingClause[]; reasons: string[] }>();
  for (const s of ctx.ahead) {
    // One finding per model and set of blocking clauses: the traffic it hits is listed in it,
    // rather than repeating the same conflict for every class.
    const found = new Map<string, { model: string; labels: string[]; blockers: BlockingClause[]; reasons: string[] }>();
    for (const p of profiles(ctx, s)) {
      for (const model of p.models ?? Object.keys(ctx.models)) {
        const pool = poolOf(ctx, model);
        if (!pool.length) continue;
        const clauses = blockingClauses(s, model, p.classId, p.tenantId);
        if (!clauses.length) continue;
        const { ok, why } = eligible(ctx, pool, clauses);
        if (ok.length) continue;
        const blockers = [...new Set([...why.values()].flat())];
        const key = `${model}|${blockers.map((c) => c.ref).join(',')}`;
        const prev = found.get(key);
        if (prev) prev.labels.push(p.label);
        else found.set(key, { model, labels: [p.label], blockers, reasons: [...why].map(([id, cs]) => `${id}: ${cs.map((c) => violation(c, ctx.byId.get(id)!, partyOf(ctx.compiled, ctx.byId.get(id)!))).join('; ')}`) });
      }
    }
    for (const [key, f] of found) {
      const label = f.labels.includes('all traffic') ? 'all traffic' : f.labels.join(', ');
      spans.add(`${key}|${label}`, s.startMs, s.endMs, { model: f.model, label, blockers: f.blockers, reasons: f.reasons });
    }
  }
  return spans.spans().map(({ startMs, endMs, data }) => {
    // With every blocker allowing service elsewhere the traffic still flows, but each
    // request is an exception: a warning. Any fail-closed blocker refuses it: an error.
    const failsClosed = data.blockers.some((c) => c.onUnavailable === 'fail-closed');
    return {
      severity: failsClosed ? 'error' : 'warning',
      code: 'NO_ELIGIBLE_DEPLOYMENT',
      where: data.blockers[0]!.where,
      refs: data.blockers.map((c) => c.ref),
      message: `model ${data.model} has no eligible deployment for ${data.label} from ${fmtInstant(startMs)} to ${fmtEnd(endMs)} (${data.reasons.join(' | ')}); ${failsClosed ? 'those requests will be refused' : 'every such request will be served elsewhere as an exception'}`,
    } satisfies Finding;
  });
}
