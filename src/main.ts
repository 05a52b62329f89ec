// The composition root: the one place that picks concrete implementations (adapters,
// transport, clock, randomness, stores) and wires them into the gateway.

import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { AdaptiveThrottle, DEFAULT_THROTTLE } from './routing/adaptive-throttle.js';
import { HealthTracker } from './routing/health.js';
import { RetryBudget } from './routing/retry-budget.js';
import type { Server } from 'node:http';
import { compileConfig, loadConfigFile, type GatewayConfig } from './config/compile.js';
import type { Deployment } from './domain/deployment.js';
import { createGatewayServer } from './http/server.js';
import { hashKey, StaticKeyAuth } from './http/auth.js';
import { createLogger, type Logger } from './observability/logger.js';
import { ChatProxy } from './proxy/chat-proxy.js';
import { DeploymentStats } from './proxy/deployment-stats.js';
import type { BoundAdapter } from './upstreams/adapter.js';
import { PROVIDERS } from './upstreams/registry.js';
import { AdminAuth } from './admin/auth.js';
import { estateRoutes } from './admin/estate-routes.js';
import { createAdminServer } from './admin/server.js';
import { LiveMetrics } from './observability/live-metrics.js';
import type { AttemptObserver } from './proxy/ports.js';
import { createUndiciTransport } from './upstreams/transport.js';

export interface StartOptions {
  /** Either a path to treaty.yaml, or the YAML text itself (with a label for error messages). */
  configPath?: string;
  configText?: string;
  configLabel?: string;
  env?: Readonly<Record<string, string | undefined>>;
  /** Overrides server.port (0 = any free port), e.g. for tests. */
  port?: number;
  /** Overrides admin.port. */
  adminPort?: number;
  logWrite?: (line: string) => void;
}

export interface RunningGateway {
  url: string;
  port: number;
  server: Server;
  config: GatewayConfig;
  log: Logger;
  health: HealthTracker;
  throttle: AdaptiveThrottle;
  /** Where the admin API listens, when admin.key is set. */
  adminUrl: string | undefined;
  close(): Promise<void>;
}

export function loadConfig(opts: StartOptions): GatewayConfig {
  const common = { providers: PROVIDERS, env: opts.env ?? process.env, hash: hashKey };
  if (opts.configText !== undefined) return compileConfig({ ...common, text: opts.configText, file: opts.configLabel ?? 'treaty.yaml' });
  if (!opts.configPath) throw new Error('startGateway needs configPath or configText');
  return loadConfigFile(opts.configPath, common);
}

export async function startGateway(opts: StartOptions): Promise<RunningGateway> {
  const config = loadConfig(opts);
  const log = createLogger(config.logging.level, opts.logWrite);
  const transport = createUndiciTransport();
  const bound = new Map<string, BoundAdapter>();
  const adapterFor = (dep: Deployment): BoundAdapter => {
    let a = bound.get(dep.id);
    if (!a) {
      a = PROVIDERS.get(dep.provider)!.bind(dep);
      bound.set(dep.id, a);
    }
    return a;
  };
  const live = new LiveMetrics(Date.now);
  const stats = new DeploymentStats();
  const observer: AttemptObserver = {
    started: () => undefined,
    finished: (t) => live.record(t, config.deployments.get(t.deploymentId)?.account ?? 'unknown'),
  };
  const r = config.resilience;
  const health = new HealthTracker({ ...r, rateLimitBaseMs: r.rateLimitCooldownMs, rateLimitMaxMs: 60_000 }, Math.random);
  const throttle = new AdaptiveThrottle({ ...DEFAULT_THROTTLE, k: r.throttleK });
  const proxy = new ChatProxy({
    timing: r,
    health,
    throttle,
    budget: new RetryBudget({ budgetPercent: r.retryBudgetPercent, minRetryConcurrency: r.minRetryConcurrency }),
    sleep: (ms, signal) => sleep(ms, undefined, { signal }).catch(() => undefined),
    model: (name) => config.models.get(name),
    adapter: adapterFor,
    transport,
    stats,
    random: Math.random,
    now: Date.now,
    log,
    maxAttempts: config.server.maxAttempts,
    observer,
  });
  const server = createGatewayServer({
    config,
    proxy,
    auth: new StaticKeyAuth(config.auth.keys, config.auth.disabled),
    log,
    now: Date.now,
    createdAt: Math.floor(Date.now() / 1000),
    ready: () => true,
  });
  const { url, port } = await listen(server, config.server.host, opts.port ?? config.server.port);
  log.info('gateway listening', { url, deployments: config.deployments.size, models: [...config.models.keys()] });
  let admin: { server: Server; url: string } | undefined;
  if (config.admin.key) {
    const adminServer = createAdminServer({
      auth: new AdminAuth(config.admin.key),
      log,
      routes: [(rt) => estateRoutes(rt, { config: () => config, health, stats, live, now: Date.now })],
    });
    admin = { server: adminServer, ...(await listen(adminServer, config.admin.host, opts.adminPort ?? config.admin.port)) };
    log.info('admin listening', { url: admin.url });
  }
  return {
    url,
    port,
    server,
    config,
    log,
    health,
    throttle,
    adminUrl: admin?.url,
    close: async () => {
      for (const s of [server, admin?.server]) {
        if (!s) continue;
        s.closeAllConnections();
        await new Promise<void>((r) => s.close(() => r()));
      }
      await transport.close();
    },
  };
}

async function listen(server: Server, host: string, port: number): Promise<{ url: string; port: number }> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  return { url: `http://${host.includes(':') ? `[${host}]` : host}:${actual}`, port: actual };
}
