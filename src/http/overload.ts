// Overload control for the downstream listener. A Node gateway saturates its one event loop
// long before any in-flight cap is reached: every request in progress then gets a thinner
// slice of the loop, each one takes longer, more pile up, clients time out, and goodput falls
// off a cliff. The loop's lag is the symptom to watch:
//
//   - a sampler ticks every SAMPLE_MS while requests are being worked on (it sleeps after
//     QUIET_MS without any, and the next request wakes it); how late each tick fires is the
//     loop's lag, and its moving average over about `intervalMs` (each sample capped at twice
//     the target) says whether Treaty is persistently behind (one garbage-collection pause or
//     burst is not);
//   - shedding starts when that average exceeds `lagTargetMs` while at least `minActive`
//     requests are being worked on (received, answer not started). With fewer, the queue is
//     short whatever the lag says, and shedding would only idle the loop;
//   - while shedding, a new request is admitted only while fewer than a limit are in
//     progress. The limit starts at what was in progress when shedding began and moves with
//     the loop: each tick more than `lagTargetMs` late cuts it by a tenth, each tick on time
//     (under half the target) raises it by a sixty-fourth (at least one); it never goes below
//     `minActive`. So the queue of admitted work stays as short as keeps the loop busy, and it
//     finds its own depth whatever the upstream's latency (a 50 ms upstream needs far more in
//     progress than a zero-latency one for the same CPU). Measured at 2x saturation
//     (bench/overload-probe.ts): a rule that admitted by the loop's lag alone let a turn's
//     first arrivals in every turn, ~300 requests waited 70-90 ms each, and a served request
//     cost so much more that goodput fell to 54-67 %, below not shedding at all; capping what
//     is in progress kept 92-101 %;
//   - shedding stops once, for `intervalMs`, the average has stayed under half the target
//     (hysteresis, so it does not flap at the boundary) *and* nothing was refused, so demand
//     fits under the limit. An on-time loop alone is no sign the overload is over: when the
//     admitted requests wait on a slow upstream the loop idles while the excess keeps arriving.
//     Traced in a full bench run (the emulator's core saturated), stopping on the lag alone
//     flapped every 0.1-0.6 s, and each stop let the whole excess in (400-970 in progress, the
//     next limit starting there): goodput 52-55 %, shed p99 114-139 ms. While refusals go on
//     the limit instead rises by its on-time step, as far as the loop allows.
//
// Time and the count of active requests are passed in, so tests drive it without sleeping.

