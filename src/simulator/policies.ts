// The routing policies a simulation can compare. `contracts` is the gateway's: the real
// decide() at every hop, with the verdict composed as the gateway's ContractGovernance.route
// composes it. The others are simple contract-blind baselines that only order candidates;
// the contracts still book every served request, so their cost and compliance are measured.

import type { CompiledContracts } from '../contracts/types.js';
import type { Deployment } from '../domain/deployment.js';
import type { RequestFacts } from '../policy/contracts-classify.js';
import { decide, type Decision } from '../policy/contracts-decide.js';
import type { Health, RankingWeights } from '../policy/contracts-rank.js';
import type { ContractState } from '../policy/contracts-state.js';

export const POLICIES = ['contracts', 'cheapest', 'round-robin', 'balancer'] as const;
export type PolicyName = (typeof POLICIES)[number];

export const POLICY_DOCS: Readonly<Record<PolicyName, string>> = {
  contracts: 'the gateway\'s contract policy: decide() filters and ranks at every hop',
  cheapest: 'lowest list price first, contract-blind',
  'round-robin': 'each request starts one further along the pool, contract-blind',
  balancer: 'the gateway without contracts: weighted power-of-two-choices only',
};

export interface Verdict {
  /** Deployments that may serve (best first for the contract policy). */
  allowed: readonly Deployment[];
  /** The order to try among those available now; absent: the balancer decides. */
  preferred?: readonly string[];
  /** Fail-closed clauses left nothing (the gateway answers 403). */
  blocked?: string;
  decision?: Decision;
}

export interface RoutingPolicy {
  readonly name: PolicyName;
  route(pool: string, facts: RequestFacts, eligible: readonly Deployment[], now: number, failedHere: { has(id: string): boolean }): Verdict;
}

export interface PolicyContext {
  contracts: CompiledContracts | undefined;
  state: ContractState;
  health: (id: string, now: number) => Health;
  weights?: RankingWeights;
}

export function makePolicy(name: PolicyName, ctx: PolicyContext): RoutingPolicy {
  switch (name) {
    case 'contracts':
      return contractPolicy(ctx);
    case 'cheapest':
      return { name, route: (_pool, facts, eligible) => ({ allowed: eligible, preferred: byPrice(eligible, facts) }) };
    case 'round-robin': {
      const next = new Map<string, number>();
      return {
        name,
        route: (pool, _facts, eligible) => {
          const i = next.get(pool) ?? 0;
          next.set(pool, i + 1);
          const k = eligible.length ? i % eligible.length : 0;
          return { allowed: eligible, preferred: [...eligible.slice(k), ...eligible.slice(0, k)].map((d) => d.id) };
        },
      };
    }
    case 'balancer':
      return { name, route: (_pool, _facts, eligible) => ({ allowed: eligible }) };
  }
}

function contractPolicy(ctx: PolicyContext): RoutingPolicy {
  const compiled = ctx.contracts;
  if (!compiled) throw new Error('the contracts policy needs contracts: set contracts.file in treaty.yaml or pass --contracts');
  return {
    name: 'contracts',
    route: (_pool, facts, eligible, now, failedHere) => {
      // As ContractGovernance.route: a deployment that already failed this request counts as
      // unavailable for it, which is what lets a serve-elsewhere clause move on.
      const d = decide(compiled, facts, eligible, ctx.state, now, (id) => {
        const h = ctx.health(id, now);
        return failedHere.has(id) ? { ...h, available: false } : h;
      }, ctx.weights);
      // Compliant deployments only down right now go last, so selection may wait for one.
      const waitable = d.filtered.filter((f) => f.clauseId === null).map((f) => f.deploymentId);
      const allowed = [...d.ranked, ...waitable].map((id) => eligible.find((c) => c.id === id)).filter((x): x is Deployment => x !== undefined);
      const v: Verdict = { allowed, preferred: d.ranked, decision: d };
      if (d.blockedBy?.length && !d.ranked.length) v.blocked = d.blockedBy.map((b) => b.reason).join('; ');
      return v;
    },
  };
}

/** Cheapest list price for the request's expected tokens first; an unknown price sorts last (never as free). */
function byPrice(eligible: readonly Deployment[], facts: RequestFacts): string[] {
  const price = (d: Deployment): number => (d.prices ? facts.expectedTokens.prompt * d.prices.usdPerMTokIn + facts.expectedTokens.completion * d.prices.usdPerMTokOut : Infinity);
  return eligible.map((d, i) => ({ id: d.id, p: price(d), i })).sort((a, b) => a.p - b.p || a.i - b.i).map((x) => x.id);
}
