// Redis unavailable, with three replica processes reaching it through a relay the test breaks:
// limits fall back to local shares (closed mode here; both modes in counter-store.test.ts),
// health stays local, everything re-syncs when Redis returns, and no request hangs on a dead
// or hung Redis.

import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { until, type ClusterHarness } from './support/cluster-harness.js';
import { ProxiedCluster } from './support/proxied-cluster.js';
import { runLoad, tally } from './support/load.js';
import { describeWithServices, REDIS_URL } from './support/services.js';
import type { FaultyProxy } from './support/tcp-proxy.js';

const c = new ProxiedCluster({ cluster: { failMode: 'closed' } });
const { status, state, allRedis } = c;
let h: ClusterHarness;
let proxy: FaultyProxy;

await describeWithServices('cluster: Redis unavailable', true, () => {
  beforeAll(async () => {
    ({ h, proxy } = await c.start());
  }, 60_000);
  afterAll(() => c.close(), 30_000);

  it('local shares while Redis is down, health stays local, and both re-sync when it returns', async () => {
    const { key, keyId } = await h.tenantKey(0, { rpm: 30 });
    const left = 60_000 - (Date.now() % 60_000);
    if (left < 15_000) await new Promise((r) => setTimeout(r, left + 50));
    const windowStart = Math.floor(Date.now() / 60_000) * 60_000;
    // Steady traffic first, counted in Redis.
    for (let i = 0; i < 12; i++) expect((await h.chat(i % 3, { key })).status).toBe(200);

    proxy.set('down');
    const downMs = await until(() => allRedis('down'), 2_000);
    const during = await runLoad(h, { replicas: [0, 1, 2], total: 60, concurrency: 6, key });
    const admitted = tally(during.filter((o) => o.status === 200), (o) => o.replica);
    // Closed: ⌊30 / 3⌋ less each replica's part of the 12 Redis had counted = 6 each: 30 in all.
    expect(admitted).toEqual({ 0: 6, 1: 6, 2: 6 });
    expect(during.filter((o) => o.status !== 200).every((o) => o.code === 'rate_limit_exceeded')).toBe(true);

    // Health stays local: replica 0's ejection is not heard by the others.
    h.estate.engine.setFaults('openai', 'm1', [{ fault: 'server_error' }]);
    await h.ejectVia(0, 'd1');
    h.estate.engine.setFaults('openai', 'm1', []);
    await new Promise((r) => setTimeout(r, 300));
    expect([await state(1, 'd1'), await state(2, 'd1')]).toEqual(['available', 'available']);

    proxy.set('pass');
    const t0 = Date.now();
    const upMs = await until(() => allRedis('up'), 5_000);
    // Redis now counts what the replicas admitted on their own, so the window stays at the cap.
    const direct = new Redis(REDIS_URL);
    const shared = Number(await direct.get(`${h.prefix}c:rpm:key:${keyId}@${windowStart}`));
    direct.disconnect();
    expect(shared).toBe(30);
    for (const i of [0, 1, 2]) expect((await h.chat(i, { key })).status).toBe(429);
    // Replica 0 re-announces the ejection it still holds; the others take it.
    const healthMs = await until(async () => (await state(1, 'd1')) === 'ejected' && (await state(2, 'd1')) === 'ejected', 1_000, 5).then(() => Date.now() - t0);
    console.log(JSON.stringify({ redisDown: { detectedWithinMs: downMs, admittedPerReplica: admitted, sharedCountAfterResync: shared, upWithinMs: upMs, healthResyncedMs: healthMs } }));
  }, 90_000);

  it('no request hangs on a hung Redis: one command timeout at most, then local until it answers', async () => {
    const { key } = await h.tenantKey(1, { rpm: 100_000, tpm: 10_000_000 });
    for (const i of [0, 1, 2]) expect((await h.chat(i, { key })).status).toBe(200);
    const base = await runLoad(h, { replicas: [0, 1, 2], total: 60, concurrency: 6, key });
    proxy.set('stall');
    const hung = await runLoad(h, { replicas: [0, 1, 2], total: 120, concurrency: 6, key });
    const downSeen = await Promise.all([0, 1, 2].map(status));
    proxy.set('pass');
    await until(() => allRedis('up'), 5_000);
    const p = (xs: number[], q: number) => xs.sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;
    console.log(JSON.stringify({ hungRedis: { baselineP50Ms: p(base.map((o) => o.ms), 0.5), hungP50Ms: p(hung.map((o) => o.ms), 0.5), hungMaxMs: Math.max(...hung.map((o) => o.ms)), statuses: tally(hung, (o) => o.status), replicasSawDown: downSeen.map((s) => s.redis) } }));
    expect(hung.every((o) => o.status === 200)).toBe(true);
    expect(downSeen.every((s) => s.redis === 'down')).toBe(true);
    // Bounded: the first request per replica waits out one command timeout (100 ms), no more.
    expect(Math.max(...hung.map((o) => o.ms))).toBeLessThan(Math.max(...base.map((o) => o.ms)) + 400);
  }, 60_000);
});
