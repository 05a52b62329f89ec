// The one table that turns a classified upstream failure into what to do next. Adapters
// decide the kind (they know the provider's words); this decides the action, for all.

import type { FailureKind } from '../domain/upstream-failure.js';

export type RetryAction =
  /** Try again, on this deployment after a wait or (preferably) on another one. */
  | 'retry'
  /** This deployment cannot serve it, another one may (our credentials, its quota, its size). */
  | 'failover'
  /** The request itself is the problem: answer the client now. */
  | 'stop';

export interface FailurePolicy {
  action: RetryAction;
  /** Whether the failure says something about the deployment's health (counts toward ejection). */
  countsAgainstHealth: boolean;
  /** Only deployments with a larger context window may serve a retry. */
  needsLargerContext?: boolean;
}

export const FAILURE_TABLE: Readonly<Record<FailureKind, FailurePolicy>> = {
  rate_limited: { action: 'retry', countsAgainstHealth: false },
  overloaded: { action: 'retry', countsAgainstHealth: true },
  server_error: { action: 'retry', countsAgainstHealth: true },
  model_error: { action: 'retry', countsAgainstHealth: true },
  connect: { action: 'retry', countsAgainstHealth: true },
  timeout: { action: 'retry', countsAgainstHealth: true },
  stream_interrupted: { action: 'retry', countsAgainstHealth: true },
  malformed: { action: 'retry', countsAgainstHealth: true },
  context_length: { action: 'failover', countsAgainstHealth: false, needsLargerContext: true },
  auth: { action: 'failover', countsAgainstHealth: true },
  not_found: { action: 'failover', countsAgainstHealth: true },
  quota_exhausted: { action: 'failover', countsAgainstHealth: true },
  content_filter: { action: 'stop', countsAgainstHealth: false },
  bad_request: { action: 'stop', countsAgainstHealth: false },
};

export function policyFor(kind: FailureKind): FailurePolicy {
  return FAILURE_TABLE[kind];
}
