import { describe, expect, it } from 'vitest';
import type { AttemptTrace } from '../proxy/ports.js';
import { LiveMetrics } from './live-metrics.js';

const trace = (over: Partial<AttemptTrace>): AttemptTrace => ({ requestId: 'r', attemptNo: 1, tenantId: null, keyId: null, estimatedPromptTokens: 1, deploymentId: 'd', model: 'm', stream: false, startedAt: 0, ...over });

describe('live metrics', () => {
  it('reports the last minute per deployment: rate, error rate and latency percentiles', () => {
    let now = 1_000_000;
    const lm = new LiveMetrics(() => now);
    for (let i = 0; i < 100; i++) lm.record(trace({ startedAt: now - (i + 1), firstByteAt: now, endedAt: now, outcome: 'ok' }), 'acct');
    for (let i = 0; i < 20; i++) lm.record(trace({ startedAt: now - 5, endedAt: now, outcome: 'failed' }), 'acct');
    const d = lm.deployment('d');
    expect(d.attemptsPerSec).toBeCloseTo(120 / 60);
    expect(d.errorRate).toBeCloseTo(20 / 120);
    expect(d.p50Ms).toBe(51);
    expect(d.p99Ms).toBe(100);
    now += 61_000;
    expect(lm.deployment('d').attemptsPerSec).toBe(0);
  });

  it('keeps an hour of per-minute traffic per account/model with fail-over marks', () => {
    let now = 60_000 * 1000;
    const lm = new LiveMetrics(() => now);
    lm.record(trace({ endedAt: now, outcome: 'ok' }), 'a');
    lm.record(trace({ endedAt: now, outcome: 'ok', attemptNo: 2 }), 'b');
    now += 60_000;
    lm.record(trace({ endedAt: now, outcome: 'ok' }), 'a');
    const s = lm.series();
    expect(s).toHaveLength(60);
    expect(s[58]).toEqual({ minute: 1000, counts: { 'a/m': 1, 'b/m': 1 }, failovers: 1 });
    expect(s[59]!.counts).toEqual({ 'a/m': 1 });
  });
});
