// Moves this replica's contract counter deltas to Redis and the cluster's totals back, about
// once a second, in one Lua script (atomic, one round trip), and re-reads commitment spend
// before the boundary from the shared ledger now and then. While Redis is down nothing is
// lost: deltas wait and go with the first sync after it returns; reads meanwhile are the last
// totals plus this replica's own bookings (contract state stays local, like health).

import type { LedgerStore } from '../ledger/store.js';
import type { Logger } from '../observability/logger.js';
import { SPEND_BUCKET_MS, SharedContractCounters, type CounterSnapshot } from './contract-counters.js';
import type { RedisLink } from './redis-link.js';

export interface CommitmentTerm {
  ref: string;
  accounts: readonly string[];
  termStartMs: number;
}

export interface ContractSyncOptions {
  keyPrefix: string;
  replicaId: string;
  /** How often deltas go to Redis and totals come back. */
  syncMs: number;
  /** How far back the ledger/Redis boundary lies: the longest an attempt can run, plus margin. */
  horizonMs: number;
  /** How often commitment spend before the boundary is re-read from the ledger. */
  reseedMs: number;
}

// Numbers travel as strings: Lua formats large doubles in exponent notation, which HINCRBY rejects.
const SYNC = `
local pre, me = ARGV[1], ARGV[2]
local p = cjson.decode(ARGV[3])
local stale, keepFrom = tonumber(ARGV[4]), tonumber(ARGV[5])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local last = tonumber(redis.call('HGET', pre .. 'cs:seq', me) or '0')
if tonumber(p.seq) > last then
  for _, d in ipairs(p.spend) do redis.call('HINCRBY', pre .. 'cs:spend:' .. d[1], d[2], d[3]) end
  for _, d in ipairs(p.shares) do redis.call('HINCRBY', pre .. 'cs:shares', d[1], d[2]) end
  for _, d in ipairs(p.tokens) do redis.call('HINCRBY', pre .. 'cs:tokens:' .. d[1], d[2], d[3]) end
  redis.call('HSET', pre .. 'cs:seq', me, p.seq)
end
for _, d in ipairs(p.inFlight) do redis.call('HSET', pre .. 'cs:inflight:' .. d[1], me, d[2] .. ':' .. now) end
local function pruned(key, from)
  local h, keep = redis.call('HGETALL', key), {}
  for j = 1, #h, 2 do
    if tonumber(h[j]) < from then redis.call('HDEL', key, h[j]) else keep[#keep + 1] = h[j]; keep[#keep + 1] = h[j + 1] end
  end
  return keep
end
local spend, tokens, others = {}, {}, {}
for i, ref in ipairs(p.commitments) do spend[i] = pruned(pre .. 'cs:spend:' .. ref, keepFrom) end
for i, ref in ipairs(p.reservations) do
  tokens[i] = pruned(pre .. 'cs:tokens:' .. ref, now - 120000)
  local key, sum = pre .. 'cs:inflight:' .. ref, 0
  local h = redis.call('HGETALL', key)
  for j = 1, #h, 2 do
    local n, at = string.match(h[j + 1], '^(%d+):(%d+)$')
    if h[j] ~= me then
      if n == nil or now - tonumber(at) > stale then redis.call('HDEL', key, h[j]) else sum = sum + tonumber(n) end
    end
  end
  others[i] = tostring(sum)
end
return { redis.call('HGETALL', pre .. 'cs:shares'), spend, tokens, others }
`;

type Reply = [string[], string[][], string[][], string[]];

export class ContractSync {
  readonly counters = new SharedContractCounters();
  private commitments: CommitmentTerm[] = [];
  private reservations: string[] = [];
  private timers: NodeJS.Timeout[] = [];
  /** The sync under way, if any: one at a time, so batches reach Redis in order. */
  private running: Promise<boolean> | undefined;
  /** Syncs that reached Redis, and that failed (Redis down or late). */
  readonly counts = { synced: 0, failed: 0 };

  constructor(
    private readonly link: RedisLink,
    private readonly ledger: Pick<LedgerStore, 'spendToDate'>,
    private readonly opts: ContractSyncOptions,
    private readonly log: Logger,
    private readonly now: () => number,
  ) {
    link.cmd.defineCommand('treatyContractSync', { numberOfKeys: 0, lua: SYNC });
    // Back from an outage: send what waited at once rather than at the next tick.
    link.afterUp(() => void this.syncOnce());
  }

