// The shared-counter port that rate limits run on. In one process it is a Map; in cluster
// mode the same interface is backed by Redis (atomic scripts), so limits hold across replicas.

export interface CounterStore {
  /**
   * Atomically adds `amount` to the counter of (`key`, window starting `windowStart`) if the
   * result stays within `cap`; returns whether it did. Counters expire after their window.
   */
  tryAdd(key: string, windowStart: number, windowMs: number, amount: number, cap: number): Promise<boolean>;
  /** Unconditional correction (may be negative), e.g. actual tokens replacing an estimate. */
  add(key: string, windowStart: number, windowMs: number, delta: number): Promise<void>;
  get(key: string, windowStart: number): Promise<number>;
  /** Set when the counters live in this process: the same operations without a promise (the request path's). */
  readonly inProcess?: LocalCounters;
}

/** tryAdd and add, synchronous: only a store in this process can offer them. */
export interface LocalCounters {
  tryAddNow(key: string, windowStart: number, windowMs: number, amount: number, cap: number): boolean;
  addNow(key: string, windowStart: number, windowMs: number, delta: number): void;
}

export class MemoryCounterStore implements CounterStore, LocalCounters {
  /** Counter name → window start → count. Nested rather than `name@window` keys: no string built per call. */
  private readonly counters = new Map<string, Map<number, { value: number; expiresAt: number }>>();
  private sweeps = 0;

  readonly inProcess: LocalCounters = this;

  constructor(private readonly now: () => number) {}

  async tryAdd(key: string, windowStart: number, windowMs: number, amount: number, cap: number): Promise<boolean> {
    return this.tryAddNow(key, windowStart, windowMs, amount, cap);
  }

  async add(key: string, windowStart: number, windowMs: number, delta: number): Promise<void> {
    this.addNow(key, windowStart, windowMs, delta);
  }

  tryAddNow(key: string, windowStart: number, windowMs: number, amount: number, cap: number): boolean {
    const c = this.counter(key, windowStart, windowMs);
    if (c.value + amount > cap) return false;
    c.value += amount;
    return true;
  }

  addNow(key: string, windowStart: number, windowMs: number, delta: number): void {
    this.counter(key, windowStart, windowMs).value += delta;
  }

  async get(key: string, windowStart: number): Promise<number> {
    return this.counters.get(key)?.get(windowStart)?.value ?? 0;
  }

  private counter(key: string, windowStart: number, windowMs: number): { value: number; expiresAt: number } {
    let windows = this.counters.get(key);
    if (!windows) this.counters.set(key, (windows = new Map()));
    let c = windows.get(windowStart);
    if (!c) {
      c = { value: 0, expiresAt: windowStart + 2 * windowMs };
      windows.set(windowStart, c);
      if (++this.sweeps % 1024 === 0) this.sweep();
    }
    return c;
  }

  /** Drops expired windows now and then, so memory stays bounded by active keys. */
  private sweep(): void {
    const now = this.now();
    for (const [k, windows] of this.counters) {
      for (const [w, c] of windows) if (c.expiresAt < now) windows.delete(w);
      if (windows.size === 0) this.counters.delete(k);
    }
  }
}
