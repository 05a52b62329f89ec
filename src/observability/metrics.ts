// Prometheus metrics (prom-client) in Prometheus naming conventions, with bounded label sets:
// deployment ids, public model names, outcomes and status classes come from the config or a
// fixed list, never from client input, so cardinality cannot grow with traffic.

import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { WriteStats } from '../ledger/store.js';
import { registerLedgerMetrics } from './ledger-metrics.js';
import { registerProcessMetrics } from './process-metrics.js';
import type { AttemptTrace } from '../proxy/ports.js';
import { BatchedCounter, BatchedHistogram } from './metric-batch.js';

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

export interface LiveGauges {
  /** Per deployment: 1 when ejected or cooling, 0 otherwise. */
  out(): { deployment: string; state: string }[];
  retryBudget(): { active: number; retrying: number; denied: number };
  /** Commitment progress (spend to date / amount) and preferred share per clause. */
  contracts(): { commitments: { clause: string; ratio: number; spentUsd: number }[]; shares: { clause: string; percent: number }[] };
  /** The ledger's attempt writes and WAL checkpoints (undefined without a ledger). */
  ledger?(): WriteStats | undefined;
  /** The listener's load and refusals (undefined before it exists). */
  listener?(): { inFlight: number; shed: { overloaded: number; atLimit: number }; unreadable: Readonly<Record<string, number>>; connections: number | undefined; connectionsRefused: number; shedding: boolean; admitLimit: number; waitingToStart: number } | undefined;
  /** Event-loop lag as the overload sampler measures it (only while overload control is on). */
  lag?(): { averageMs: number; recentMaxMs: number } | undefined;
}

