// Weighted latency percentiles without keeping every sample: log-spaced buckets 5 % apart
// from 1 ms to ~2 h. A percentile is read as its bucket's upper edge, so it errs ≤ 5 % high.

const RATIO = 1.05;
const LOG_RATIO = Math.log(RATIO);
const BUCKETS = 330;

export class Histogram {
  private readonly counts = new Float64Array(BUCKETS);
  private total = 0;

  add(ms: number, weight: number): void {
    const i = ms <= 1 ? 0 : Math.min(BUCKETS - 1, Math.ceil(Math.log(ms) / LOG_RATIO));
    this.counts[i]! += weight;
    this.total += weight;
  }

  /** The q-quantile (0..1) in ms, or null without samples. */
  quantile(q: number): number | null {
    if (this.total <= 0) return null;
    const target = q * this.total;
    let acc = 0;
    for (let i = 0; i < BUCKETS; i++) {
      acc += this.counts[i]!;
      if (acc >= target) return Math.round(Math.pow(RATIO, i));
    }
    return Math.round(Math.pow(RATIO, BUCKETS - 1));
  }
}
