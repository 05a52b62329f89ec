// Live per-deployment figures for the estate view and the admin API: attempts, failures and
// latency over the last minute (1 s buckets), and an hour of per-minute traffic per account
// and model with fail-over marks. Fed by the attempt observer; memory is bounded by design.

import type { AttemptTrace } from '../proxy/ports.js';

const SEC_BUCKETS = 60;
const MIN_BUCKETS = 60;
/** Latency samples kept per one-second bucket; enough for a p99 at demo and bench rates. */
const SAMPLES_PER_BUCKET = 256;

interface SecBucket {
  sec: number;
  attempts: number;
  failures: number;
  latencies: number[];
}

export interface DeploymentLive {
  attemptsPerSec: number;
  errorRate: number;
  p50Ms: number | undefined;
  p99Ms: number | undefined;
}

export interface MinutePoint {
  minute: number;
  /** Attempts per series key (`account/model`). */
  counts: Record<string, number>;
  failovers: number;
}

export class LiveMetrics {
  private readonly perDeployment = new Map<string, SecBucket[]>();
  private readonly minutes: MinutePoint[] = [];

  constructor(private readonly now: () => number) {}

  record(t: AttemptTrace, account: string): void {
    if (!t.outcome) return;
    const at = t.endedAt ?? this.now();
    const b = this.bucket(t.deploymentId, Math.floor(at / 1000));
    b.attempts++;
    if (t.outcome !== 'ok' && t.outcome !== 'cancelled') b.failures++;
    if (t.outcome === 'ok' && b.latencies.length < SAMPLES_PER_BUCKET) b.latencies.push((t.firstByteAt ?? at) - t.startedAt);
    const m = this.minute(Math.floor(at / 60_000));
    const key = `${account}/${t.model}`;
    m.counts[key] = (m.counts[key] ?? 0) + 1;
    // An attempt after the first one in a request is a fail-over (or a retry): mark it.
    if (t.attemptNo > 1) m.failovers++;
  }

  deployment(id: string): DeploymentLive {
    const nowSec = Math.floor(this.now() / 1000);
    const ring = this.perDeployment.get(id) ?? [];
    let attempts = 0;
    let failures = 0;
    const lat: number[] = [];
    for (const b of ring) {
      if (!b || b.sec <= nowSec - SEC_BUCKETS) continue;
      attempts += b.attempts;
      failures += b.failures;
      lat.push(...b.latencies);
    }
    lat.sort((a, b) => a - b);
    const pct = (p: number): number | undefined => (lat.length ? lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] : undefined);
    return { attemptsPerSec: attempts / SEC_BUCKETS, errorRate: attempts ? failures / attempts : 0, p50Ms: pct(0.5), p99Ms: pct(0.99) };
  }

  /** The last hour, oldest first, minutes without traffic included as zeros. */
  series(): MinutePoint[] {
    const nowMin = Math.floor(this.now() / 60_000);
    const byMin = new Map(this.minutes.map((m) => [m.minute, m]));
    const out: MinutePoint[] = [];
    for (let m = nowMin - MIN_BUCKETS + 1; m <= nowMin; m++) out.push(byMin.get(m) ?? { minute: m, counts: {}, failovers: 0 });
    return out;
  }

  private bucket(id: string, sec: number): SecBucket {
    let ring = this.perDeployment.get(id);
    if (!ring) {
      ring = [];
      this.perDeployment.set(id, ring);
    }
    const i = sec % SEC_BUCKETS;
    let b = ring[i];
    if (!b || b.sec !== sec) {
      b = { sec, attempts: 0, failures: 0, latencies: [] };
      ring[i] = b;
    }
    return b;
  }

  private minute(minute: number): MinutePoint {
    const last = this.minutes[this.minutes.length - 1];
    if (last && last.minute === minute) return last;
    const found = this.minutes.find((m) => m.minute === minute);
    if (found) return found;
    const m: MinutePoint = { minute, counts: {}, failovers: 0 };
    this.minutes.push(m);
    while (this.minutes.length > MIN_BUCKETS) this.minutes.shift();
    return m;
  }
}
