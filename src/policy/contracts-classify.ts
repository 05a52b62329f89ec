// Which traffic class a request belongs to: the class its tenant or key is assigned to
// (when declared), else the FIRST class whose match rules fit, else none. Pure.

import type { ClassMatcher, CompiledContracts, TrafficClass } from '../contracts/types.js';

/** What the policy engine knows about a request. */
export interface RequestFacts {
  /** The public model name asked for. */
  model: string;
  tenantId: string | null;
  keyId: string | null;
  tags: readonly string[];
  /** A class the tenant or key is assigned to (admin API); wins over match rules when declared. */
  trafficClass?: string | null;
  /** The estimate ranking prices a request at (prompt estimate + the completion budget). */
  expectedTokens: { prompt: number; completion: number };
}

function hit(m: ClassMatcher, value: string | null): boolean {
  if (value === null) return false;
  if (m.exact.has(value)) return true;
  for (const p of m.prefixes) if (value.startsWith(p)) return true;
  return false;
}

function matches(c: TrafficClass, f: RequestFacts): boolean {
  if (c.catchAll) return true;
  const results: boolean[] = [];
  if (c.tenants) results.push(hit(c.tenants, f.tenantId));
  if (c.keys) results.push(hit(c.keys, f.keyId));
  if (c.tags) results.push(f.tags.some((t) => hit(c.tags!, t)));
  if (c.models) results.push(hit(c.models, f.model));
  return c.combine === 'all' ? results.every(Boolean) : results.some(Boolean);
}

export function classify(compiled: CompiledContracts, facts: RequestFacts): string | null {
  if (facts.trafficClass) {
    for (const c of compiled.classes) if (c.id === facts.trafficClass) return c.id;
  }
  for (const c of compiled.classes) if (matches(c, facts)) return c.id;
  return null;
}
