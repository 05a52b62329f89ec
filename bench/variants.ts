// Reads bench/variants.yaml (or a file given with --variants): `base`, an overlay merged into
// every Treaty target, and the variants, each an overlay and optionally node flags that replace
// the bin's (e.g. '' to show what they buy). Shared by run.ts and ab.ts.

import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';

export interface BenchVariant {
  name: string;
  overlay: string;
  nodeArgs?: string[];
  /** Fields for the bench tenant, as the admin API takes them (e.g. budgetUsd, budgetPeriod). */
  tenant?: Record<string, unknown>;
}

/** An absent or empty file has no base and no variants. */
export function readBenchVariants(file: string): { base: string; variants: BenchVariant[] } {
  const doc = existsSync(file) ? (parseYaml(readFileSync(file, 'utf8')) as { base?: string; variants?: { name: string; overlay?: string; nodeArgs?: string; tenant?: Record<string, unknown> }[] } | null) : null;
  return {
    base: doc?.base ?? '',
    variants: (doc?.variants ?? []).map((v) => ({ name: v.name, overlay: v.overlay ?? '', ...(v.nodeArgs !== undefined ? { nodeArgs: v.nodeArgs.split(/\s+/).filter(Boolean) } : {}), ...(v.tenant ? { tenant: v.tenant } : {}) })),
  };
}