  /** The clauses in force (after every contracts load); re-reads their spend from the ledger. */
  async setContracts(commitments: CommitmentTerm[], reservations: string[]): Promise<void> {
    this.commitments = commitments;
    this.reservations = reservations;
    await this.reseed();
  }

  start(): void {
    const every = (ms: number, f: () => Promise<unknown>): void => {
      const t = setInterval(() => void f().catch(() => undefined), ms);
      t.unref();
      this.timers.push(t);
    };
    // A tick while the last sync still waits for Redis is skipped, not queued.
    every(this.opts.syncMs, () => this.running ?? this.syncOnce());
    every(this.opts.reseedMs, () => this.reseed());
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }

  /**
   * One round trip that starts after this call (after the one under way, if any): this
   * replica's deltas in, the cluster's totals out. False when Redis is down or the sync failed.
   */
  async syncOnce(): Promise<boolean> {
    while (this.running) await this.running;
    this.running = this.exchange().finally(() => (this.running = undefined));
    return this.running;
  }

  private async exchange(): Promise<boolean> {
    if (!this.link.isUp) return false;
    const now = this.now();
    // The clause lists as sent: a reload during the round trip must not shift the reply's slots.
    const { commitments, reservations } = this;
    const d = this.counters.takeDeltas(now, reservations);
    const payload = JSON.stringify({
      seq: String(d.seq),
      spend: d.spend.map(([r, b, v]) => [r, String(b), String(v)]),
      shares: d.shares.map(([k, v]) => [k, String(v)]),
      tokens: d.tokens.map(([r, b, v]) => [r, String(b), String(v)]),
      inFlight: d.inFlight.map(([r, n]) => [r, String(n)]),
      commitments: commitments.map((c) => c.ref),
      reservations,
    });
    // Spend buckets stay in Redis well past any replica's boundary (two horizons and a reseed).
    const keepFrom = now - 2 * this.opts.horizonMs - this.opts.reseedMs;
    const staleMs = Math.max(3 * this.opts.syncMs, 2_000);
    try {
      const reply = (await this.link.run((r) => (r as unknown as Record<string, (...a: string[]) => Promise<Reply>>).treatyContractSync!(this.opts.keyPrefix, this.opts.replicaId, payload, String(staleMs), String(keepFrom))));
      this.counters.synced(snapshot(reply, commitments, reservations));
      this.counts.synced++;
      return true;
    } catch (err) {
      this.counts.failed++;
      this.log.debug('contract counter sync failed; deltas wait for the next one', { reason: (err as Error).message });
      return false;
    }
  }

  /**
   * Commitment spend on attempts started before the boundary, from the shared ledger. A failed
   * read keeps the previous base (still exact for its own boundary) and is retried next time.
   */
  async reseed(): Promise<void> {
    const boundary = Math.floor((this.now() - this.opts.horizonMs) / SPEND_BUCKET_MS) * SPEND_BUCKET_MS;
    for (const c of this.commitments) {
      try {
        const usd = boundary > c.termStartMs ? await this.ledger.spendToDate(c.accounts, c.termStartMs, boundary) : 0;
        this.counters.setLedgerBase(c.ref, usd, boundary);
      } catch (err) {
        this.log.warn('commitment spend could not be re-read from the ledger; the previous figure stays', { commitment: c.ref, reason: (err as Error).message });
      }
    }
  }

}

function snapshot([shares, spend, tokens, others]: Reply, commitments: readonly CommitmentTerm[], reservations: readonly string[]): CounterSnapshot {
  const s: CounterSnapshot = { spend: new Map(), shares: pairs(shares, String), tokens: new Map(), othersInFlight: new Map() };
  commitments.forEach((c, i) => s.spend.set(c.ref, pairs(spend[i] ?? [], Number)));
  reservations.forEach((ref, i) => {
    s.tokens.set(ref, pairs(tokens[i] ?? [], Number));
    s.othersInFlight.set(ref, Number(others[i] ?? 0));
  });
  return s;
}

/** An HGETALL reply (field, value, field, value…) as a map with numeric values. */
function pairs<K>(flat: string[], key: (field: string) => K): Map<K, number> {
  const m = new Map<K, number>();
  for (let i = 0; i + 1 < flat.length; i += 2) m.set(key(flat[i]!), Number(flat[i + 1]));
  return m;
}
