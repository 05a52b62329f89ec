// The replicas' news channel: one Redis pub/sub channel per cluster carrying small JSON
// events. Delivery is at most once (pub/sub): anything missed while a replica or Redis was
// away is made good by the re-sync each replica runs when its link comes back up.

import type { HealthNews } from './health-merge.js';
import type { RedisLink } from './redis-link.js';

export type ClusterEvent =
  | HealthNews
  /** A replica (re)joined: everyone re-announces what they hold against deployments. */
  | { kind: 'health-sync' }
  /** Contracts version `version` is now in force on the sender. */
  | { kind: 'contracts'; version: string }
  /** A key was revoked: drop cached key lookups now instead of within the cache TTL. */
  | { kind: 'keys-revoked' };

interface Envelope {
  from: string;
  ev: ClusterEvent;
}

type Handler = (ev: ClusterEvent, from: string) => void;

export class ClusterBus {
  private readonly channel: string;
  private readonly handlers: Handler[] = [];
  /** Counters for the cluster status view and tests. */
  readonly counts = { published: 0, received: 0, malformed: 0 };

  constructor(
    private readonly link: RedisLink,
    keyPrefix: string,
    private readonly replicaId: string,
  ) {
    this.channel = `${keyPrefix}events`;
    link.subscribe(this.channel, (raw) => this.receive(raw));
  }

  publish(ev: ClusterEvent): void {
    if (!this.link.isUp) return;
    this.counts.published++;
    this.link.publish(this.channel, JSON.stringify({ from: this.replicaId, ev } satisfies Envelope));
  }

  on(handler: Handler): void {
    this.handlers.push(handler);
  }

  private receive(raw: string): void {
    let env: Envelope;
    try {
      env = JSON.parse(raw) as Envelope;
    } catch {
      this.counts.malformed++;
      return;
    }
    // Our own events come back to us through Redis: we already acted on them.
    if (env.from === this.replicaId || typeof env.ev?.kind !== 'string') return;
    this.counts.received++;
    for (const h of this.handlers) h(env.ev, env.from);
  }
}
