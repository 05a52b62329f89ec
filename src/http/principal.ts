// Who is calling: a static key from the config, or a virtual key issued through the admin
// API (stored hashed in the ledger) with its tenant. Lookups are cached briefly, one at a time
// per key, and a known key is served from the cache while its refresh runs; a revocation in
// this process drops the cache entry at once.

import type { DownstreamRequest } from './downstream.js';
import { hash, timingSafeEqual } from 'node:crypto';
import { GatewayError } from '../domain/errors.js';
import { presentedKey } from './auth.js';

export interface AccessLimits {
  allowedModels: string[] | null;
  trafficClass: string | null;
  tags: string[];
  rpm: number | null;
  tpm: number | null;
  budgetUsd: number | null;
  budgetPeriod: 'day' | 'month' | null;
}

export interface Principal {
  /** A label for logs: the key's name, never the key. */
  keyName: string;
  keyId: string | null;
  tenantId: string | null;
  key: AccessLimits | null;
  tenant: AccessLimits | null;
}

/** The ledger's side of key lookup (a port; the ledger store implements it). */
export interface KeyDirectory {
  findKeyByHash(hash: string): Promise<({ id: string; tenantId: string; name: string } & AccessLimits) | undefined>;
  getTenant(id: string): Promise<({ id: string } & AccessLimits) | undefined>;
}

const NO_KEY = 'You didn\'t provide an API key. Send it as "Authorization: Bearer <key>".';
const BAD_KEY = 'Incorrect API key provided. Check the key you were issued; revoked keys stop working at once.';

interface Digest {
  key: string;
  digest: Buffer;
  hex: string;
}

/**
 * The last key presented on each connection and its SHA-256, so a keep-alive client sending the
 * same key on every request is hashed once per connection rather than per request (the hash was
 * ~2 µs of every request). The key is held no longer than the connection that carries it on every
 * request anyway, never logged, and compared only with what the same connection sent before.
 */
const lastKeyOn = new WeakMap<object, Digest>();

function digestOf(req: DownstreamRequest, key: string): Digest {
  const socket = req.socket as object | null;
  const last = socket ? lastKeyOn.get(socket) : undefined;
  if (last !== undefined && last.key === key) return last;
  const digest = hash('sha256', key, 'buffer');
  const d = { key, digest, hex: digest.toString('hex') };
  if (socket) lastKeyOn.set(socket, d);
  return d;
}

interface Cached {
  principal: Principal | null;
  /** Trusted until then; after it, served only while a refresh is on its way (up to staleUntil). */
  until: number;
  staleUntil: number;
}

export class Authenticator {
  /** Each static key's hash, with its principal built once (principals are never mutated). */
  private readonly statics: { name: string; hash: Buffer; principal: Principal }[];
  private readonly cache = new Map<string, Cached>();
  /** One lookup per key hash at a time: the requests that need it share it. */
  private readonly inFlight = new Map<string, Promise<Principal | null>>();
  /** Bumped by forget(): a lookup begun before a revocation here must not re-cache its answer. */
  private generation = 0;

  constructor(
    staticKeys: readonly { name: string; sha256: string }[],
    private readonly disabled: boolean,
    private readonly directory: KeyDirectory | undefined,
    private readonly now: () => number,
    /** How long a lookup is trusted; bounds how late another replica sees a revocation. */
    private readonly cacheMs = 1_000,
    /**
     * How long past cacheMs a known key is still served while its refresh is on its way.
     * Why: the refresh queues on the ledger's one connection, behind its attempt batches and,
     * under sustained load, a WAL checkpoint that holds writes for up to a second; every
     * request of that key waited for it, once a second (the p99 at 1,000 req/s read 38-63 ms
     * with the ledger on, 4 ms with it off). Now a revocation elsewhere shows within cacheMs
     * plus the refresh's own time, and never later than cacheMs + staleMs.
     */
    private readonly staleMs = 1_000,
  ) {
    this.statics = staticKeys.map((k) => ({ name: k.name, hash: Buffer.from(k.sha256, 'hex'), principal: Object.freeze({ keyName: k.name, keyId: null, tenantId: null, key: null, tenant: null }) }));
  }

  /**
   * The caller's principal; synchronous when the key is static or its lookup is cached (almost
   * every request), so the hot path costs no promise.
   */
  authenticate(req: DownstreamRequest): Principal | Promise<Principal> {
    if (this.disabled) return { keyName: 'anonymous', keyId: null, tenantId: null, key: null, tenant: null };
    const key = presentedKey(req);
    if (!key) throw new GatewayError('TREATY_UNAUTHORIZED', NO_KEY);
    const { digest, hex } = digestOf(req, key);
    let match: Principal | undefined;
    // Compare against every static key, so timing does not reveal which one matched.
    for (const k of this.statics) if (timingSafeEqual(k.hash, digest) && match === undefined) match = k.principal;
    if (match !== undefined) return match;
    const cached = this.cache.get(hex);
    const now = this.now();
    if (cached && cached.until > now) return known(cached.principal);
    // A key known to be valid is served as it was while its refresh runs; an unknown or
    // refused key waits for the lookup (nothing to go on, and no reason to let it in).
    if (cached?.principal && cached.staleUntil > now) {
      void this.lookupOnce(hex).catch(() => undefined);
      return cached.principal;
    }
    return this.lookupOnce(hex).then(known);
  }

  /** The directory's answer for a key hash, cached; concurrent callers share one lookup. */
  private lookupOnce(hex: string): Promise<Principal | null> {
    let p = this.inFlight.get(hex);
    if (p) return p;
    const generation = this.generation;
    // A failed lookup caches nothing: the entry ages out (staleUntil) and the next request tries again.
    p = this.lookup(hex)
      .then((principal) => {
        if (generation === this.generation) {
          const at = this.now();
          this.cache.set(hex, { principal, until: at + this.cacheMs, staleUntil: at + this.cacheMs + this.staleMs });
          if (this.cache.size > 10_000) this.cache.clear();
        }
        return principal;
      })
      .finally(() => {
        if (this.inFlight.get(hex) === p) this.inFlight.delete(hex);
      });
    this.inFlight.set(hex, p);
    return p;
  }

  /** A key was revoked here: forget it now (other replicas forget within cacheMs). */
  forget(): void {
    this.cache.clear();
    this.inFlight.clear();
    this.generation++;
  }

  private async lookup(hash: string): Promise<Principal | null> {
    // The hash lookup is an index probe on a SHA-256 of the key: timing reveals nothing useful.
    const k = await this.directory?.findKeyByHash(hash);
    if (!k) return null;
    const t = await this.directory!.getTenant(k.tenantId);
    const pick = (x: AccessLimits): AccessLimits => ({ allowedModels: x.allowedModels, trafficClass: x.trafficClass, tags: x.tags, rpm: x.rpm, tpm: x.tpm, budgetUsd: x.budgetUsd, budgetPeriod: x.budgetPeriod });
    return { keyName: k.name, keyId: k.id, tenantId: k.tenantId, key: pick(k), tenant: t ? pick(t) : null };
  }
}

function known(principal: Principal | null): Principal {
  if (!principal) throw new GatewayError('TREATY_UNAUTHORIZED', BAD_KEY);
  return principal;
}
