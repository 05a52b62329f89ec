import { describe, expect, it } from 'vitest';
import { DEFAULT_HEALTH, type HealthConfig } from '../routing/health.js';
import type { HealthNews } from './health-merge.js';
import { SharedHealthTracker } from './shared-health.js';

const cfg: HealthConfig = { ...DEFAULT_HEALTH, consecutiveFailures: 2, ejectionBaseMs: 1_000, ejectionJitterMs: 0, maxEjectionPercent: 50 };
const POOL = ['a', 'b', 'c', 'd'];

/** Two replicas joined by a synchronous "bus" that records what was said. */
function pair() {
  const said: { from: string; news: HealthNews }[] = [];
  let now = 1_000_000;
  const mk = (name: string): SharedHealthTracker =>
    new SharedHealthTracker(cfg, () => 0, (id) => (POOL.includes(id) ? [POOL] : []), { publish: (news) => said.push({ from: name, news }) });
  const r1 = mk('r1');
  const r2 = mk('r2');
  const deliver = (): void => {
    for (const { from, news } of said.splice(0)) (from === 'r1' ? r2 : r1).applyRemote(news, from, now);
  };
  return { r1, r2, said, deliver, at: () => now, advance: (ms: number) => (now += ms) };
}

describe('shared health', () => {
  it('an ejection on one replica takes the deployment out on the other, until the same time', () => {
    const p = pair();
    p.r1.onFailure('a', 'server_error', p.at(), POOL);
    expect(p.said).toHaveLength(0);
    p.r1.onFailure('a', 'server_error', p.at(), POOL);
    expect(p.said).toHaveLength(1);
    p.deliver();
    const a2 = p.r2.availability('a', p.at());
    expect(a2).toMatchObject({ state: 'ejected', until: p.r1.snapshot('a').ejectedUntil });
    expect((a2 as { reason: string }).reason).toMatch(/2 consecutive failures.*seen by r1/);
  });

  it('success on a healthy deployment says nothing (the hot path stays local)', () => {
    const p = pair();
    for (let i = 0; i < 100; i++) p.r1.onSuccess('a');
    expect(p.said).toHaveLength(0);
  });

  it('a successful half-open probe anywhere brings the deployment back everywhere', () => {
    const p = pair();
    p.r1.onFailure('a', 'x', p.at(), POOL);
    p.r1.onFailure('a', 'x', p.at(), POOL);
    p.deliver();
    p.advance(1_001);
    p.r1.onAttemptStart('a', p.at());
    p.r1.onSuccess('a');
    expect(p.said.map((s) => s.news.kind)).toEqual(['recovered']);
    p.deliver();
    expect(p.r2.availability('a', p.at())).toEqual({ state: 'available', probe: false });
  });

  it('a recovery also ends a longer ejection the other replica holds', () => {
    const p = pair();
    p.r2.onFailure('a', 'x', p.at(), POOL);
    p.r2.onFailure('a', 'x', p.at(), POOL);
    p.said.splice(0);
    p.r2.applyRemote({ kind: 'recovered', id: 'a' }, 'r1', p.at());
    expect(p.r2.availability('a', p.at()).state).toBe('available');
  });

  it('shares cooldowns, and news never shortens a longer local one', () => {
    const p = pair();
    p.r1.onRateLimited('b', 5_000, p.at());
    p.r2.onRateLimited('b', 9_000, p.at());
    p.deliver();
    expect(p.r2.snapshot('b').coolingUntil).toBe(p.at() + 9_000);
    expect(p.r1.snapshot('b').coolingUntil).toBe(p.at() + 9_000);
  });

  it('honours max-ejection-percent for news too: a replica keeps a pool to route to', () => {
    const p = pair();
    for (const id of ['a', 'b']) {
      p.r2.onFailure(id, 'x', p.at(), POOL);
      p.r2.onFailure(id, 'x', p.at(), POOL);
    }
    p.said.splice(0);
    // r1 ejected c on its own; r2's news about a and b would take 3 of 4 out (> 50 %) there.
    p.r1.onFailure('c', 'x', p.at(), POOL);
    p.r1.onFailure('c', 'x', p.at(), POOL);
    p.said.splice(0);
    for (const n of p.r2.activeNews(POOL, p.at())) p.r1.applyRemote(n, 'r2', p.at());
    expect(POOL.filter((id) => p.r1.availability(id, p.at()).state === 'ejected')).toEqual(['a', 'c']);
  });

  it('an operator reset on one replica resets everywhere', () => {
    const p = pair();
    p.r1.onFailure('a', 'x', p.at(), POOL);
    p.r1.onFailure('a', 'x', p.at(), POOL);
    p.deliver();
    p.r1.resetOne('a');
    p.deliver();
    expect(p.r2.availability('a', p.at()).state).toBe('available');
  });

  it('lists only what it holds right now for a replica that (re)joins', () => {
    const p = pair();
    p.r1.onRateLimited('d', 1_000, p.at());
    expect(p.r1.activeNews(POOL, p.at())).toEqual([{ kind: 'health', id: 'd', ejectedUntil: 0, coolingUntil: p.at() + 1_000, timesEjected: 0, reason: 'rate limited (retry-after 1000 ms)' }]);
    expect(p.r1.activeNews(POOL, p.at() + 1_000)).toEqual([]);
  });
});
