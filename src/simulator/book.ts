// What a served part means: its cost (the ledger's pricing: list, and effective under the
// contract terms in force), what it adds to commitments, shares and reservations (attribute(),
// as the gateway books a finished attempt), and whether it broke a blocking clause — with the
// contracts' leave (an exception) or without (a breach).

import { attemptCost } from '../accounting/pricing.js';
import { partyOf, violation } from '../contracts/rules.js';
import { countsToward } from '../contracts/schedule.js';
import { blockingClauses, segmentAt } from '../contracts/timeline.js';
import type { BlockingClause, CompiledContracts } from '../contracts/types.js';
import type { Deployment } from '../domain/deployment.js';
import { attribute } from '../policy/contracts-attribution.js';
import { classify, type RequestFacts } from '../policy/contracts-classify.js';
import type { ServedPart } from './attempt-loop.js';
import type { VariantMetrics } from './metrics.js';
import type { SimContractState } from './sim-state.js';

export interface BookContext {
  contracts: CompiledContracts | undefined;
  state: SimContractState;
  metrics: VariantMetrics;
  /** Whether a deployment could have taken the request at `t` (capabilities and health), for auditing contract-blind policies. */
  couldServe(dep: Deployment, t: number): boolean;
  poolOf(model: string): readonly Deployment[];
}

export function bookServed(ctx: BookContext, part: ServedPart, cls: string): void {
  const { req, dep, weight: m, at } = part;
  const usage = { promptTokens: req.promptTokens * m, completionTokens: req.completionTokens * m, totalTokens: (req.promptTokens + req.completionTokens) * m, cachedPromptTokens: req.cachedPromptTokens * m };
  let terms = { discount: 0, reserved: false };
  let cloud = dep.account;
  const compiled = ctx.contracts;
  if (compiled) {
    const facts: RequestFacts = part.model === req.facts.model ? req.facts : { ...req.facts, model: part.model };
    const a = attribute(compiled, facts, dep, at, { prompt: usage.promptTokens, completion: usage.completionTokens });
    ctx.state.recordServed(a, m);
    cloud = a.partyId ?? dep.account;
    // The gateway's terms (ContractGovernance.terms): prepaid capacity costs nothing at the
    // margin; otherwise the best discount of the commitments the spend counts toward.
    let discount = 0;
    if (!a.reservationRef) for (const c of segmentAt(compiled, at).index.commitments) if (countsToward(c, dep)) discount = Math.max(discount, c.discountPercent / 100);
    terms = { discount, reserved: a.reservationRef !== null };
    if (a.reservationRef) ctx.metrics.onReservation(at, a.reservationRef, m, usage.totalTokens, m * part.latencyMs);
    audit(ctx, compiled, part, facts);
    for (const c of part.verdict.decision?.candidates ?? []) {
      for (const f of c.flags) if (f.startsWith('reserved-full:') && c.deploymentId !== dep.id) ctx.metrics.spill(f.slice('reserved-full:'.length), m);
    }
  }
  const cost = attemptCost(dep.prices, usage, terms);
  ctx.metrics.servedPart({ arrivedAt: req.t, cls, weight: m, endToEndMs: at - part.startedAt + part.latencyMs, deployment: dep.id, cloud, prompt: usage.promptTokens, completion: usage.completionTokens, listUsd: cost?.listUsd, effectiveUsd: cost?.effectiveUsd });
}

function audit(ctx: BookContext, compiled: CompiledContracts, part: ServedPart, facts: RequestFacts): void {
  const blocking = blockingClauses(segmentAt(compiled, part.at), facts.model, classify(compiled, facts), facts.tenantId);
  if (!blocking.length) return;
  const broken = blocking.filter((c) => violation(c, part.dep, partyOf(compiled, part.dep)) !== undefined);
  if (!broken.length) return;
  let allowed: ReadonlySet<string>;
  const decision = part.verdict.decision;
  if (decision) {
    // The contract policy: exactly the clauses decide() kept this candidate under.
    allowed = new Set(decision.candidates.find((c) => c.deploymentId === part.dep.id)?.exceptions ?? []);
  } else {
    // A contract-blind policy gets the leave only where decide() would have given it: nothing
    // compliant could serve, and every clause broken allows serving elsewhere.
    const compliant = (d: Deployment): boolean => blocking.every((c: BlockingClause) => violation(c, d, partyOf(compiled, d)) === undefined);
    const anyCompliant = ctx.poolOf(part.model).some((d) => compliant(d) && ctx.couldServe(d, part.at));
    allowed = !anyCompliant && broken.every((c) => c.onUnavailable === 'serve-elsewhere') ? new Set(broken.map((c) => c.ref)) : new Set();
  }
  for (const c of broken) ctx.metrics.clause(allowed.has(c.ref) ? 'exception' : 'breach', c.ref, part.weight);
}
