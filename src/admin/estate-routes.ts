// The estate: every deployment with its live health, load and latency, and the hour of
// traffic. Provider credentials (deployment options) are never part of any answer.

import type { GatewayConfig } from '../config/compile.js';
import type { Deployment } from '../domain/deployment.js';
import { GatewayError } from '../domain/errors.js';
import { sendJson } from '../http/body.js';
import type { LiveMetrics } from '../observability/live-metrics.js';
import type { DeploymentStats } from '../proxy/deployment-stats.js';
import type { HealthTracker } from '../routing/health.js';
import type { Router } from './router.js';

export interface EstateDeps {
  config: () => GatewayConfig;
  health: HealthTracker;
  stats: DeploymentStats;
  live: LiveMetrics;
  now: () => number;
  /** The reservation on a deployment and its utilisation, when contracts declare one. */
  reservation?: (id: string, now: number) => { clauseId: string; utilisation: number | null } | null;
}

export function publicDeployment(d: Deployment): Record<string, unknown> {
  const { options: _secretsLiveHere, ...rest } = d;
  return rest;
}

export function estateRoutes(r: Router, deps: EstateDeps): void {
  r.on('GET', '/admin/estate', ({ res }) => {
    const now = deps.now();
    const cfg = deps.config();
    const deployments = [...cfg.deployments.values()].map((d) => {
      const a = deps.health.availability(d.id, now);
      const h = deps.health.snapshot(d.id);
      return {
        ...publicDeployment(d),
        pools: [...cfg.models.values()].filter((m) => m.deployments.some((x) => x.id === d.id)).map((m) => m.name),
        state: a.state,
        until: a.state === 'available' ? null : a.until,
        reason: a.state === 'available' ? null : a.reason,
        timesEjected: h.timesEjected,
        consecutiveFailures: h.consecutiveFailures,
        outstanding: deps.stats.view(d.id).outstanding,
        ...deps.live.deployment(d.id),
        reservation: deps.reservation?.(d.id, now) ?? null,
      };
    });
    sendJson(res, 200, { now, deployments });
  });

  r.on('GET', '/admin/traffic', ({ res }) => sendJson(res, 200, { now: deps.now(), minutes: deps.live.series() }));

  r.on('GET', '/admin/models', ({ res }) => {
    const cfg = deps.config();
    sendJson(res, 200, { models: [...cfg.models.values()].map((m) => ({ name: m.name, deployments: m.deployments.map((d) => d.id), fallbacks: m.fallbacks, continueStreams: m.continueStreams })) });
  });

  r.on('POST', '/admin/deployments/:id/health/reset', ({ res, params }) => {
    if (!deps.config().deployments.has(params.id!)) throw new GatewayError('TREATY_NOT_FOUND', `No deployment "${params.id}".`);
    deps.health.resetOne(params.id!);
    sendJson(res, 200, { ok: true });
  });
}
