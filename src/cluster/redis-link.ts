// One replica's connection to Redis, and its verdict on whether Redis is usable right now.
// Every command is bounded (commandTimeoutMs) and never queued while disconnected, so a dead
// Redis costs nothing and a hung one at most two timeouts, after which the replica stops
// asking (the callers fall back to local state) until a probe or a reconnect proves Redis is
// back and the `up` hooks have re-synced what happened meanwhile.

import { Redis, ReplyError, type RedisOptions } from 'ioredis';
import type { Logger } from '../observability/logger.js';

export interface LinkOptions {
  redisUrl: string;
  commandTimeoutMs: number;
  /** How often to check a connected-but-silent Redis while down. */
  probeMs?: number;
}

type UpHook = () => Promise<void>;

/** A command that got no reply within commandTimeoutMs; it may still have run on Redis. */
export class CommandTimeout extends Error {
  constructor() {
    super('Command timed out');
  }
}

export class RedisLink {
  /** Commands: never queued offline, each bounded by commandTimeoutMs. */
  readonly cmd: Redis;
  /** Subscriptions need a connection of their own (Redis forbids commands on it). */
  private readonly sub: Redis;
  private up = false;
  /** The re-sync in progress, so concurrent triggers (a 'ready' event, a probe) share it. */
  private syncing: Promise<void> | undefined;
  private closed = false;
  private probe: NodeJS.Timeout | undefined;
  private silentProbes = 0;
  private timeoutsInARow = 0;
  private readonly upHooks: UpHook[] = [];
  private readonly announceHooks: (() => void)[] = [];
  private readonly listeningHooks: (() => void)[] = [];
  /** The subscriber is connected and subscribed to every channel (answers to our news can reach us). */
  private subscribed = false;
  private readonly channels = new Map<string, (message: string) => void>();
  /** Epoch ms since when Redis is considered down (undefined while up). */
  downSince: number | undefined;

  constructor(
    private readonly opts: LinkOptions,
    private readonly log: Logger,
    private readonly now: () => number,
  ) {
    const common: RedisOptions = {
      lazyConnect: true,
      connectTimeout: Math.max(500, opts.commandTimeoutMs * 5),
      // Keep trying forever, but gently: a replica outlives a Redis restart.
      retryStrategy: (n) => Math.min(100 * n, 1_000),
      // A command caught by a disconnect fails now rather than being replayed later.
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
    };
    // No auto-pipelining: it holds each command for a tick (~0.1 ms measured per call), and a
    // request makes its counter calls one after another. Concurrent requests still share the
    // socket; Redis answers them in order.
    // The command timeout is ours (see `run`), not ioredis's: its timeout throws the late reply
    // away, and a caller that already acted on the timeout needs that reply to undo a double count.
    this.cmd = new Redis(opts.redisUrl, { ...common, enableOfflineQueue: false });
    // The subscriber only ever sends SUBSCRIBE, which may wait for a connection: nothing on a
    // request path awaits it.
    // ioredis's own re-subscribe on reconnection leaves its promise unhandled: a connection
    // that drops again before Redis answers it rejected that promise and crashed the process
    // (seen with Redis going away half a second after a start). We subscribe again ourselves on
    // every 'ready' (below), with the rejection handled.
    this.sub = new Redis(opts.redisUrl, { ...common, enableOfflineQueue: true, autoResubscribe: false });
    // Errors reach us through failing commands and 'close'; unhandled 'error' would crash.
    this.cmd.on('error', () => undefined);
    this.sub.on('error', () => undefined);
    this.cmd.on('ready', () => void this.confirmUp());
    this.cmd.on('close', () => this.markDown('connection closed'));
    this.sub.on('message', (channel: string, message: string) => this.channels.get(channel)?.(message));
    // Subscribe again on every (re)connection: a SUBSCRIBE queued while Redis was away at start
    // is dropped with the offline queue, and ioredis only re-subscribes channels it once had.
    this.sub.on('ready', () => void this.resubscribe());
    this.sub.on('close', () => (this.subscribed = false));
  }

  get isUp(): boolean {
    return this.up;
  }

  /** Starts connecting and waits up to `waitMs` for Redis; a replica starts either way. */
  async connect(waitMs: number): Promise<void> {
    this.sub.connect().catch(() => undefined);
    const ready = this.cmd.connect().then(
      () => true,
      () => false,
    );
    const ok = await Promise.race([ready, new Promise<boolean>((r) => setTimeout(() => r(false), waitMs).unref())]);
    if (ok) await this.confirmUp();
    else {
      this.downSince = this.now();
      this.log.error('redis unreachable at start; limits use local shares and health stays local until it answers', {});
      this.startProbe();
    }
  }

  /** Runs when Redis becomes usable again, before any caller is told so (re-sync). */
  onUp(hook: UpHook): void {
    this.upHooks.push(hook);
  }

  /** Runs once Redis is usable again and callers know it (announcements to the other replicas). */
  afterUp(hook: () => void): void {
    this.announceHooks.push(hook);
  }

