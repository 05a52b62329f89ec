// Settles ledger rows left `started` by a replica that died. A single process settles every
// such row at start-up, but in a cluster the other replicas are alive and their in-flight
// rows look the same; so the cutoff is an age no live request can reach (the request timeout
// plus a margin), and one replica at a time does it (a Redis lock whose TTL is the interval).

import type { LedgerStore, OrphanSettlement, AttemptRow } from '../ledger/store.js';
import type { Logger } from '../observability/logger.js';
import type { RedisLink } from './redis-link.js';

export interface SweeperOptions {
  keyPrefix: string;
  replicaId: string;
  intervalMs: number;
  /** Rows started longer ago than this are orphans: requestTimeoutMs + orphanMarginMs. */
  maxAgeMs: number;
}

export class ClusterSweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(
    private readonly link: RedisLink,
    private readonly ledger: Pick<LedgerStore, 'recoverOrphans' | 'releaseStaleHolds'>,
    private readonly settle: (row: AttemptRow) => OrphanSettlement,
    private readonly opts: SweeperOptions,
    private readonly log: Logger,
    private readonly now: () => number,
  ) {}

  start(): void {
    void this.tick();
    this.timer = setInterval(() => void this.tick(), this.opts.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** One round: sweep if this replica holds the lock (or if Redis cannot say: sweeping twice is harmless). */
  async tick(): Promise<number> {
    if (this.running) return 0;
    this.running = (async () => {
      if (!(await this.takeLock())) return 0;
      const before = this.now() - this.opts.maxAgeMs;
      const n = await this.ledger.recoverOrphans(before, this.settle);
      if (n) this.log.warn('settled attempts orphaned by a replica that stopped', { attempts: n, replica: this.opts.replicaId });
      // Then the budget reservations those requests held, at what their attempts were settled at.
      const held = await this.ledger.releaseStaleHolds(before);
      if (held) this.log.warn('released budget reservations held by a replica that stopped', { reservations: held, replica: this.opts.replicaId });
      return n;
    })();
    try {
      return await this.running;
    } catch (err) {
      this.log.error('orphan sweep failed; the next round retries', { err });
      return 0;
    } finally {
      this.running = undefined;
    }
  }

  private async takeLock(): Promise<boolean> {
    if (!this.link.isUp) return true;
    try {
      // No release: the lock's expiry is the schedule, so the sweep runs about once per interval cluster-wide.
      const ok = await this.link.run((r) => r.set(`${this.opts.keyPrefix}lock:sweeper`, this.opts.replicaId, 'PX', Math.max(1, this.opts.intervalMs - 50), 'NX'));
      return ok === 'OK';
    } catch {
      // The ledger's update is guarded (only rows still 'started'), so concurrent sweeps are safe.
      return true;
    }
  }
}