export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly requests: BatchedCounter;
  private readonly attempts: BatchedCounter;
  private readonly latency: BatchedHistogram;
  private readonly ttft: BatchedHistogram;
  private readonly tokens: BatchedCounter;
  private readonly cost: BatchedCounter;

  constructor(gauges: LiveGauges) {
    // prom-client's process metrics, less its event-loop lag histogram, whose timer kept an idle
    // gateway waking 10 times a second (process-metrics.ts); the lag is the overload sampler's.
    registerProcessMetrics(this.registry, 'treaty_process_');
    const reg = [this.registry];
    // Each metric's label work happens at a scrape (collect), for what was counted since the last.
    const batched = <T extends { flush(): void }>(make: (collect: () => void) => T): T => {
      let b: T | undefined = undefined;
      b = make(() => b!.flush());
      return b;
    };
    this.requests = batched((collect) => new BatchedCounter(new Counter({ name: 'treaty_requests_total', help: 'Client requests answered, by public model and HTTP status class.', labelNames: ['model', 'status_class'], registers: reg, collect }), ['model', 'status_class']));
    this.attempts = batched((collect) => new BatchedCounter(new Counter({ name: 'treaty_upstream_attempts_total', help: 'Upstream attempts, by deployment and outcome.', labelNames: ['deployment', 'outcome'], registers: reg, collect }), ['deployment', 'outcome']));
    this.latency = batched((collect) => new BatchedHistogram(new Histogram({ name: 'treaty_upstream_attempt_duration_seconds', help: 'Duration of successful upstream attempts.', labelNames: ['deployment'], buckets: LATENCY_BUCKETS, registers: reg, collect }), ['deployment']));
    this.ttft = batched((collect) => new BatchedHistogram(new Histogram({ name: 'treaty_upstream_time_to_first_byte_seconds', help: 'Time from sending an attempt to its first response byte (first token for streams).', labelNames: ['deployment'], buckets: LATENCY_BUCKETS, registers: reg, collect }), ['deployment']));
    this.tokens = batched((collect) => new BatchedCounter(new Counter({ name: 'treaty_tokens_total', help: 'Tokens by deployment, kind (prompt, completion, cached_prompt) and source (reported, estimated).', labelNames: ['deployment', 'kind', 'source'], registers: reg, collect }), ['deployment', 'kind', 'source']));
    this.cost = batched((collect) => new BatchedCounter(new Counter({ name: 'treaty_cost_usd_total', help: 'Effective (contract) cost of attempts in US dollars.', labelNames: ['deployment'], registers: reg, collect }), ['deployment']));
    new Gauge({ name: 'treaty_deployment_out_of_rotation', help: '1 when a deployment is ejected or cooling down after a rate limit.', labelNames: ['deployment', 'state'], registers: reg, collect() {
      this.reset();
      for (const o of gauges.out()) this.set({ deployment: o.deployment, state: o.state }, 1);
    } });
    new Gauge({ name: 'treaty_retry_budget_in_use', help: 'Retries in flight against the retry budget.', registers: reg, collect() {
      this.set(gauges.retryBudget().retrying);
    } });
    new Gauge({ name: 'treaty_retry_budget_denied', help: 'Retries refused by the retry budget since start.', registers: reg, collect() {
      this.set(gauges.retryBudget().denied);
    } });
    // Refusals are counted by the listener as plain numbers and read here, at a scrape.
    new Counter({ name: 'treaty_requests_shed_total', help: 'Requests refused with 503 before any work: the event loop was behind (reason overloaded) or server.maxInFlight was reached (in_flight_cap).', labelNames: ['reason'], registers: reg, collect() {
      const l = gauges.listener?.();
      if (!l) return;
      this.reset();
      this.inc({ reason: 'overloaded' }, l.shed.overloaded);
      this.inc({ reason: 'in_flight_cap' }, l.shed.atLimit);
    } });
    new Counter({ name: 'treaty_requests_unreadable_total', help: "Requests the listener could not read (malformed head or framing, head too large, an unsupported Expect), answered 4xx before routing, by status. Treaty's own listener only.", labelNames: ['status'], registers: reg, collect() {
      const l = gauges.listener?.();
      if (!l) return;
      this.reset();
      for (const [status, n] of Object.entries(l.unreadable)) this.inc({ status }, n);
    } });
    new Counter({ name: 'treaty_connections_refused_total', help: 'Client connections closed on arrival because server.maxConnections were open (answered 503 first by Treaty\'s own listener).', registers: reg, collect() {
      const l = gauges.listener?.();
      if (!l) return;
      this.reset();
      this.inc(l.connectionsRefused);
    } });
    new Gauge({ name: 'treaty_connections_open', help: "Client connections open now. Treaty's own listener only.", registers: reg, collect() {
      const l = gauges.listener?.();
      if (l?.connections !== undefined) this.set(l.connections);
    } });
    new Gauge({ name: 'treaty_requests_in_progress', help: 'Client requests in progress (open streams included).', registers: reg, collect() {
      const l = gauges.listener?.();
      if (l) this.set(l.inFlight);
    } });
    new Gauge({ name: 'treaty_requests_waiting_to_start', help: 'Admitted requests waiting in the start queue (while shedding, server.overload.startBudgetMs of starts run per event-loop turn).', registers: reg, collect() {
      const l = gauges.listener?.();
      if (l) this.set(l.waitingToStart);
    } });
    new Gauge({ name: 'treaty_overload_shedding', help: '1 while overload shedding is on (the event loop stays behind).', registers: reg, collect() {
      const l = gauges.listener?.();
      if (l) this.set(l.shedding ? 1 : 0);
    } });
    new Gauge({ name: 'treaty_overload_admit_limit', help: 'While shedding: how many requests may be in progress (+Inf when not shedding).', registers: reg, collect() {
      const l = gauges.listener?.();
      if (l) this.set(l.admitLimit);
    } });
    const lag = gauges.lag;
    if (lag) {
      new Gauge({ name: 'treaty_event_loop_lag_seconds', help: 'Event-loop lag averaged over server.overload.intervalMs: what overload shedding acts on. Measured every 10 ms while requests are being worked on; the sampler sleeps when there are none.', registers: reg, collect() {
        const l = lag();
        if (l) this.set(l.averageMs / 1000);
      } });
      new Gauge({ name: 'treaty_event_loop_lag_max_seconds', help: 'The longest event-loop stall measured in the last 10-20 s (how late a 10 ms tick fired).', registers: reg, collect() {
        const l = lag();
        if (l) this.set(l.recentMaxMs / 1000);
      } });
    }
    if (gauges.ledger) registerLedgerMetrics(this.registry, gauges.ledger);
    new Gauge({ name: 'treaty_commitment_attainment_ratio', help: 'Commitment spend to date divided by the committed amount.', labelNames: ['clause'], registers: reg, collect() {
      this.reset();
      for (const c of gauges.contracts().commitments) this.set({ clause: c.clause }, c.ratio);
    } });
    new Gauge({ name: 'treaty_preferred_share_percent', help: 'Share of the clause\'s traffic served by its party in the current period.', labelNames: ['clause'], registers: reg, collect() {
      this.reset();
      for (const s of gauges.contracts().shares) this.set({ clause: s.clause }, s.percent);
    } });
  }

  request(model: string, status: number): void {
    this.requests.inc([model, STATUS_CLASS[Math.floor(status / 100)] ?? `${Math.floor(status / 100)}xx`]);
  }

  attempt(t: AttemptTrace, usage: { prompt: number | null; completion: number | null; cached: number | null; source: string | null }, costUsd: number | null): void {
    const deployment = [t.deploymentId];
    this.attempts.inc([t.deploymentId, t.outcome ?? 'unknown']);
    if (t.outcome === 'ok' && t.endedAt !== undefined) this.latency.observe(deployment, (t.endedAt - t.startedAt) / 1000);
    const first = t.firstTokenAt ?? t.firstByteAt;
    if (first !== undefined) this.ttft.observe(deployment, (first - t.startedAt) / 1000);
    const source = usage.source ?? 'unknown';
    if (usage.prompt !== null) this.tokens.inc([t.deploymentId, 'prompt', source], usage.prompt);
    if (usage.completion !== null) this.tokens.inc([t.deploymentId, 'completion', source], usage.completion);
    if (usage.cached !== null) this.tokens.inc([t.deploymentId, 'cached_prompt', source], usage.cached);
    if (costUsd !== null) this.cost.inc(deployment, costUsd);
  }
}

const STATUS_CLASS: Record<number, string> = { 1: '1xx', 2: '2xx', 3: '3xx', 4: '4xx', 5: '5xx' };
