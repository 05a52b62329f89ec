// The composition root: the one place that picks concrete implementations (adapters,
// transport, clock, randomness, stores) and wires them into the gateway.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Server as HttpServer } from 'node:http';
import type { Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { estimatePromptTokens } from './accounting/estimate.js';
import { attemptCost } from './accounting/pricing.js';
import { Admission } from './admission/admission.js';
import { AdminAuth } from './admin/auth.js';
import { estateRoutes } from './admin/estate-routes.js';
import { ledgerRoutes } from './admin/ledger-routes.js';
import { createAdminServer } from './admin/server.js';
import { serveStatic } from './admin/static-files.js';
import { tenantRoutes } from './admin/tenant-routes.js';
import { contractRoutes } from './admin/contract-routes.js';
import { simulationRoutes } from './admin/simulation-routes.js';
import type { Router } from './admin/router.js';
import { assertSharedLedger, ClusterNode, clusterOptions, clusterRoutes, type ClusterSettings, type CommitmentTerm } from './cluster/index.js';
import { InMemoryContractState } from './policy/contracts-state.js';
import { ContractsHolder } from './governance/contracts-holder.js';
import { ContractGovernance } from './governance/governance.js';
import { liveCounters } from './governance/live-counters.js';
import { seedContractCounters } from './governance/seed-counters.js';
import { resolve as resolvePath } from 'node:path';
import { compileConfig, loadConfigFile, type GatewayConfig } from './config/compile.js';
import type { ChatRequest } from './domain/chat.js';
import type { Deployment } from './domain/deployment.js';
import { hashKey } from './http/auth.js';
import { Authenticator } from './http/principal.js';
import { createGatewayServer, type GatewayServer } from './http/server.js';
import type { LedgerStore } from './ledger/store.js';
import { MemoryCounterStore } from './limits/counter-store.js';
import { RateLimiter } from './limits/rate-limiter.js';
import { LiveMetrics } from './observability/live-metrics.js';
import { GatewayMetrics } from './observability/metrics.js';
import { OtlpTraceExporter } from './observability/otlp-traces.js';
import { createLogger, type Logger } from './observability/logger.js';
import { sleepUnlessAborted } from './proxy/cancellation.js';
import { ChatProxy } from './proxy/chat-proxy.js';
import { DeploymentStats } from './proxy/deployment-stats.js';
import type { AttemptObserver, AttemptTrace } from './proxy/ports.js';
import { openStore, pruneIdempotencyKeys, settleOrphan } from './recording/ledger-lifecycle.js';
import { LedgerRecorder } from './recording/ledger-recorder.js';
import { AdaptiveThrottle, DEFAULT_THROTTLE } from './routing/adaptive-throttle.js';
import { HealthTracker } from './routing/health.js';
import { RetryBudget } from './routing/retry-budget.js';
import type { BoundAdapter } from './upstreams/adapter.js';
import { PROVIDERS } from './upstreams/registry.js';
import { createHttp1Transport, createUndiciTransport } from './upstreams/transport.js';

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
  /** The built dashboard (web/dist) served on the admin listener. */
  webDir?: string;
  /** Overrides ledger.url (tests use sqlite::memory:). */
  ledgerUrl?: string;
  logWrite?: (line: string) => void;
  /** Overrides the cluster section (treaty serve --cluster redis://…). */
  cluster?: ClusterSettings;
}

export interface RunningGateway {
  url: string;
  port: number;
  server: GatewayServer;
  config: GatewayConfig;
  log: Logger;
  health: HealthTracker;
  throttle: AdaptiveThrottle;
  ledger: LedgerStore;
  contracts: ContractsHolder;
  /** Cluster mode's node (Redis link, shared limits and health), when clustered. */
  cluster: ClusterNode | undefined;
  /** Where the admin API listens, when admin.key is set. */
  adminUrl: string | undefined;
  /**
   * Drains, then stops: /readyz says not ready, no new connections are accepted, requests in
   * progress run to their end for up to `graceMs` (default server.shutdownGraceMs; each
   * connection closes after its answer), the rest are cut, and once every request has ended
   * (its attempts recorded) the ledger is flushed and closed.
   */
  close(opts?: { graceMs?: number }): Promise<void>;
}

/** Reserved for a completion when the request names no max_tokens (a budget's worst case). */
const DEFAULT_COMPLETION_RESERVE = 4096;

export function loadConfig(opts: StartOptions): GatewayConfig {
  const common = { providers: PROVIDERS, env: opts.env ?? process.env, hash: hashKey };
  if (opts.configText !== undefined) return compileConfig({ ...common, text: opts.configText, file: opts.configLabel ?? 'treaty.yaml' });
  if (!opts.configPath) throw new Error('startGateway needs configPath or configText');
  return loadConfigFile(opts.configPath, common);
}