  /**
   * Runs each time this replica is up *and* subscribed again, whichever came back last. News
   * that asks the others for an answer goes out here: after an outage the subscriber reconnects
   * on its own back-off, up to a second after the command connection, and an ask sent before it
   * is subscribed loses the answers (pub/sub keeps nothing). Also after a subscriber alone
   * reconnects, since news may have been missed meanwhile.
   */
  whenListening(hook: () => void): void {
    this.listeningHooks.push(hook);
  }

  /**
   * Runs `f` against Redis and rethrows its failure. A closed or unwritable connection marks
   * the link down at once. A timeout only fails this call, unless the previous call timed out
   * too: one late reply is more often a busy event loop (GC, a saturated core) than a dead
   * Redis, and every request that goes local while Redis is fine weakens the shared limits.
   * A reply error (a bug in a script) just rethrows.
   *
   * A command that timed out may still have run on Redis: its reply, if it ever comes, goes to
   * `late`, so a caller that counted the request locally can take the double count back.
   */
  async run<T>(f: (r: Redis) => Promise<T>, late?: (reply: T) => void): Promise<T> {
    let sent: Promise<T> | undefined;
    try {
      sent = f(this.cmd);
      const v = await this.bounded(sent);
      this.timeoutsInARow = 0;
      return v;
    } catch (err) {
      if (err instanceof ReplyError) throw err;
      const timedOut = err instanceof CommandTimeout;
      if (timedOut) sent?.then(late, () => undefined);
      if (!timedOut || ++this.timeoutsInARow >= 2) this.markDown((err as Error).message);
      throw err;
    }
  }

  markDown(reason: string): void {
    if (this.closed) return;
    if (this.up) {
      this.up = false;
      this.downSince = this.now();
      this.log.warn('redis unavailable; limits fall back to local shares, health stays local', { reason });
    }
    this.startProbe();
  }

  /** Fire and forget: a lost message is healed by the re-sync that follows an outage. */
  publish(channel: string, message: string): void {
    if (!this.up) return;
    this.run((r) => r.publish(channel, message)).catch(() => undefined);
  }

  subscribe(channel: string, handler: (message: string) => void): void {
    this.channels.set(channel, handler);
    this.sub.subscribe(channel).catch(() => undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.up = false;
    clearInterval(this.probe);
    this.cmd.disconnect();
    this.sub.disconnect();
  }

  private async resubscribe(): Promise<void> {
    const channels = [...this.channels.keys()];
    try {
      if (channels.length > 0) await this.sub.subscribe(...channels);
    } catch {
      return; // the connection went again; its next 'ready' tries once more
    }
    if (this.sub.status !== 'ready') return;
    this.subscribed = true;
    this.listening();
  }

  private listening(): void {
    if (!this.up || !this.subscribed || this.closed) return;
    for (const hook of this.listeningHooks) hook();
  }

  private startProbe(): void {
    if (this.probe || this.closed) return;
    this.silentProbes = 0;
    this.probe = setInterval(() => void this.probeOnce(), this.opts.probeMs ?? 250);
    this.probe.unref();
  }

  /**
   * While down: a closed connection is reconnected by ioredis ('ready' then re-syncs); an
   * open but silent one (a hung server, a black-holed network) is pinged, and after a few
   * silent pings dropped so that a fresh connection is tried.
   */
  private async probeOnce(): Promise<void> {
    if (this.up || this.syncing !== undefined || this.cmd.status !== 'ready') return;
    try {
      await this.bounded(this.cmd.ping());
      await this.confirmUp();
    } catch {
      if (++this.silentProbes >= 4) {
        this.silentProbes = 0;
        this.cmd.disconnect(true);
      }
    }
  }

  /** `sent`, or a CommandTimeout after commandTimeoutMs (race subscribes, so a late failure is handled). */
  private bounded<T>(sent: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new CommandTimeout()), this.opts.commandTimeoutMs)));
    return Promise.race([sent, timeout]).finally(() => clearTimeout(timer));
  }

  private confirmUp(): Promise<void> {
    if (this.up || this.closed) return Promise.resolve();
    this.syncing ??= this.resync().finally(() => (this.syncing = undefined));
    return this.syncing;
  }

  private async resync(): Promise<void> {
    try {
      for (const hook of this.upHooks) await hook();
    } catch (err) {
      // Redis went away again during the re-sync: stay down and let the probe retry.
      this.log.warn('redis re-sync failed; staying on local state', { reason: (err as Error).message });
      this.startProbe();
      return;
    }
    this.up = true;
    this.timeoutsInARow = 0;
    clearInterval(this.probe);
    this.probe = undefined;
    if (this.downSince !== undefined) this.log.info('redis available; shared state re-synced', { downMs: this.now() - this.downSince });
    this.downSince = undefined;
    for (const hook of this.announceHooks) hook();
    this.listening();
  }
}
