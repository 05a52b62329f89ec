// Cluster nodes in the test process (one per "replica"), talking to the real Redis through a
// relay the test can break, under a fresh key prefix: the setup and clean-up the in-process
// cluster suites share.

import { ClusterNode, clusterOptions, type ClusterSettings } from '../../../src/cluster/index.js';
import type { Logger } from '../../../src/observability/logger.js';
import { dropRedisPrefix, REDIS_URL, runId } from './services.js';
import { FaultyProxy } from './tcp-proxy.js';

export interface RelayedSpec {
  /** Names the run's key prefix. */
  tag: string;
  log: Logger;
  settings?: Omit<Partial<ClusterSettings>, 'redisUrl' | 'keyPrefix' | 'replicaId'>;
  /** Start with the relay down (Redis unreachable at start). */
  startDown?: boolean;
  now?: () => number;
  /** Wires each node (e.g. its contract counters) before it connects. */
  beforeConnect?: (node: ClusterNode) => void;
}

export class RelayedNodes {
  nodes: ClusterNode[] = [];
  proxy: FaultyProxy | undefined;
  private readonly prefixes: string[] = [];

  /** `n` connected nodes named r0…r(n-1) behind a fresh relay. */
  async start(n: number, spec: RelayedSpec): Promise<{ nodes: ClusterNode[]; proxy: FaultyProxy; prefix: string }> {
    const u = new URL(REDIS_URL);
    const proxy = await new FaultyProxy(u.hostname, Number(u.port || 6379)).start();
    this.proxy = proxy;
    if (spec.startDown) proxy.set('down');
    const prefix = `${runId(spec.tag)}:`;
    this.prefixes.push(prefix);
    this.nodes = Array.from({ length: n }, (_, i) => new ClusterNode(clusterOptions({ ...spec.settings, redisUrl: proxy.url, keyPrefix: prefix, replicaId: `r${i}` }), { log: spec.log, now: spec.now ?? Date.now, random: Math.random }));
    for (const node of this.nodes) spec.beforeConnect?.(node);
    await Promise.all(this.nodes.map((x) => x.connect()));
    return { nodes: this.nodes, proxy, prefix };
  }

  /** After each test: nodes closed, relay gone. */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.close()));
    this.nodes = [];
    await this.proxy?.close();
    this.proxy = undefined;
  }

  /** After the suite: every key the runs wrote. */
  async dropPrefixes(): Promise<void> {
    for (const p of this.prefixes) await dropRedisPrefix(p);
  }
}
