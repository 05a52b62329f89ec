// The rate-limit counters a replica keeps on its own while Redis is unreachable: each enforces
// its share of every cap (see FailMode), and remembers what it admitted so the shared counters
// can be brought up to date when Redis returns. Pure bookkeeping: time is passed in.

import type { FailMode } from './options.js';

interface Local {
  windowStart: number;
  windowMs: number;
  /** Counted here, seed included. */
  value: number;
  /** This replica's part of what Redis had counted before it went away (closed mode). */
  seed: number;
  /** Already written back to Redis by an earlier re-sync. */
  pushed: number;
}

export interface Backlog {
  key: string;
  windowStart: number;
  windowMs: number;
  delta: number;
}

export class LocalShares {
  private readonly local = new Map<string, Local>();
  /** The last shared count seen per counter key, for seeding closed-mode shares. */
  private readonly seen = new Map<string, { windowStart: number; value: number }>();

  constructor(
    private readonly mode: FailMode,
    /** N: how many replicas share each cap. */
    private readonly replicas: () => number,
  ) {}

  get size(): number {
    return this.local.size;
  }

  /** Remembers a count Redis answered with (one entry per counter key: bounded by live keys). */
  noteShared(key: string, windowStart: number, value: number): void {
    const s = this.seen.get(key);
    if (s && s.windowStart === windowStart) s.value = value;
    else this.seen.set(key, { windowStart, value });
  }

  /** What this replica may still admit of `cap` on its own. */
  shareOf(cap: number): number {
    const n = Math.max(1, this.replicas());
    return this.mode === 'open' ? Math.ceil(cap / n) : Math.floor(cap / n);
  }

  tryAdd(key: string, windowStart: number, windowMs: number, amount: number, cap: number, now: number): boolean {
    const c = this.counter(key, windowStart, windowMs, now);
    if (c.value + amount > this.shareOf(cap)) return false;
    c.value += amount;
    return true;
  }

  add(key: string, windowStart: number, windowMs: number, delta: number, now: number): void {
    this.counter(key, windowStart, windowMs, now).value += delta;
  }

  get(key: string, windowStart: number): number {
    const c = this.local.get(`${key}@${windowStart}`);
    return c ? c.value - c.seed : 0;
  }

  /**
   * What was admitted here and not yet written back, for windows still open. The caller writes
   * it to Redis, then calls `confirm` with the same list.
   */
  backlog(now: number): Backlog[] {
    const out: Backlog[] = [];
    for (const [k, c] of this.local) {
      if (c.windowStart + c.windowMs <= now) continue;
      const delta = c.value - c.seed - c.pushed;
      if (delta !== 0) out.push({ key: k.slice(0, k.lastIndexOf('@')), windowStart: c.windowStart, windowMs: c.windowMs, delta });
    }
    return out;
  }

  confirm(written: readonly Backlog[]): void {
    for (const b of written) {
      const c = this.local.get(`${b.key}@${b.windowStart}`);
      if (c) c.pushed += b.delta;
    }
  }

  /** Redis has everything: start from nothing at the next outage. */
  clear(): void {
    this.local.clear();
  }

  private counter(key: string, windowStart: number, windowMs: number, now: number): Local {
    const k = `${key}@${windowStart}`;
    let c = this.local.get(k);
    if (!c) {
      const seen = this.seen.get(key);
      // Closed: assume the requests Redis had counted were spread evenly over the replicas, so
      // this one's part of them comes off its share and the cluster as a whole stays in the cap.
      const seed = this.mode === 'closed' && seen?.windowStart === windowStart ? Math.ceil(seen.value / Math.max(1, this.replicas())) : 0;
      c = { windowStart, windowMs, value: seed, seed, pushed: 0 };
      this.local.set(k, c);
      if (this.local.size % 1024 === 0) this.sweep(now);
    }
    return c;
  }

  private sweep(now: number): void {
    for (const [k, c] of this.local) if (c.windowStart + 2 * c.windowMs < now) this.local.delete(k);
    for (const [k, s] of this.seen) if (s.windowStart + 120_000 < now) this.seen.delete(k);
  }
}
