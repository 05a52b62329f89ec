// The preferred-share counters of the current period, re-derived from the ledger's served
// attempts. In-memory counters start empty, so a restart mid-month used to forget every request
// already served this month: the live counters (admin API, /metrics, dashboard) read low, and
// the share controller, seeing the preferred party far below its floor, steered traffic to it
// that the period did not need. Pure: the caller queries the ledger and installs the result.

import { partyOf } from '../contracts/rules.js';
import { segmentAt } from '../contracts/timeline.js';
import type { CompiledContracts } from '../contracts/types.js';
import type { ServedCount } from '../ledger/store.js';
import { shareScopesOf } from '../policy/contracts-attribution.js';

/** Share scope → party ('' for the scope's total) → served requests. */
export type ShareTally = Map<string, Map<string, number>>;

/**
 * Tallies `served` (one period's attempts) the way each served attempt is counted live: the
 * same shareScopesOf and partyOf the live attribution uses, under the terms in force at `at`,
 * so seeded and live counts add up the same.
 */
export function tallyShares(compiled: CompiledContracts, served: readonly ServedCount[], at: number): ShareTally {
  const index = segmentAt(compiled, at).index;
  const out: ShareTally = new Map();
  for (const row of served) {
    const party = partyOf(compiled, row);
    for (const scope of shareScopesOf(index, row.classId, row.model)) {
      let counts = out.get(scope);
      if (!counts) out.set(scope, (counts = new Map()));
      counts.set('', (counts.get('') ?? 0) + row.attempts);
      if (party !== null) counts.set(party, (counts.get(party) ?? 0) + row.attempts);
    }
  }
  return out;
}
