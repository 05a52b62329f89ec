// The CounterStore port on Redis, so RPM/TPM limits hold across every replica: each check-and-
// add is one Lua script (atomic on the server, one round trip). While Redis is unreachable the
// replica counts its local share instead (LocalShares), and writes what it admitted back to
// Redis when it returns, so the rest of the window is counted right.

import type { Redis } from 'ioredis';
import type { CounterStore } from '../limits/counter-store.js';
import { LocalShares, type Backlog } from './local-shares.js';
import type { FailMode } from './options.js';
import type { RedisLink } from './redis-link.js';

// Counts are INCRBYFLOAT so a fractional correction can never fail the script; replies are
// strings because Redis truncates Lua numbers to integers on the way out.
const TRY_ADD = `
local v = tonumber(redis.call('GET', KEYS[1]) or '0')
if v + tonumber(ARGV[1]) > tonumber(ARGV[2]) then return {0, tostring(v)} end
v = redis.call('INCRBYFLOAT', KEYS[1], ARGV[1])
redis.call('PEXPIREAT', KEYS[1], ARGV[3])
return {1, v}`;

const ADD = `
local v = redis.call('INCRBYFLOAT', KEYS[1], ARGV[1])
redis.call('PEXPIREAT', KEYS[1], ARGV[2])
return v`;

interface Scripts {
  treatyTryAdd(key: string, amount: string, cap: string, expireAt: string): Promise<[number, string]>;
  treatyAdd(key: string, delta: string, expireAt: string): Promise<string>;
}

export interface RedisCounterOptions {
  keyPrefix: string;
  failMode: FailMode;
  /** N for local shares. */
  replicas: () => number;
  now: () => number;
}

export class RedisCounterStore implements CounterStore {
  private readonly shares: LocalShares;
  private readonly redis: Redis & Scripts;
  private flushing = false;
  /**
   * Check-and-adds decided by Redis, and by the local share (Redis down or late); and late
   * replies whose effect on Redis was taken back because the request had been counted locally.
   */
  readonly decided = { shared: 0, local: 0, lateTakenBack: 0 };

  constructor(
    private readonly link: RedisLink,
    private readonly opts: RedisCounterOptions,
  ) {
    this.shares = new LocalShares(opts.failMode, opts.replicas);
    link.cmd.defineCommand('treatyTryAdd', { numberOfKeys: 1, lua: TRY_ADD });
    link.cmd.defineCommand('treatyAdd', { numberOfKeys: 1, lua: ADD });
    this.redis = link.cmd as Redis & Scripts;
    // Before limits go back to Redis, Redis learns what was admitted locally meanwhile.
    link.onUp(() => this.writeBack());
  }

  /** Whether limits are currently counted locally (Redis unavailable). */
  get local(): boolean {
    return !this.link.isUp;
  }

  async tryAdd(key: string, windowStart: number, windowMs: number, amount: number, cap: number): Promise<boolean> {
    if (this.link.isUp) {
      if (this.shares.size) this.flushRemainder();
      try {
        const [ok, value] = await this.link.run(
          () => this.redis.treatyTryAdd(this.k(key, windowStart), String(amount), String(cap), String(windowStart + 2 * windowMs)),
          ([lateOk]) => lateOk === 1 && this.takeBack(key, windowStart, windowMs, amount),
        );
        this.shares.noteShared(key, windowStart, Number(value));
        this.decided.shared++;
        return ok === 1;
      } catch {
        // Unavailable or late: this request is counted locally instead (and written back).
      }
    }
    this.decided.local++;
    return this.shares.tryAdd(key, windowStart, windowMs, amount, cap, this.opts.now());
  }

  async add(key: string, windowStart: number, windowMs: number, delta: number): Promise<void> {
    if (this.link.isUp) {
      try {
        await this.link.run(
          () => this.redis.treatyAdd(this.k(key, windowStart), String(delta), String(windowStart + 2 * windowMs)),
          () => this.takeBack(key, windowStart, windowMs, delta),
        );
        return;
      } catch {
        // Counted locally, and written back when Redis returns.
      }
    }
    this.shares.add(key, windowStart, windowMs, delta, this.opts.now());
  }

  async get(key: string, windowStart: number): Promise<number> {
    if (this.link.isUp) {
      try {
        return Number((await this.link.run((r) => r.get(this.k(key, windowStart)))) ?? 0);
      } catch {
        // Fall through to what this replica knows.
      }
    }
    return this.shares.get(key, windowStart);
  }

  /**
   * A command that timed out ran on Redis after all: the caller already counted it locally
   * (written back later) or refused it, so Redis's copy is taken back and the request counts
   * once. A reply that never comes (the connection died) leaves at most that one request
   * counted twice: the safe side for a limit.
   */
  private takeBack(key: string, windowStart: number, windowMs: number, amount: number): void {
    this.decided.lateTakenBack++;
    void this.add(key, windowStart, windowMs, -amount);
  }

  private k(key: string, windowStart: number): string {
    return `${this.opts.keyPrefix}c:${key}@${windowStart}`;
  }

  /** The `up` hook: write the local backlog to Redis (throws, keeping the link down, if it cannot). */
  private async writeBack(): Promise<void> {
    const backlog = this.shares.backlog(this.opts.now());
    if (backlog.length) await this.push(backlog);
    this.shares.confirm(backlog);
  }

  /**
   * Requests admitted locally while the write-back ran are pushed by the first request that
   * finds Redis up again; then the local counters are dropped.
   */
  private flushRemainder(): void {
    if (this.flushing) return;
    const rest = this.shares.backlog(this.opts.now());
    this.shares.clear();
    if (!rest.length) return;
    this.flushing = true;
    this.push(rest)
      .catch(() => undefined)
      .finally(() => (this.flushing = false));
  }

  private async push(backlog: readonly Backlog[]): Promise<void> {
    const p = this.link.cmd.pipeline();
    for (const b of backlog) (p as unknown as Scripts).treatyAdd(this.k(b.key, b.windowStart), String(b.delta), String(b.windowStart + 2 * b.windowMs));
    const results = await this.link.run(() => p.exec());
    const failed = results?.find(([err]) => err);
    if (failed) throw failed[0];
  }
}
