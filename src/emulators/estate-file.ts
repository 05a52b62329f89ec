// `treaty emulate --estate estate.yaml`: an estate described in YAML, including standing
// faults per deployment. Strict: unknown keys are errors, so a typo never silently does nothing.

import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { DEPLOYMENT_DEFAULTS } from './core/engine.js';
import { buildFault } from './core/faults.js';
import type { CloudSpec, DeploymentInput } from './estate.js';

const CLOUD_KEYS = new Set(['name', 'provider', 'port', 'apiKey', 'region', 'credentials', 'deployments']);
const DEPLOYMENT_KEYS = new Set(['name', 'model', ...Object.keys(DEPLOYMENT_DEFAULTS)]);

export function loadEstateFile(file: string): CloudSpec[] {
  const raw = parse(readFileSync(file, 'utf8')) as { clouds?: unknown };
  if (!raw || !Array.isArray(raw.clouds)) throw new Error(`${file}: expected a top-level "clouds:" list`);
  return raw.clouds.map((c: Record<string, unknown>, i: number) => {
    const where = `${file}: clouds[${i}]`;
    for (const k of Object.keys(c)) if (!CLOUD_KEYS.has(k)) throw new Error(`${where}: unknown key "${k}" (allowed: ${[...CLOUD_KEYS].join(', ')})`);
    if (!['openai', 'azure', 'bedrock'].includes(String(c.provider))) throw new Error(`${where}: provider must be openai, azure or bedrock`);
    if (!Array.isArray(c.deployments)) throw new Error(`${where}: deployments must be a list`);
    const deployments = c.deployments.map((d: Record<string, unknown>, j: number) => {
      for (const k of Object.keys(d)) if (!DEPLOYMENT_KEYS.has(k)) throw new Error(`${where}.deployments[${j}]: unknown key "${k}" (allowed: ${[...DEPLOYMENT_KEYS].join(', ')})`);
      if (typeof d.name !== 'string') throw new Error(`${where}.deployments[${j}]: name is required`);
      const faults = Array.isArray(d.faults) ? d.faults.map((f: Record<string, unknown>) => buildFault(String(f.fault), f)) : [];
      return { ...d, faults } as DeploymentInput;
    });
    return { ...(c as unknown as CloudSpec), deployments };
  });
}
