// The HealthTracker of a clustered replica: the same state machine, plus news. Whenever a
// local outcome ejects a deployment, extends an ejection, starts a cooldown or closes a
// half-open probe successfully, the news goes to the other replicas; their news is merged in
// here. Success on a healthy deployment (the hot path) publishes nothing.

import { HealthTracker, type HealthConfig } from '../routing/health.js';
import { mergeNews, newsOf, type HealthNews } from './health-merge.js';

export interface HealthNewsPort {
  publish(news: HealthNews): void;
}

export class SharedHealthTracker extends HealthTracker {
  constructor(
    private readonly healthCfg: HealthConfig,
    private readonly rnd: () => number,
    /** The pools (member ids) a deployment belongs to, for max-ejection-percent. */
    private readonly poolsOf: (id: string) => readonly (readonly string[])[],
    private readonly news: HealthNewsPort,
  ) {
    super(healthCfg, rnd);
  }

  override onSuccess(id: string): void {
    const recovering = this.get(id).halfOpen;
    super.onSuccess(id);
    if (recovering) this.news.publish({ kind: 'recovered', id });
  }

  override onRateLimited(id: string, retryAfterMs: number | undefined, now: number): number {
    const before = this.get(id).coolingUntil;
    const until = super.onRateLimited(id, retryAfterMs, now);
    if (until > before) this.tell(id, now);
    return until;
  }

  override onFailure(id: string, reason: string, now: number, poolIds: readonly string[]): void {
    const before = this.get(id).ejectedUntil;
    super.onFailure(id, reason, now, poolIds);
    if (this.get(id).ejectedUntil > before) this.tell(id, now);
  }

  override reset(): void {
    super.reset();
    this.news.publish({ kind: 'reset', id: null });
  }

  override resetOne(id: string): void {
    super.resetOne(id);
    this.news.publish({ kind: 'reset', id });
  }

  /** Another replica's news. Never re-published: each replica speaks only for what it saw. */
  applyRemote(news: HealthNews, from: string, now: number): boolean {
    if (news.kind === 'reset') {
      if (news.id === null) super.reset();
      else super.resetOne(news.id);
      return true;
    }
    const jitter = this.rnd() * this.healthCfg.ejectionJitterMs;
    return mergeNews(this.get(news.id), news, from, now, news.kind === 'health' && this.mayEject(news.id, now), jitter);
  }

  /** Everything this replica currently holds against a deployment, for a replica (re)joining. */
  activeNews(ids: Iterable<string>, now: number): HealthNews[] {
    const out: HealthNews[] = [];
    for (const id of ids) {
      const n = newsOf(id, this.snapshot(id), now);
      if (n) out.push(n);
    }
    return out;
  }

  private tell(id: string, now: number): void {
    const n = newsOf(id, this.snapshot(id), now);
    if (n) this.news.publish(n);
  }

  /** Max-ejection-percent holds for remote ejections too: this replica still needs a pool to route to. */
  private mayEject(id: string, now: number): boolean {
    if (now < this.get(id).ejectedUntil) return true;
    for (const members of this.poolsOf(id)) {
      const othersOut = members.filter((m) => m !== id && now < this.get(m).ejectedUntil).length;
      if (othersOut > 0 && ((othersOut + 1) * 100) / members.length > this.healthCfg.maxEjectionPercent) return false;
    }
    return true;
  }
}
