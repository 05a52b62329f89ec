// Rate-limit headers computed from the engine's own attempt log, so they tell the truth about
// what the deployment saw in the last minute. Only limits the deployment has are reported.

import type { EmulatorEngine } from '../core/engine.js';
import type { EmulatedDeploymentConfig, EmulatedProvider } from '../core/types.js';

export function remainingHeaders(engine: EmulatorEngine, provider: EmulatedProvider, cfg: EmulatedDeploymentConfig, now: number): Record<string, string> {
  const recent = engine.attempts({ provider, deployment: cfg.name }).filter((a) => now - a.startedAt < 60_000 && a.outcome !== 'rejected');
  const out: Record<string, string> = {};
  if (cfg.rpm > 0) {
    out['x-ratelimit-limit-requests'] = String(cfg.rpm);
    out['x-ratelimit-remaining-requests'] = String(Math.max(0, cfg.rpm - recent.length));
  }
  if (cfg.tpm > 0) {
    const used = recent.reduce((s, a) => s + (a.promptTokens ?? 0) + a.completionTokensSent, 0);
    out['x-ratelimit-limit-tokens'] = String(cfg.tpm);
    out['x-ratelimit-remaining-tokens'] = String(Math.max(0, cfg.tpm - used));
  }
  return out;
}

/** A Go time.Duration string as OpenAI sends in x-ratelimit-reset-*: '12ms', '1s', '6m0s', '1h2m3.5s'. */
export function goDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Number(((ms % 60_000) / 1000).toFixed(3));
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}
