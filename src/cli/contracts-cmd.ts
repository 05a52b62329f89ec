// `treaty contracts check` and `treaty contracts docs`.

import { readFileSync } from 'node:fs';
import { parseContracts } from '../contracts/compile.js';
import { exitCodeFor, formatFindings } from '../contracts/findings.js';
import { contractsReference } from '../contracts/reference.js';
import { checkAgainstConfig } from '../governance/check.js';
import { loadConfig } from '../main.js';

export function contractsCheck(opts: { config: string; contracts: string; strict?: boolean }): number {
  // Secrets are irrelevant to a contracts check: let unset env references pass as placeholders.
  const env = new Proxy(process.env, { get: (t, k) => (typeof k === 'string' ? (t[k] ?? 'unset-for-check') : undefined) });
  const config = loadConfig({ configPath: opts.config, env });
  const compiled = parseContracts(readFileSync(opts.contracts, 'utf8'), opts.contracts);
  const findings = checkAgainstConfig(compiled, config, Date.now());
  console.log(formatFindings(findings));
  console.log(`contracts version ${compiled.version.slice(0, 12)}: ${findings.length} finding(s)`);
  return exitCodeFor(findings, { strict: opts.strict ?? false });
}

export function contractsDocs(example: string): void {
  process.stdout.write(contractsReference({ example: readFileSync(example, 'utf8'), exampleFile: example }));
}