function worstCase(config: GatewayConfig): (req: ChatRequest, promptTokens: number) => number | undefined {
  return (req, promptTokens) => {
    const pool = config.models.get(req.model);
    const chain = [pool, ...(pool?.fallbacks ?? []).map((f) => config.models.get(f))];
    let worst: number | undefined;
    for (const d of chain.flatMap((p) => p?.deployments ?? [])) {
      const c = attemptCost(d.prices, { promptTokens, completionTokens: req.maxTokens ?? DEFAULT_COMPLETION_RESERVE, totalTokens: 0 });
      if (c) worst = Math.max(worst ?? 0, c.listUsd);
    }
    return worst;
  };
}

export async function startGateway(opts: StartOptions): Promise<RunningGateway> {
  const config = loadConfig(opts);
  const log = createLogger(config.logging.level, opts.logWrite);
  const redisUrl = opts.cluster?.redisUrl ?? config.cluster.redisUrl;
  const clusterSettings = redisUrl ? { ...config.cluster, ...opts.cluster, redisUrl } : undefined;
  if (clusterSettings) assertSharedLedger(opts.ledgerUrl ?? config.ledger.url);
  const ledger = await openStore(config, opts.ledgerUrl, log, clusterSettings !== undefined);
  const stopPruning = pruneIdempotencyKeys(ledger, log);
  const cluster = clusterSettings ? new ClusterNode(clusterOptions(clusterSettings), { log, now: Date.now, random: Math.random }) : undefined;
  const transport = (config.server.upstreamClient === 'undici' ? createUndiciTransport : createHttp1Transport)({ connectionsPerOrigin: config.server.upstreamConnections });
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
  const r = config.resilience;
  const healthCfg = { ...r, rateLimitBaseMs: r.rateLimitCooldownMs, rateLimitMaxMs: 60_000 };
  const health = cluster ? cluster.healthTracker(healthCfg, () => [...config.models.values()].map((m) => m.deployments.map((d) => d.id))) : new HealthTracker(healthCfg, Math.random);
  // contracts.enabled: false (a measurement switch) loads no contracts and runs no policy.
  const contractsFile = config.contracts.enabled ? config.contracts.file : undefined;
  if (!config.contracts.enabled && config.contracts.file) log.warn('contracts.enabled is false: routing ignores the contracts file', { file: config.contracts.file });
  const holder = new ContractsHolder(contractsFile && resolvePath(opts.configPath ? dirname(opts.configPath) : '.', contractsFile), Date.now);
  holder.load();
  // Cluster mode: commitment, share and reservation counters are the cluster's, over Redis.
  const sharedCounters = cluster?.contractCounters(ledger, config.server.requestTimeoutMs);
  const localCounters = sharedCounters ? undefined : new InMemoryContractState();
  const governance = new ContractGovernance({
    holder,
    state: sharedCounters?.counters ?? localCounters!,
    deployment: (id) => config.deployments.get(id),
    health: (id, now) => {
      const s = stats.view(id);
      const available = health.availability(id, now).state === 'available';
      return s.ewmaMs !== undefined ? { available, latencyMs: s.ewmaMs, outstanding: s.outstanding } : { available, outstanding: s.outstanding };
    },
  });
  const seed = (): Promise<void> => (sharedCounters ? sharedCounters.setContracts(...contractTerms(holder)) : seedContractCounters(holder, localCounters!, ledger, Date.now()));
  // At start an unreadable ledger stops the start; after a reload (file watch, another
  // replica's announcement, the admin call) the counts so far stay, logged once here, and the
  // result says whether they were re-read.
  await seed();
  const reseed = (): Promise<boolean> => seed().then(() => true, (err: unknown) => {
    log.error('contract counters could not be re-read from the ledger after a reload; the counts so far stay', { err });
    return false;
  });
  cluster?.syncContracts(holder, (res) => {
    if (res.ok) {
      log.info('contracts reloaded (announced by another replica)', { version: res.version });
      void reseed();
    } else log.error('contracts announced by another replica were rejected here; the old version stays in force', { problems: res.problems });
  });
  const stopWatching = config.contracts.watchMs > 0 ? holder.watch(config.contracts.watchMs, (res) => {
    if (res.ok && res.changed) {
      log.info('contracts reloaded', { version: res.version });
      void reseed();
    } else if (!res.ok) log.error('contracts change rejected; the old version stays in force', { problems: res.problems });
  }) : () => undefined;
  let listener: GatewayServer | undefined;
  /** Set by close(): /readyz answers 503 while requests in progress finish. */
  let draining = false;
  const retryBudget = new RetryBudget({ budgetPercent: r.retryBudgetPercent, minRetryConcurrency: r.minRetryConcurrency });
  const metrics = new GatewayMetrics({
    out: () => {
      const now = Date.now();
      return [...config.deployments.keys()].map((id) => ({ deployment: id, state: health.availability(id, now).state })).filter((o) => o.state !== 'available');
    },
    retryBudget: () => retryBudget.stats(),
    contracts: () => contractGauges(holder, governance, Date.now()),
    // The listener is made below; a scrape before it exists has no load to read.
    listener: () => listener?.load(),
    // Measured by the overload sampler, so only while overload control is on.
    ...(config.server.overload.lagTargetMs > 0 ? { lag: () => listener?.load().lag } : {}),
    ledger: () => ledger.writeStats(),
  });
  const tracer = config.telemetry.otlpEndpoint ? new OtlpTraceExporter(config.telemetry.otlpEndpoint, config.telemetry.serviceName, log) : undefined;
  const price = (dep: Deployment, usage: Parameters<typeof attemptCost>[1], at: number) => attemptCost(dep.prices, usage, governance.terms(dep, at));
  const recorder = new LedgerRecorder({ store: ledger, deployment: (id) => config.deployments.get(id), price, log, now: Date.now, decisionJson: (d) => governance.recordJson(d) });
  // ledger.recordAttempts: false (a measurement switch) writes no attempt rows; each row is
  // still computed, since metrics, budgets and contracts need what the attempt cost.
  const recording = config.ledger.recordAttempts;
  if (!recording) log.warn('ledger.recordAttempts is false: upstream attempts are not written to the ledger');
  const observer: AttemptObserver = {
    started: recording
      ? (t) => {
        // Undefined when the row is durable already: the attempt goes on in this turn.
        const durable = recorder.started(t);
        if (!durable) return governance.attemptStarted(t);
        return durable.then(() => governance.attemptStarted(t));
      }
      : (t) => governance.attemptStarted(t),
    finished: (t) => {
      const row = recording ? recorder.finished(t) : recorder.finishRow(t);
      metrics.attempt(t, { prompt: row.promptTokens, completion: row.completionTokens, cached: row.cachedPromptTokens, source: row.usageSource }, row.effectiveCostUsd);
      governance.attemptFinished(t, t.facts, t.usage);
      live.record(t, config.deployments.get(t.deploymentId)?.account ?? 'unknown');
    },
  };
  const throttle = new AdaptiveThrottle({ ...DEFAULT_THROTTLE, k: r.throttleK });
  const proxy = new ChatProxy({
    timing: r,
    health,
    throttle,
    budget: retryBudget,
    sleep: sleepUnlessAborted,
    model: (name) => config.models.get(name),
    adapter: adapterFor,
    transport,
    stats,
    random: Math.random,
    now: Date.now,
    log,
    maxAttempts: config.server.maxAttempts,
    observer,
    governance: config.contracts.enabled ? governance : undefined,
  });
  const auth = new Authenticator(config.auth.keys, config.auth.disabled, ledger, Date.now);
  cluster?.syncKeys(auth);
  const settled = (traces: AttemptTrace[]): { usd: number | undefined; tokens: number | undefined } => {
    let usd: number | undefined;
    let tokens: number | undefined;
    for (const t of traces) {
      const row = recorder.finishRow(t);
      if (row.effectiveCostUsd !== null) usd = (usd ?? 0) + row.effectiveCostUsd;
      if (row.promptTokens !== null) tokens = (tokens ?? 0) + row.promptTokens + (row.completionTokens ?? 0);
    }
    return { usd, tokens };
  };
  const server = (listener = createGatewayServer({
    config,
    proxy,
    auth,
    admission: new Admission(new RateLimiter(cluster?.counters ?? new MemoryCounterStore(Date.now)), ledger, Date.now),
    idempotency: ledger,
    worstCaseUsd: worstCase(config),
    settled,
    precisePromptTokens: (req) => estimatePromptTokens(req),
    log,
    now: Date.now,
    createdAt: Math.floor(Date.now() / 1000),
    ready: () => !draining,
    onResponse: (ex, status, startedAt) => {
      metrics.request(ex.model ?? 'none', status);
      if (tracer && ex.model) tracer.record({ requestId: ex.requestId, model: ex.model, stream: ex.stream ?? false, startedAt, endedAt: Date.now(), status, attempts: ex.attempts ?? [], providerOf: (id) => config.deployments.get(id)?.provider });
    },
  }));
  cluster?.sweepOrphans(ledger, settleOrphan(config), config.server.requestTimeoutMs);
  await cluster?.connect();
  const { url, port } = await listen(server, config.server.host, opts.port ?? config.server.port);
  log.info('gateway listening', { url, deployments: config.deployments.size, models: [...config.models.keys()] });
  let admin: { server: HttpServer; url: string } | undefined;
  if (config.admin.key) {
    const adminServer = createAdminServer({
      auth: new AdminAuth(config.admin.key),
      log,
      routes: [
        (rt) => estateRoutes(rt, { config: () => config, health, stats, live, now: Date.now, reservation: (id, now) => governance.reservationOf(id, now) }),
        (rt) => tenantRoutes(rt, { store: ledger, now: Date.now, onRevoke: () => {
          auth.forget();
          cluster?.keyRevoked();
        } }),
        (rt) => ledgerRoutes(rt, { store: ledger, now: Date.now }),
        (rt) => simulationRoutes(rt, resolvePath(config.admin.simulationsDir)),
        (rt) => contractRoutes(rt, { holder, governance, config: () => config, store: ledger, now: Date.now, reseed }),
        ...(cluster ? [(rt: Router) => clusterRoutes(rt, cluster)] : []),
      ],
      metrics: async () => ({ contentType: metrics.registry.contentType, body: await metrics.registry.metrics() }),
      fallback: ({ req, res }) => serveStatic(opts.webDir ?? defaultWebDir(), req.method ?? 'GET', new URL(req.url ?? '/', 'http://x').pathname, res),
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
    ledger,
    adminUrl: admin?.url,
    contracts: holder,
    cluster,
    close: async (o?: { graceMs?: number }) => {
      draining = true;
      stopWatching();
      stopPruning();
      // Stop accepting; idle connections close now, busy ones after their answer.
      const listeners = [server, admin?.server].filter((s): s is GatewayServer => s !== undefined);
      const closed = listeners.map((s) => new Promise<void>((res) => s.close(() => res())));
      const inFlight = (): number => server.load().inFlight;
      await until(() => inFlight() === 0, o?.graceMs ?? config.server.shutdownGraceMs);
      if (inFlight() > 0) log.warn('shutdown grace over; cutting the requests still in progress', { inFlight: inFlight() });
      for (const s of listeners) s.closeAllConnections();
      await Promise.all(closed);
      // A cut request's handler still records its attempts (cancelled) on the way out: the
      // ledger stays open until it has, so no finish is refused by a closed writer.
      await until(() => inFlight() === 0, 5_000);
      await transport.close();
      await recorder.flush();
      await tracer?.flush();
      await cluster?.close();
      await ledger.close();
    },
  };
}

/** web/dist at the package root, whether running from src/ (tsx) or dist/src/ (built). */
function defaultWebDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'web', 'dist');
    dir = dirname(dir);
  }
  return join(process.cwd(), 'web', 'dist');
}

