// Reading what a simulation needs from files: the gateway's config (the same treaty.yaml,
// through the gateway's own loader), the contracts, the traffic file, and the variants named
// on the command line (`policy` or `policy@contracts.yaml`).

import { readFileSync } from 'node:fs';
import { basename, dirname, extname, resolve } from 'node:path';
import type { GatewayConfig } from '../config/compile.js';
import { ConfigError } from '../config/schema-dsl.js';
import { parseContracts } from '../contracts/compile.js';
import type { CompiledContracts } from '../contracts/types.js';
import { loadConfig } from '../main.js';
import { POLICIES, type PolicyName } from './policies.js';
import { BUILT_IN_BEHAVIOUR, checkTrafficReferences, parseTrafficFile, type EstateSpec, type TrafficFile } from './traffic-file.js';
import type { VariantSpec } from './types.js';

function read(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([`${file}: cannot read the ${what} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`]);
  }
}

export function loadGatewayConfig(file: string): GatewayConfig {
  // Secrets play no part in a simulation: unset env references pass as placeholders.
  const env = new Proxy(process.env, { get: (t, k) => (typeof k === 'string' ? (t[k] ?? 'unset-for-simulation') : undefined) });
  return loadConfig({ configPath: file, env });
}

export function loadContracts(file: string): CompiledContracts {
  return parseContracts(read(file, 'contracts file'), file);
}

/** The contracts the config names (contracts.file, relative to the config), or --contracts. */
export function baseContractsFile(configFile: string, config: GatewayConfig, override: string | undefined): string | undefined {
  if (override) return override;
  return config.contracts.file ? resolve(dirname(configFile), config.contracts.file) : undefined;
}

/** `contracts,cheapest,round-robin@other.yaml` → variants; no list: the contract policy (or the balancer without contracts). */
export function parseVariants(list: string | undefined, base: string | undefined): VariantSpec[] {
  const cache = new Map<string, CompiledContracts>();
  const contractsAt = (file: string | undefined): CompiledContracts | undefined => {
    if (!file) return undefined;
    let c = cache.get(file);
    if (!c) cache.set(file, (c = loadContracts(file)));
    return c;
  };
  const items = (list ?? (base ? 'contracts' : 'balancer')).split(',').map((s) => s.trim()).filter(Boolean);
  const names = new Set<string>();
  return items.map((item) => {
    const [policy, file] = item.split('@') as [string, string | undefined];
    if (!(POLICIES as readonly string[]).includes(policy)) throw new Error(`--compare: unknown policy "${policy}"; use ${POLICIES.join(', ')} (optionally policy@contracts.yaml)`);
    const contracts = contractsAt(file ?? base);
    if (policy === 'contracts' && !contracts) throw new Error('the contracts policy needs contracts: set contracts.file in treaty.yaml or pass --contracts');
    let name = file ? `${policy}@${basename(file, extname(file))}` : policy;
    for (let i = 2; names.has(name); i++) name = `${name}#${i}`;
    names.add(name);
    return { name, policy: policy as PolicyName, contracts };
  });
}

export function loadTraffic(file: string, config: GatewayConfig, variants: readonly VariantSpec[]): TrafficFile {
  const tf = parseTrafficFile(read(file, 'traffic file'), file);
  const commitments = new Set<string>();
  for (const v of variants) for (const seg of v.contracts?.segments ?? []) for (const c of seg.index.commitments) commitments.add(c.ref);
  checkTrafficReferences(tf, { deployments: [...config.deployments.keys()], models: [...config.models.keys()], commitments: [...commitments] });
  return tf;
}

/** The estate when no traffic file describes it (a replay without one): built-in behaviour, capacity from reservations only. */
export const DEFAULT_ESTATE: EstateSpec = { replicas: 1, defaults: BUILT_IN_BEHAVIOUR, deployments: [] };
