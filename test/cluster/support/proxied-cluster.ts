// Three replicas reaching Redis through a relay the test breaks (FaultyProxy), started once
// every replica counts the others, and the reads the outage tests make of them.

import { ClusterHarness, until, type ClusterSpec } from './cluster-harness.js';
import { REDIS_URL } from './services.js';
import { FaultyProxy } from './tcp-proxy.js';

/** Ejects after 3 failures in a row, for 20 s: long enough to outlast an outage in a test. */
const RESILIENCE = '  consecutiveFailures: 3\n  ejectionBaseMs: 20000\n  ejectionJitterMs: 0';

export class ProxiedCluster {
  h!: ClusterHarness;
  proxy!: FaultyProxy;

  constructor(private readonly spec: Omit<ClusterSpec, 'redisUrl'>) {}

  async start(): Promise<this> {
    const u = new URL(REDIS_URL);
    this.proxy = await new FaultyProxy(u.hostname, Number(u.port || 6379)).start();
    this.h = await new ClusterHarness({ resilience: RESILIENCE, ...this.spec, redisUrl: this.proxy.url }).start();
    await until(async () => (await Promise.all([0, 1, 2].map(this.status))).every((s) => s.sharesOf === 3), 5_000, 50);
    return this;
  }

  async close(): Promise<void> {
    await this.h?.close();
    await this.proxy?.close();
  }

  /** Replica `i`'s view of the cluster (`redis`: up or down). */
  readonly status = async (i: number): Promise<{ redis: string; sharesOf: number }> => (await this.h.admin<{ redis: string; sharesOf: number }>(i, 'GET', '/admin/cluster')).body;

  /** Deployment `id`'s health state as replica `i` sees it. */
  readonly state = async (i: number, id: string): Promise<string> =>
    (await this.h.admin<{ deployments: { id: string; state: string }[] }>(i, 'GET', '/admin/estate')).body.deployments.find((d) => d.id === id)!.state;

  /** Whether every replica reports Redis `want`. */
  readonly allRedis = async (want: string): Promise<boolean> => (await Promise.all([0, 1, 2].map(this.status))).every((s) => s.redis === want);
}
