// Redis comes back, but the replicas' subscribers reconnect after their command connections
// have re-synced (each connection has its own reconnect back-off): news sent in that gap is
// heard by nobody, so a replica says again what it holds, and asks the others for theirs,
// once it can hear the answers.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { until, type ClusterHarness } from './support/cluster-harness.js';
import { ProxiedCluster } from './support/proxied-cluster.js';
import { describeWithServices } from './support/services.js';
import type { FaultyProxy } from './support/tcp-proxy.js';

const c = new ProxiedCluster({});
const { state, allRedis } = c;
let h: ClusterHarness;
let proxy: FaultyProxy;

await describeWithServices('cluster: subscribers back after the re-sync', true, () => {
  beforeAll(async () => {
    ({ h, proxy } = await c.start());
  }, 60_000);
  afterAll(() => c.close(), 30_000);

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