/** How often the sampler ticks; lag is measured against it. */
export const SAMPLE_MS = 10;
/** A late tick cuts the admission limit by this factor; an on-time one raises it by INCREASE of itself. */
const DECREASE = 0.9;
const INCREASE = 1 / 64;
/** How long one window of the recent-stall figure lasts (recentMaxLagMs). */
const STALL_WINDOW_MS = 10_000;

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
  private avgLag = 0;
  private belowSince: number | undefined;
  private shedding = false;
  private shedCount = 0;
  /** shedCount at the previous tick: a change means the limit turned requests away since. */
  private shedAtTick = 0;
  /** While shedding: how many requests may be in progress at once. */
  private limit = Number.POSITIVE_INFINITY;

  constructor(
    private readonly s: OverloadSettings,
    private readonly onChange: (c: OverloadChange) => void = () => undefined,
  ) {}

  get isShedding(): boolean {
    return this.shedding;
  }

  /**
   * The sampler starts (again) at `now` after sleeping: the quiet time counts as on-time ticks,
   * so the gap between the last tick and this one is not read as one long lag (which, with
   * requests arriving, would start shedding on a gateway that had merely been idle).
   */
  resume(now: number): void {
    if (this.lastTick !== undefined) this.avgLag *= Math.exp(-(now - this.lastTick) / this.s.intervalMs);
    this.lastTick = now;
  }

  // The longest lag of recent ticks, for /metrics: two windows of STALL_WINDOW_MS, so a reader
  // always sees at least the last full window (10-20 s).
  private windowStart = Number.NEGATIVE_INFINITY;
  private windowMax = 0;
  private prevWindowMax = 0;

  private noteLag(now: number, lag: number): void {
    this.rotate(now);
    if (lag > this.windowMax) this.windowMax = lag;
  }

  private rotate(now: number): void {
    if (now - this.windowStart < STALL_WINDOW_MS) return;
    this.prevWindowMax = now - this.windowStart < 2 * STALL_WINDOW_MS ? this.windowMax : 0;
    this.windowMax = 0;
    this.windowStart = now;
  }

  /** The longest lag a tick measured in the last 10-20 s (ms); 0 while the sampler slept through it. */
  recentMaxLagMs(now: number): number {
    this.rotate(now);
    return Math.max(this.windowMax, this.prevWindowMax);
  }

  /** The averaged lag, for logs and tests. */
  get lagMs(): number {
    return this.avgLag;
  }

  /**
   * The sampler's tick at `now`, with `active` requests being worked on; `backlogMs`: how long
   * the oldest admitted request has waited to start (start-queue.ts), which counts as lag: the
   * loop may keep time while the admitted work falls behind in that queue.
   */
  tick(now: number, active: number, backlogMs = 0): void {
    const last = this.lastTick;
    this.lastTick = now;
    if (last === undefined || this.s.lagTargetMs <= 0) return;
    const lag = Math.max(0, now - last - SAMPLE_MS, backlogMs);
    this.noteLag(now, lag);
    // Weighted by elapsed time, so sparse ticks (a slow loop ticks less often) count fully;
    // each sample capped at twice the target, so one long pause alone cannot start shedding.
    const sample = Math.min(lag, 2 * this.s.lagTargetMs);
    this.avgLag += (1 - Math.exp(-(now - last) / this.s.intervalMs)) * (sample - this.avgLag);
    if (!this.shedding) {
      if (this.avgLag > this.s.lagTargetMs && active >= this.s.minActive) {
        this.limit = Math.max(this.s.minActive, active);
        this.set(true);
      }
      return;
    }
    if (lag > this.s.lagTargetMs) this.limit = Math.max(this.s.minActive, Math.floor(this.limit * DECREASE));
    else if (lag <= this.s.lagTargetMs / 2) this.limit += Math.max(1, Math.floor(this.limit * INCREASE));
    const refused = this.shedCount !== this.shedAtTick;
    this.shedAtTick = this.shedCount;
    if (this.avgLag >= this.s.lagTargetMs / 2 || refused) {
      this.belowSince = undefined;
    } else {
      this.belowSince ??= now;
      if (now - this.belowSince >= this.s.intervalMs) this.set(false);
    }
  }

  /** While shedding, how many requests may be in progress (Infinity when not shedding); for logs and tests. */
  get admitLimit(): number {
    return this.shedding ? this.limit : Number.POSITIVE_INFINITY;
  }

  /** Whether a new request, with `active` already in progress, may go on; false: answer 503 at once. */
  admit(active: number): boolean {
    if (!this.shedding || active < this.limit) return true;
    this.shedCount++;
    return false;
  }

  private set(shedding: boolean): void {
    if (shedding) this.shedCount = this.shedAtTick = 0;
    this.shedding = shedding;
    this.belowSince = undefined;
    this.onChange({ shedding, lagMs: this.avgLag, shed: this.shedCount });
  }
}

/**
 * How long the sampler keeps ticking with nothing to watch (no request being worked on, none
 * waiting to start, not shedding) before it sleeps until the next request arrives. An idle
 * gateway otherwise woke its core 100 times a second for nothing: measured on a 2-vCPU VM, an
 * idle Treaty spent ~1.3 % of a core (250 ms a 20 s) on the main thread, nearly all of it these
 * wakes (each paying a cold core's price), and so did every idle replica beside a busy one.
 */
export const QUIET_MS = 1_000;

export interface LagSampler {
  /** A request arrived: tick again if asleep. Cheap when awake (one check per request). */
  wake(): void;
  /** Stops for good. */
  stop(): void;
  /** Whether the timer is running (tests, metrics). */
  readonly awake: boolean;
}

/**
 * Ticks `c` from a timer that never keeps the process alive, and sleeps while there is nothing
 * to watch: lag only decides whether to admit a request, so it needs measuring only while
 * requests are being worked on.
 */
export function startLagSampler(
  c: OverloadController,
  now: () => number,
  active: () => number,
  backlogMs: (now: number) => number = () => 0,
): LagSampler {
  let timer: NodeJS.Timeout | undefined;
  let quietSince: number | undefined;
  let stopped = false;
  const sample = (): void => {
    const t = now();
    const backlog = backlogMs(t);
    const working = active();
    c.tick(t, working, backlog);
    if (working > 0 || backlog > 0 || c.isShedding) quietSince = undefined;
    else if (t - (quietSince ??= t) >= QUIET_MS) {
      clearInterval(timer);
      timer = undefined;
    }
  };
  const start = (): void => {
    quietSince = undefined;
    c.resume(now());
    timer = setInterval(sample, SAMPLE_MS);
    timer.unref();
  };
  start();
  return {
    wake: () => {
      if (timer === undefined && !stopped) start();
    },
    stop: () => {
      stopped = true;
      clearInterval(timer);
      timer = undefined;
    },
    get awake() {
      return timer !== undefined;
    },
  };
}
