// The ledger's life around the gateway: opening it as the serving process does (write-ahead
// journal, checkpoint worker), start-up recovery of what a dead process left (orphaned
// attempts settled from their estimates, their budget reservations released), and the
// hourly forgetting of completed Idempotency-Keys. Called by the composition root (main.ts).

import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { attemptCost } from '../accounting/pricing.js';
import type { GatewayConfig } from '../config/compile.js';
import { openLedger } from '../ledger/open.js';
import type { AttemptRow, LedgerStore, OrphanSettlement } from '../ledger/store.js';
import type { Logger } from '../observability/logger.js';

export async function openStore(config: GatewayConfig, override: string | undefined, log: Logger, clustered: boolean): Promise<LedgerStore> {
  const url = override ?? config.ledger.url;
  if (url.startsWith('sqlite:') && !url.includes(':memory:')) mkdirSync(dirname(url.slice('sqlite:'.length)), { recursive: true });
  // No waiting for company: writes queued in the same event-loop turn (and, on Postgres, during
  // a commit in flight) share a transaction anyway, so a wait would only add latency. A SQLite
  // file gets a write-ahead journal unless configured off: a turn's writes are acknowledged
  // after one append to it, and reach the database in batches every few ms
  // (src/ledger/sqlite/attempt-journal.ts).
  // Its WAL checkpoints run in a worker thread, off the event loop (sqlite/checkpointer.ts).
  const store = await openLedger(url, {
    durability: config.ledger.durability,
    batch: { maxDelayMs: 0 },
    writeAheadJournal: config.ledger.writeAheadJournal,
    checkpointInWorker: true,
    onCheckpointerFailure: (err) => log.error('ledger: the WAL checkpoint worker failed; checkpoints run inside commits again', { err }),
    // Reports' and counter seeding's aggregates (a month, a commitment's term) read off the
    // event loop, so asking for a report does not stall the traffic (sqlite/read-worker.ts).
    readInWorker: true,
    onReadWorkerFailure: (err) => log.error('ledger: the read worker failed; long reads run on the serving connection again', { err }),
  });
  await store.migrate();
  // Single process: every row still 'started' belongs to a process that died. Settle it from
  // its estimate now. Cluster mode sweeps by age instead (ClusterNode.sweepOrphans), since
  // the other replicas are alive and their in-flight rows look the same.
  if (clustered) return store;
  const now = Date.now();
  const settled = await store.recoverOrphans(now, settleOrphan(config));
  if (settled) log.warn('settled interrupted attempts from a previous run', { attempts: settled });
  // Their budget reservations too, at what the (just settled) attempts cost.
  const released = await store.releaseStaleHolds(now);
  if (released) log.warn('released budget reservations of requests from a previous run', { reservations: released });
  return store;
}

/** An interrupted attempt is settled from its prompt estimate; its completion stays unknown. */
export function settleOrphan(config: GatewayConfig): (row: AttemptRow) => OrphanSettlement {
  return (row) => {
    const dep = config.deployments.get(row.deploymentId);
    const usage = { promptTokens: row.estimatedPromptTokens, completionTokens: 0, totalTokens: row.estimatedPromptTokens };
    const cost = attemptCost(dep?.prices, usage);
    return { promptTokens: usage.promptTokens, completionTokens: null, listCostUsd: cost?.listUsd ?? null, effectiveCostUsd: cost?.effectiveUsd ?? null };
  };
}

/** How long a completed Idempotency-Key replays its answer (as long as other APIs keep theirs). */
const IDEMPOTENCY_RETENTION_MS = 24 * 3_600_000;

/** Forgets completed Idempotency-Keys past retention, now and hourly (every replica may: it is one guarded DELETE). */
export function pruneIdempotencyKeys(ledger: LedgerStore, log: Logger): () => void {
  const prune = (): void => {
    ledger.pruneIdempotency(Date.now() - IDEMPOTENCY_RETENTION_MS).then(
      (n) => n && log.info('forgot completed Idempotency-Keys past retention', { keys: n }),
      (err: unknown) => log.warn('pruning Idempotency-Keys failed; the next round retries', { err }),
    );
  };
  prune();
  const timer = setInterval(prune, 3_600_000);
  timer.unref();
  return () => clearInterval(timer);
}
