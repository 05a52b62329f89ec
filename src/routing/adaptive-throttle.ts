// Client-side adaptive throttling (Google SRE, "Handling Overload"): per deployment, count
// requests and accepts over a sliding window and reject locally with probability
// max(0, (requests − K·accepts) / (requests + 1)). A deployment that refuses most of what it
// is sent then mostly stops being sent work, without any hard cut-off. Pure.

export interface ThrottleConfig {
  /** Lower K throttles harder; 2 is the usual choice. 0 turns throttling off. */
  k: number;
  windowMs: number;
  /** The window is kept as this many buckets, so old counts age out smoothly. */
  buckets: number;
  /**
   * Never reject more than this share locally: some traffic must keep probing, or a healed
   * deployment would look dead until the whole window aged out.
   */
  maxProbability: number;
}

// A 60 s window (not the SRE book's two minutes): with local rejections counted as requests,
// recovery after the upstream heals takes about 1.7 windows, and it must be under 2 minutes.
export const DEFAULT_THROTTLE: ThrottleConfig = { k: 2, windowMs: 60_000, buckets: 12, maxProbability: 0.9 };

interface Ring {
  start: number[];
  requests: number[];
  accepts: number[];
}

export class AdaptiveThrottle {
  private readonly rings = new Map<string, Ring>();
  private readonly bucketMs: number;

  constructor(private readonly cfg: ThrottleConfig) {
    this.bucketMs = cfg.windowMs / cfg.buckets;
  }

  /** The local rejection probability right now. */
  probability(id: string, now: number): number {
    if (this.cfg.k <= 0) return 0;
    const { requests, accepts } = this.totals(id, now);
    return Math.min(this.cfg.maxProbability, Math.max(0, (requests - this.cfg.k * accepts) / (requests + 1)));
  }

  /** Decides whether to refuse locally; a local refusal counts as a request (not an accept). */
  shouldReject(id: string, now: number, random: () => number): boolean {
    const p = this.probability(id, now);
    if (p > 0 && random() < p) {
      this.bump(id, now, false);
      return true;
    }
    return false;
  }

  /** An attempt's answer: accepted unless the upstream refused it for load (429/503-like). */
  record(id: string, now: number, accepted: boolean): void {
    this.bump(id, now, accepted);
  }

  private bump(id: string, now: number, accepted: boolean): void {
    const r = this.ring(id);
    const slot = Math.floor(now / this.bucketMs);
    const i = slot % this.cfg.buckets;
    if (r.start[i] !== slot) {
      r.start[i] = slot;
      r.requests[i] = 0;
      r.accepts[i] = 0;
    }
    r.requests[i]!++;
    if (accepted) r.accepts[i]!++;
  }

  private totals(id: string, now: number): { requests: number; accepts: number } {
    const r = this.rings.get(id);
    if (!r) return { requests: 0, accepts: 0 };
    const oldest = Math.floor(now / this.bucketMs) - this.cfg.buckets + 1;
    let requests = 0;
    let accepts = 0;
    for (let i = 0; i < this.cfg.buckets; i++) {
      if (r.start[i]! >= oldest) {
        requests += r.requests[i]!;
        accepts += r.accepts[i]!;
      }
    }
    return { requests, accepts };
  }

  private ring(id: string): Ring {
    let r = this.rings.get(id);
    if (!r) {
      const n = this.cfg.buckets;
      r = { start: new Array<number>(n).fill(-Infinity), requests: new Array<number>(n).fill(0), accepts: new Array<number>(n).fill(0) };
      this.rings.set(id, r);
    }
    return r;
  }

  reset(): void {
    this.rings.clear();
  }
}
