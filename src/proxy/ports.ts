// What the attempt loop needs from the outside world, as interfaces. main.ts plugs in the
// real implementations; tests and the simulator plug in their own.

import type { Deployment, ModelPool } from '../domain/deployment.js';
import type { Usage } from '../domain/chat.js';
import type { UpstreamFailure } from '../domain/upstream-failure.js';
import type { BoundAdapter } from '../upstreams/adapter.js';
import type { CancelSignal, UpstreamTransport } from '../upstreams/transport.js';
import type { Logger } from '../observability/logger.js';
import type { AdaptiveThrottle } from '../routing/adaptive-throttle.js';
import type { HealthTracker } from '../routing/health.js';
import type { RetryBudget } from '../routing/retry-budget.js';
import type { DeploymentStats } from './deployment-stats.js';

/** The timing rules of the attempt loop (config's `resilience` section, minus health). */
export interface Timing {
  firstTokenTimeoutMs: number;
  idleTimeoutMs: number;
  attemptTimeoutMs: number;
  minAttemptMs: number;
  maxRetryWaitMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
}

export type AttemptOutcome = 'ok' | 'failed' | 'cancelled' | 'interrupted';

/** One upstream attempt as the loop saw it; the ledger stores one row per attempt. */
export interface AttemptTrace {
  requestId: string;
  /** The client's own x-request-id, if it sent one (recorded for correlation, never a key). */
  clientRequestId?: string | undefined;
  attemptNo: number;
  tenantId: string | null;
  keyId: string | null;
  /** Cheap prompt estimate made at admission, so a crashed attempt can still be settled. */
  estimatedPromptTokens: number;
  /** The routing decision (JSON-serialisable) and the contract version it ran under. */
  decision?: unknown;
  contractVersion?: string;
  /** The request's facts for the contracts (tags, class), so the attempt can be booked. */
  facts?: RouteFacts;
  /** Exact (tokenizer) prompt count, computed only when usage must be estimated. */
  precisePromptTokens?: () => number;
  /** Streamed text received so far, kept only to estimate usage the provider never reports. */
  streamedChars?: string[];
  deploymentId: string;
  model: string;
  stream: boolean;
  startedAt: number;
  firstByteAt?: number;
  /** Streams: when the first real token arrived (time to first token). */
  firstTokenAt?: number;
  endedAt?: number;
  /**
   * High-resolution ms spent waiting on the upstream until its answer (or, for a stream, its
   * first token) was in hand; what the gateway-time header leaves out.
   */
  upstreamMs?: number;
  outcome?: AttemptOutcome;
  failure?: UpstreamFailure;
  usage?: Usage;
  status?: number;
}

export interface AttemptObserver {
  /**
   * Called before the upstream call is made; the call waits for it (write-ahead: the ledger
   * row is durable first). A rejection fails the attempt without calling upstream.
   */
  started(a: AttemptTrace): Promise<void> | void;
  /** Called exactly once when the attempt ends, however it ends. */
  finished(a: AttemptTrace): void;
}

/** What the contracts need to know about a request. */
export interface RouteFacts {
  tenantId: string | null;
  keyId: string | null;
  tags: readonly string[];
  trafficClass: string | null;
  promptTokens: number;
  completionTokens: number;
}

export interface RouteVerdict {
  /** Deployments the contracts allow, best first (compliant ones that are down right now last). */
  allowed: Deployment[];
  /** Ids in the policy's order of preference among those available now. */
  preferred: readonly string[];
  /** Set when fail-closed clauses leave nothing: the reason, for a 403. */
  blocked?: string;
  /** The full decision, stored with the attempt. */
  record: unknown;
  version: string;
  /** One line for the x-treaty-decision header. */
  summary: string;
}

/** The contracts, as the attempt loop sees them: applied at every hop. */
export interface Governance {
  /** The contracts in force now; a request keeps the one it started with across every hop. */
  pin(): unknown;
  /** `failedHere`: deployments that already failed this request; for the contracts they count as unavailable. */
  route(pinned: unknown, model: string, facts: RouteFacts, candidates: readonly Deployment[], now: number, failedHere: { has(id: string): boolean }): RouteVerdict | undefined;
}

export interface ProxyPorts {
  model(name: string): ModelPool | undefined;
  adapter(dep: Deployment): BoundAdapter;
  transport: UpstreamTransport;
  stats: DeploymentStats;
  random: () => number;
  now: () => number;
  log: Logger;
  maxAttempts: number;
  timing: Timing;
  health: HealthTracker;
  budget: RetryBudget;
  throttle: AdaptiveThrottle;
  /** Resolves after `ms`, or early (without throwing) when `signal` aborts. */
  sleep(ms: number, signal: ClientSignal): Promise<void>;
  observer?: AttemptObserver;
  governance?: Governance;
}

/**
 * The client-gone signal as the attempt loop uses it: an AbortSignal fits, and so does the
 * lighter Cancellation the listener makes per request (an AbortController per request was a
 * visible share of its CPU). The same shape as the transport's CancelSignal.
 */
export type ClientSignal = CancelSignal;

export interface RequestContext {
  requestId: string;
  clientRequestId?: string;
  tenantId: string | null;
  keyId: string | null;
  estimatedPromptTokens: number;
  precisePromptTokens?: () => number;
  facts?: RouteFacts;
  /** The contracts version this request runs under (set at its first hop). */
  pinned?: unknown;
  /** Aborts when the client goes away. */
  signal: ClientSignal;
  /** The attempts in flight for this request, cancelled when `signal` aborts (kept by the attempt loop). */
  liveAttempts?: { abort(reason: Error): void }[];
  /** Epoch ms after which no attempt may run. */
  deadlineAt: number;
}
