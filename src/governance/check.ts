// The contracts checked against the estate a config describes: shared by `treaty contracts
// check` and GET /admin/contracts, so both report the same findings.

import type { GatewayConfig } from '../config/compile.js';
import { checkContracts } from '../contracts/check.js';
import type { Finding } from '../contracts/findings.js';
import type { CompiledContracts } from '../contracts/types.js';

export function checkAgainstConfig(compiled: CompiledContracts, config: GatewayConfig, now: number): Finding[] {
  const models = Object.fromEntries([...config.models.values()].map((m) => [m.name, m.deployments.map((d) => d.id)]));
  return checkContracts(compiled, { deployments: [...config.deployments.values()], models, now });
}
