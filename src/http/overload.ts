// Overload control for the downstream listener. A Node gateway saturates its one event loop
// long before any in-flight cap is reached: every request in progress then gets a thinner
// slice of the loop, each one takes longer, more pile up, clients time out, and goodput falls
// off a cliff. The loop's lag is the symptom to watch:
//
//   - a sampler ticks every SAMPLE_MS; how late each tick fires is the loop's lag, and its
//     moving average over about `intervalMs` (each sample capped at twice the target) says
//     whether Treaty is persistently behind (one garbage-collection pause or burst is not);
//   - shedding starts when that average exceeds `lagTargetMs` while at least `minActive`
//     requests are being worked on (received, answer not started). With fewer, the queue is
//     short whatever the lag says, and shedding would only idle the loop;
//   - while shedding, a new request is refused when there are already `minActive` in progress
//     and the loop is behind right now: the last tick was more than `lagTargetMs` late, or the
//     turn the request arrives in has already run that long. So admission opens and closes
//     within tens of milliseconds: the loop always has work (goodput) but no turn grows long
//     (refusals stay fast). The current turn alone is not enough: a request's work mostly runs
//     in later turns, so admitting the first arrivals of every turn keeps long turns going;
//   - shedding stops once the average has stayed under half the target for `intervalMs`
//     (hysteresis, so it does not flap at the boundary).
//
// Time and the count of active requests are passed in, so tests drive it without sleeping.

/** How often the sampler ticks; lag is measured against it. */
export const SAMPLE_MS = 10;

export interface OverloadSettings {
  /** Event-loop lag (ms) above which the loop counts as behind; 0 turns shedding off. */
  lagTargetMs: number;
  /** Averaging time of the lag, and how long it must stay low before shedding stops. */
  intervalMs: number;
  /** Requests being worked on below which Treaty never sheds. */
  minActive: number;
}

export interface OverloadChange {
  shedding: boolean;
  /** The averaged lag (ms) when the state changed. */
  lagMs: number;
  /** Requests refused in the episode (0 when it starts). */
  shed: number;
}

export class OverloadController {
  private lastTick: number | undefined;
  private lastLag = 0;
  private avgLag = 0;
  private belowSince: number | undefined;
  private shedding = false;
  private shedCount = 0;

  constructor(
    private readonly s: OverloadSettings,
    private readonly onChange: (c: OverloadChange) => void = () => undefined,
  ) {}

  get isShedding(): boolean {
    return this.shedding;
  }

  /** The averaged lag, for logs and tests. */
  get lagMs(): number {
    return this.avgLag;
  }

  /** The sampler's tick at `now`, with `active` requests being worked on. */
  tick(now: number, active: number): void {
    const last = this.lastTick;
    this.lastTick = now;
    if (last === undefined || this.s.lagTargetMs <= 0) return;
    const lag = Math.max(0, now - last - SAMPLE_MS);
    this.lastLag = lag;
    // Weighted by elapsed time, so sparse ticks (a slow loop ticks less often) count fully;
    // each sample capped at twice the target, so one long pause alone cannot start shedding.
    const sample = Math.min(lag, 2 * this.s.lagTargetMs);
    this.avgLag += (1 - Math.exp(-(now - last) / this.s.intervalMs)) * (sample - this.avgLag);
    if (!this.shedding) {
      if (this.avgLag > this.s.lagTargetMs && active >= this.s.minActive) this.set(true);
    } else if (this.avgLag >= this.s.lagTargetMs / 2) {
      this.belowSince = undefined;
    } else {
      this.belowSince ??= now;
      if (now - this.belowSince >= this.s.intervalMs) this.set(false);
    }
  }

  /** Whether a request arriving at `now`, with `active` already in progress, may go on; false: answer 503 at once. */
  admit(now: number, active: number): boolean {
    if (!this.shedding || active < this.s.minActive || this.lastTick === undefined) return true;
    // On time: the last tick was not late, and the next one is not already (the turn we are
    // in has not run long).
    if (this.lastLag <= this.s.lagTargetMs && now - this.lastTick - SAMPLE_MS <= this.s.lagTargetMs) return true;
    this.shedCount++;
    return false;
  }

  private set(shedding: boolean): void {
    if (shedding) this.shedCount = 0;
    this.shedding = shedding;
    this.belowSince = undefined;
    this.onChange({ shedding, lagMs: this.avgLag, shed: this.shedCount });
  }
}

/** Ticks `c` from a real timer that never keeps the process alive. Returns stop(). */
export function startLagSampler(c: OverloadController, now: () => number, active: () => number): () => void {
  c.tick(now(), active());
  const timer = setInterval(() => c.tick(now(), active()), SAMPLE_MS);
  timer.unref();
  return () => clearInterval(timer);
}
