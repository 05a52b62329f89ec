// The conflict checker: contracts against the configured estate, from `now` on. Pure: the
// deployments, the pools and the time come in; findings go out. Each rule lives in its own
// module (check-*.ts).

import { checkCommitments } from './check-commitment.js';
import type { CheckContext, CheckInput } from './check-context.js';
import { checkRefs, checkShares } from './check-refs.js';
import { checkEligibility, checkExclusivityOverlaps } from './check-windows.js';
import { sortFindings, type Finding } from './findings.js';
import type { CompiledContracts } from './types.js';

export type { CheckInput } from './check-context.js';

export function checkContracts(compiled: CompiledContracts, input: CheckInput): Finding[] {
  const ctx: CheckContext = {
    ...input,
    compiled,
    byId: new Map(input.deployments.map((d) => [d.id, d])),
    ahead: compiled.segments.filter((s) => s.endMs > input.now).map((s) => (s.startMs < input.now ? { ...s, startMs: input.now } : s)),
  };
  return sortFindings([...checkRefs(ctx), ...checkExclusivityOverlaps(ctx), ...checkShares(ctx), ...checkEligibility(ctx), ...checkCommitments(ctx)]);
}
