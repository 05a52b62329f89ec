// Redis comes back, but the replicas' subscribers reconnect after their command connections
// have re-synced (each connection has its own reconnect back-off): news sent in that gap is
// heard by nobody, so a replica says again what it holds, and asks the others for theirs,
// once it can hear the answers.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { ClusterHarness, until } from './support/cluster-harness.js';
import { describeWithServices, REDIS_URL } from './support/services.js';
import { FaultyProxy } from './support/tcp-proxy.js';

let h: ClusterHarness;
let proxy: FaultyProxy;
const status = async (i: number) => (await h.admin<{ redis: string; sharesOf: number }>(i, 'GET', '/admin/cluster')).body;
const state = async (i: number, id: string) => (await h.admin<{ deployments: { id: string; state: string }[] }>(i, 'GET', '/admin/estate')).body.deployments.find((d) => d.id === id)!.state;
const allRedis = async (want: string) => (await Promise.all([0, 1, 2].map(status))).every((s) => s.redis === want);

await describeWithServices('cluster: subscribers back after the re-sync', true, () => {
  beforeAll(async () => {
    const u = new URL(REDIS_URL);
    proxy = await new FaultyProxy(u.hostname, Number(u.port || 6379)).start();
    h = await new ClusterHarness({ redisUrl: proxy.url, resilience: '  consecutiveFailures: 3\n  ejectionBaseMs: 20000\n  ejectionJitterMs: 0' }).start();
    await until(async () => (await Promise.all([0, 1, 2].map(status))).every((s) => s.sharesOf === 3), 5_000, 50);
  }, 60_000);
  afterAll(async () => {
    await h?.close();
    await proxy?.close();
  }, 30_000);

  it('health re-syncs when the subscribers come back after the command connections have re-synced', async () => {
    proxy.set('down');
    await until(() => allRedis('down'), 2_000);
    // Replica 0 ejects d2 while nobody can hear it.
    h.estate.engine.setFaults('openai', 'm2', [{ fault: 'server_error' }]);
    await h.ejectVia(0, 'd2');
    h.estate.engine.setFaults('openai', 'm2', []);
    // Redis returns, but every subscriber is cut as it subscribes: the command connections
    // re-sync and report up while no replica can hear another.
    proxy.blockSubscribers(true);
    proxy.set('pass');
    await until(() => allRedis('up'), 5_000);
    await new Promise((r) => setTimeout(r, 300));
    expect([await state(1, 'd2'), await state(2, 'd2')]).toEqual(['available', 'available']);
    // Once they can hear each other, they say again what they hold.
    proxy.blockSubscribers(false);
    const t0 = Date.now();
    await until(async () => (await state(1, 'd2')) === 'ejected' && (await state(2, 'd2')) === 'ejected', 5_000, 20);
    console.log(JSON.stringify({ lateSubscribers: { healthResyncedMs: Date.now() - t0 } }));
  }, 60_000);

});
