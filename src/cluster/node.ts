// Cluster mode for one replica: the piece main.ts wires in. It owns the Redis link and hands
// out what the gateway swaps in — a CounterStore for rate limits, a HealthTracker that tells
// and hears news — and keeps contracts, key revocations and orphan sweeping in step with the
// other replicas. Nothing here is on the request path except the counter scripts.

import type { ContractsHolder, ReloadResult } from '../governance/contracts-holder.js';
import type { AttemptRow, LedgerStore, OrphanSettlement } from '../ledger/store.js';
import type { Logger } from '../observability/logger.js';
import type { HealthConfig } from '../routing/health.js';
import { ClusterBus } from './bus.js';
import { ContractSync } from './contract-sync.js';
import { Membership } from './membership.js';
import type { ClusterOptions, FailMode } from './options.js';
import { RedisCounterStore } from './redis-counter-store.js';
import { RedisLink } from './redis-link.js';
import { SharedHealthTracker } from './shared-health.js';
import { ClusterSweeper } from './sweeper.js';

export interface ClusterDeps {
  log: Logger;
  now: () => number;
  random: () => number;
}

export interface ClusterStatus {
  replicaId: string;
  redis: 'up' | 'down';
  /** Epoch ms since when Redis is unavailable, else null. */
  downSince: number | null;
  /** Live replicas at the last heartbeat; `sharesOf` is what local shares divide caps by. */
  replicas: number;
  sharesOf: number;
  failMode: FailMode;
  /** Rate-limit checks decided by Redis, and locally (Redis down or late); late replies undone. */
  limits: { shared: number; local: number; lateTakenBack: number };
  events: { published: number; received: number; malformed: number };
  /** Contract counter exchanges with Redis that succeeded and failed. */
  contractSync: { synced: number; failed: number } | null;
}

/** How often commitment spend before the ledger/Redis boundary is re-read from the ledger. */
const RESEED_MS = 60_000;

/** How long a replica waits for Redis at start before it starts on local state anyway. */
const CONNECT_WAIT_MS = 2_000;

export class ClusterNode {
  readonly counters: RedisCounterStore;
  private readonly link: RedisLink;
  private readonly bus: ClusterBus;
  private readonly membership: Membership;
  private sweeper: ClusterSweeper | undefined;
  private contracts: ContractSync | undefined;
  private readonly log: Logger;

  /** Builds everything without I/O; `connect()` starts it once the gateway has wired it in. */
  constructor(
    readonly opts: ClusterOptions,
    private readonly deps: ClusterDeps,
  ) {
    this.log = deps.log.child({ replica: opts.replicaId });
    this.link = new RedisLink({ redisUrl: opts.redisUrl, commandTimeoutMs: opts.commandTimeoutMs }, this.log, deps.now);
    this.bus = new ClusterBus(this.link, opts.keyPrefix, opts.replicaId);
    this.membership = new Membership(this.link, opts.keyPrefix, opts.replicaId, opts.heartbeatMs, deps.now);
    this.counters = new RedisCounterStore(this.link, { keyPrefix: opts.keyPrefix, failMode: opts.failMode, replicas: () => this.sharesOf(), now: deps.now });
  }

  /** The replica's HealthTracker: ejections, cooldowns and recoveries are shared. Call once. */
  healthTracker(cfg: HealthConfig, pools: () => Iterable<readonly string[]>): SharedHealthTracker {
    const poolsOf = (id: string): (readonly string[])[] => [...pools()].filter((p) => p.includes(id));
    const health = new SharedHealthTracker(cfg, this.deps.random, poolsOf, { publish: (n) => this.bus.publish(n) });
    const ids = (): Set<string> => new Set([...pools()].flat());
    this.bus.on((ev, from) => {
      if (ev.kind === 'health' || ev.kind === 'recovered' || ev.kind === 'reset') {
        if (health.applyRemote(ev, from, this.deps.now())) this.log.debug('health news applied', { from, ...ev });
      } else if (ev.kind === 'health-sync') {
        for (const n of health.activeNews(ids(), this.deps.now())) this.bus.publish(n);
      }
    });
    // Back from an outage (or just started), once we can hear the answers: say what we hold, and
    // ask the others for theirs.
    this.link.whenListening(() => {
      for (const n of health.activeNews(ids(), this.deps.now())) this.bus.publish(n);
      this.bus.publish({ kind: 'health-sync' });
    });
    return health;
  }

