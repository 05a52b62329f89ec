// Cluster mode's settings, as the composition root hands them over (from treaty.yaml's
// `cluster:` section or `treaty serve --cluster redis://…`), with the defaults filled in.

import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';

/**
 * What rate limits do while Redis is unreachable. Both fall back to local shares (each replica
 * enforces its part of a cap on its own); they differ in which way they err:
 * - `open`: share = ⌈cap / N⌉, counted from zero. Errs toward serving: the window in which
 *   Redis went away can admit up to about twice the cap (what Redis counted + the shares).
 * - `closed`: share = ⌊cap / N⌋, less this replica's part of what Redis had already counted
 *   in the window. Errs toward the limit: the cluster stays within the cap (a cap smaller
 *   than N then refuses everything until Redis returns).
 */
export type FailMode = 'open' | 'closed';

export interface ClusterOptions {
  /** redis://[user:password@]host:port[/db]. */
  redisUrl: string;
  /** Prefix of every key and channel, so several clusters (or test runs) can share a Redis. */
  keyPrefix: string;
  failMode: FailMode;
  /** N for local shares; undefined = the number of live replicas last seen in the heartbeat set. */
  replicas: number | undefined;
  /** Longest a Redis command may take before the replica treats Redis as unavailable. */
  commandTimeoutMs: number;
  /** How often a replica announces itself (membership, for N). */
  heartbeatMs: number;
  /** How often one replica (whoever takes the lock) settles orphaned ledger rows. */
  sweepIntervalMs: number;
  /**
   * A `started` row older than the request timeout plus this margin cannot belong to a live
   * request on any replica (write batching and clock skew are covered by the margin).
   */
  orphanMarginMs: number;
  /** How often contract counters (commitment spend, shares, reservation use) are exchanged via Redis. */
  contractSyncMs: number;
  /** This replica's name in logs, heartbeats and events. */
  replicaId: string;
}

export const CLUSTER_DEFAULTS = {
  keyPrefix: 'treaty:',
  failMode: 'open',
  commandTimeoutMs: 100,
  heartbeatMs: 1_000,
  sweepIntervalMs: 30_000,
  orphanMarginMs: 60_000,
  contractSyncMs: 500,
} as const satisfies Partial<ClusterOptions>;

export type ClusterSettings = Partial<ClusterOptions> & { redisUrl: string };

export function clusterOptions(s: ClusterSettings): ClusterOptions {
  if (!/^rediss?:\/\//.test(s.redisUrl)) throw new Error('cluster: redisUrl must start with redis:// or rediss://');
  if (s.replicas !== undefined && (!Number.isInteger(s.replicas) || s.replicas < 1)) throw new Error('cluster: replicas must be a whole number ≥ 1');
  return {
    ...CLUSTER_DEFAULTS,
    replicas: undefined,
    replicaId: `${hostname()}-${process.pid}-${randomBytes(2).toString('hex')}`,
    ...Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined)),
  } as ClusterOptions;
}

/**
 * Cluster mode needs a ledger every replica shares: budgets, tenants, keys and the attempt
 * rows live there. An SQLite file would give each replica its own truth.
 */
export function assertSharedLedger(ledgerUrl: string): void {
  if (!/^postgres(ql)?:\/\//.test(ledgerUrl)) {
    throw new Error('cluster mode needs a shared ledger: set ledger.url (or --ledger) to postgres://…; an SQLite ledger would give each replica its own budgets, keys and attempt rows');
  }
}
