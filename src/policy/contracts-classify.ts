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
  // Indexed loops here and below: no iterator objects even before the optimiser has run.
  const prefixes = m.prefixes;
  for (let i = 0; i < prefixes.length; i++) if (value.startsWith(prefixes[i]!)) return true;
  return false;
}

/** Whether any of the request's tags fits. */
function anyTag(m: ClassMatcher, tags: readonly string[]): boolean {
  for (let i = 0; i < tags.length; i++) if (hit(m, tags[i]!)) return true;
  return false;
}

/**
 * The class's rules combined with `all` or `any` (all of none is true, any of none false),
 * stopping at the first rule that decides; no array or closure per call (this runs at every hop).
 */
function matches(c: TrafficClass, f: RequestFacts): boolean {
  if (c.catchAll) return true;
  const all = c.combine === 'all';
  if (c.tenants && hit(c.tenants, f.tenantId) !== all) return !all;
  if (c.keys && hit(c.keys, f.keyId) !== all) return !all;
  if (c.tags && anyTag(c.tags, f.tags) !== all) return !all;
  if (c.models && hit(c.models, f.model) !== all) return !all;
  return all;
}

export function classify(compiled: CompiledContracts, facts: RequestFacts): string | null {
  const classes = compiled.classes;
  if (facts.trafficClass) {
    for (let i = 0; i < classes.length; i++) if (classes[i]!.id === facts.trafficClass) return classes[i]!.id;
  }
  for (let i = 0; i < classes.length; i++) if (matches(classes[i]!, facts)) return classes[i]!.id;
  return null;
}