  /**
   * A reload anywhere (admin call or file watch) reloads everywhere. Each replica re-reads its
   * own contracts file, so the file must be the same on all of them (e.g. one ConfigMap).
   * `reloaded` runs after a reload this replica did because another announced it.
   */
  syncContracts(holder: ContractsHolder, reloaded: (r: ReloadResult) => void): void {
    let remote = false;
    holder.onChange((c) => {
      if (!remote) this.bus.publish({ kind: 'contracts', version: c.compiled.version });
    });
    const reload = (announced: string | undefined): void => {
      remote = true;
      let r: ReloadResult;
      try {
        r = holder.reload();
      } finally {
        remote = false;
      }
      if (r.ok && announced !== undefined && r.version !== announced) {
        this.log.error('contracts differ between replicas: another replica announced a version this one does not have', { announced, here: r.version });
      }
      if (!r.ok || r.changed) reloaded(r);
    };
    this.bus.on((ev) => {
      if (ev.kind === 'contracts' && ev.version !== holder.get()?.compiled.version) reload(ev.version);
    });
    // An announcement missed during an outage: the file is the truth, read it again.
    this.link.afterUp(() => {
      if (holder.get()) reload(undefined);
    });
  }

  /** Revocations elsewhere drop this replica's key cache at once (not within its 1 s TTL). */
  syncKeys(auth: { forget(): void }): void {
    this.bus.on((ev) => {
      if (ev.kind === 'keys-revoked') auth.forget();
    });
    this.link.afterUp(() => auth.forget());
  }

  /** Tell the others a key was revoked here (call after the ledger committed the revocation). */
  keyRevoked(): void {
    this.bus.publish({ kind: 'keys-revoked' });
  }

  /**
   * Commitment, share and reservation counters shared by every replica (the contracts'
   * LiveContractState), synced every contractSyncMs. `requestTimeoutMs` bounds how long an
   * attempt can run, which places the boundary between ledger and Redis figures.
   */
  contractCounters(ledger: Pick<LedgerStore, 'spendToDate'>, requestTimeoutMs: number): ContractSync {
    const horizonMs = requestTimeoutMs + this.opts.orphanMarginMs;
    this.contracts = new ContractSync(this.link, ledger, { keyPrefix: this.opts.keyPrefix, replicaId: this.opts.replicaId, syncMs: this.opts.contractSyncMs, horizonMs, reseedMs: RESEED_MS }, this.log, this.deps.now);
    return this.contracts;
  }

  /** Settles rows orphaned by dead replicas, by age, on one replica at a time. */
  sweepOrphans(ledger: Pick<LedgerStore, 'recoverOrphans' | 'releaseStaleHolds'>, settle: (row: AttemptRow) => OrphanSettlement, requestTimeoutMs: number): void {
    this.sweeper = new ClusterSweeper(this.link, ledger, settle, { keyPrefix: this.opts.keyPrefix, replicaId: this.opts.replicaId, intervalMs: this.opts.sweepIntervalMs, maxAgeMs: requestTimeoutMs + this.opts.orphanMarginMs }, this.log, this.deps.now);
  }

  /** Connects (waiting at most 2 s; a replica starts on local state if Redis is away), then heartbeats and sweeps. */
  async connect(): Promise<void> {
    this.membership.start();
    await this.link.connect(CONNECT_WAIT_MS);
    this.sweeper?.start();
    this.contracts?.start();
    this.log.info('cluster mode', { redis: this.link.isUp ? 'up' : 'down', replicas: this.membership.count, failMode: this.opts.failMode });
  }

  status(): ClusterStatus {
    return {
      replicaId: this.opts.replicaId,
      redis: this.link.isUp ? 'up' : 'down',
      downSince: this.link.downSince ?? null,
      replicas: this.membership.count,
      sharesOf: this.sharesOf(),
      failMode: this.opts.failMode,
      limits: { ...this.counters.decided },
      events: { ...this.bus.counts },
      contractSync: this.contracts ? { ...this.contracts.counts } : null,
    };
  }

  async close(): Promise<void> {
    this.contracts?.stop();
    await this.sweeper?.stop();
    await this.membership.stop();
    await this.link.close();
  }

  /** N for local shares: configured, else the live replicas seen at the last heartbeat. */
  private sharesOf(): number {
    return this.opts.replicas ?? this.membership.count;
  }
}
