// Seeds one replica's in-memory contract counters from the ledger (the durable truth) at
// start-up and after a contracts reload; from then on they move in memory as attempts finish.
// (Cluster mode keeps these counters in Redis instead: src/cluster.)

import { periodOf } from '../contracts/time.js';
import type { PreferredShareClause } from '../contracts/types.js';
import type { LedgerStore } from '../ledger/store.js';
import type { InMemoryContractState } from '../policy/contracts-state.js';
import type { ContractsHolder } from './contracts-holder.js';
import { tallyShares } from './share-seed.js';

export async function seedContractCounters(holder: ContractsHolder, state: InMemoryContractState, ledger: LedgerStore, now: number): Promise<void> {
  const compiled = holder.get()?.compiled;
  if (!compiled) return;
  const clauses = compiled.agreements.flatMap((a) => a.clauses);
  // Commitment spend to date, over each commitment's whole term.
  for (const c of clauses) if (c.type === 'commitment') state.setCommitmentSpend(c.ref, await ledger.spendToDate(c.countsToward.accounts, c.termStartMs, now + 1));
  // Preferred shares of the current month and quarter: the periods the share controller ranks
  // with and the live counters show. A served attempt counts in both, as it does live. On a
  // reload under traffic, an attempt counted live whose row is not yet queued for the ledger
  // at that instant drops out of the count (a handful, never a double count).
  const kinds = new Set(clauses.filter((c): c is PreferredShareClause => c.type === 'preferred-share').map((c) => c.period));
  for (const kind of kinds) {
    const period = periodOf(kind, now);
    state.replaceShares(period.key, tallyShares(compiled, await ledger.servedCounts(period.startMs, now + 1), now));
  }
}
