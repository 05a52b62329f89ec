// Which replicas are alive: each writes a heartbeat (a sorted-set score = its last beat) and
// reads how many beat recently. N is what local shares divide caps by when Redis goes away,
// so the last count seen before an outage is the one that counts.

import type { RedisLink } from './redis-link.js';

export class Membership {
  private readonly key: string;
  private timer: NodeJS.Timeout | undefined;
  private alive = 1;

  constructor(
    private readonly link: RedisLink,
    keyPrefix: string,
    private readonly replicaId: string,
    private readonly heartbeatMs: number,
    private readonly now: () => number,
  ) {
    this.key = `${keyPrefix}replicas`;
  }

  /** Live replicas at the last heartbeat (at least 1: this one). */
  get count(): number {
    return this.alive;
  }

  start(): void {
    this.link.onUp(() => this.beat());
    this.timer = setInterval(() => void this.beat().catch(() => undefined), this.heartbeatMs);
    this.timer.unref();
  }

  /** One beat: announce, forget replicas silent for three beats, count the rest. */
  async beat(): Promise<void> {
    const now = this.now();
    const res = await this.link.run((r) =>
      r
        .multi()
        .zadd(this.key, now, this.replicaId)
        .zremrangebyscore(this.key, '-inf', now - 3 * this.heartbeatMs)
        .zcard(this.key)
        .pexpire(this.key, 10 * this.heartbeatMs)
        .exec(),
    );
    const card = res?.[2]?.[1];
    if (typeof card === 'number') this.alive = Math.max(1, card);
  }

  /** Leaves the set on a clean shutdown, so the others' N drops at once. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    if (this.link.isUp) await this.link.run((r) => r.zrem(this.key, this.replicaId)).catch(() => undefined);
  }
}
