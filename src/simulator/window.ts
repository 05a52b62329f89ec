// A deployment's load on the virtual clock, in real units, as Little's-law averages over a
// trailing span: requests in flight = Σ (requests × latency) / span, tokens per minute =
// Σ tokens / span in minutes. A weighted request stands for N real ones spread over the time
// until the next simulated one, so the span stretches with the gap between the simulated
// arrivals this deployment sees (8 gaps, at least a minute, at most an hour): a deployment
// that gets one weighted request every few minutes is not seen as full in between, nor as
// idle — and with weight 1 and steady traffic the span is the usual minute.

const MIN_SPAN_MS = 60_000;
const MAX_SPAN_MS = 3_600_000;

export class FluidLoad {
  private times: number[] = [];
  /** Σ busy time and Σ tokens added before each entry, so a span's sum is total − before[first]. */
  private busyBefore: number[] = [];
  private tokensBefore: number[] = [];
  private head = 0;
  private busyTotal = 0;
  private tokensTotal = 0;
  /** Mean gap between arrivals (an EWMA); unknown until the second one. */
  private gapMs = NaN;
  private last = NaN;

  add(t: number, busyMs: number, tokens: number): void {
    if (!Number.isNaN(this.last) && t > this.last) this.gapMs = Number.isNaN(this.gapMs) ? t - this.last : this.gapMs + 0.1 * (t - this.last - this.gapMs);
    this.last = Number.isNaN(this.last) ? t : Math.max(this.last, t);
    this.times.push(t);
    this.busyBefore.push(this.busyTotal);
    this.tokensBefore.push(this.tokensTotal);
    this.busyTotal += busyMs;
    this.tokensTotal += tokens;
  }

  spanMs(): number {
    return Number.isNaN(this.gapMs) ? MIN_SPAN_MS : Math.min(MAX_SPAN_MS, Math.max(MIN_SPAN_MS, 8 * this.gapMs));
  }

  /** Average real requests in flight over the span ending at `now`. */
  inFlight(now: number): number {
    const i = this.first(now);
    return i < 0 ? 0 : (this.busyTotal - this.busyBefore[i]!) / this.spanMs();
  }

  /** Average real tokens per minute over the span ending at `now`. */
  tokensPerMinute(now: number): number {
    const i = this.first(now);
    return i < 0 ? 0 : ((this.tokensTotal - this.tokensBefore[i]!) * 60_000) / this.spanMs();
  }

  /**
   * Index of the first entry inside [now − span, now], or −1 (entries are nearly in time
   * order). An entry's requests spread over the gap after it, so the one at the span's start
   * belongs inside.
   */
  private first(now: number): number {
    const limit = now - MAX_SPAN_MS;
    while (this.head < this.times.length && this.times[this.head]! <= limit) this.head++;
    if (this.head > 512 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.busyBefore = this.busyBefore.slice(this.head);
      this.tokensBefore = this.tokensBefore.slice(this.head);
      this.head = 0;
    }
    const from = now - this.spanMs();
    let lo = this.head;
    let hi = this.times.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.times[mid]! < from) lo = mid + 1;
      else hi = mid;
    }
    return lo === this.times.length ? -1 : lo;
  }
}