/** Commitment attainment and current-period preferred share per clause, for /metrics. */
function contractGauges(holder: ContractsHolder, governance: ContractGovernance, now: number) {
  const loaded = holder.get();
  if (!loaded) return { commitments: [], shares: [] };
  const live = liveCounters(loaded.compiled, governance.state, now);
  return {
    commitments: live.commitments.map(({ clause, spentUsd, ratio }) => ({ clause, spentUsd, ratio })),
    shares: live.shares.flatMap((s) => (s.percent === null ? [] : [{ clause: s.clause, percent: s.percent }])),
  };
}

/** The commitments (with what counts toward them) and reservations of the contracts loaded now. */
function contractTerms(holder: ContractsHolder): [CommitmentTerm[], string[]] {
  const clauses = holder.get()?.compiled.agreements.flatMap((a) => a.clauses) ?? [];
  const commitments: CommitmentTerm[] = [];
  const reservations: string[] = [];
  for (const c of clauses) {
    if (c.type === 'commitment') commitments.push({ ref: c.ref, accounts: c.countsToward.accounts, termStartMs: c.termStartMs });
    else if (c.type === 'reservation') reservations.push(c.ref);
  }
  return [commitments, reservations];
}

async function listen(server: Server, host: string, port: number): Promise<{ url: string; port: number }> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // A deep accept queue: Node's default (511) overflows when hundreds of clients connect at
    // once (a reconnect storm, or load arriving while the loop is busy), and each dropped
    // handshake costs its client a one-second SYN retransmit. The kernel caps it at somaxconn.
    server.listen({ port, host, backlog: 4096 }, () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  return { url: `http://${host.includes(':') ? `[${host}]` : host}:${actual}`, port: actual };
}

/** Resolves once `done()` holds (checked every 20 ms) or after `ms`, whichever comes first. */
async function until(done: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, Math.min(20, Math.max(1, deadline - Date.now()))));
}
