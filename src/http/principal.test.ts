import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { hashKey } from './auth.js';
import { Authenticator } from './principal.js';

const socket = {};
const on = (key: string): IncomingMessage => ({ headers: { authorization: `Bearer ${key}` }, socket }) as unknown as IncomingMessage;

describe('authenticating keys on a kept-alive connection', () => {
  const auth = new Authenticator([{ name: 'alpha', sha256: hashKey('sk-alpha-123456') }, { name: 'beta', sha256: hashKey('sk-beta-1234567') }], false, undefined, Date.now);

  it('each request is the key it presents, whatever the same connection presented before', () => {
    expect(auth.authenticate(on('sk-alpha-123456'))).toMatchObject({ keyName: 'alpha' });
    expect(auth.authenticate(on('sk-alpha-123456'))).toMatchObject({ keyName: 'alpha' });
    expect(auth.authenticate(on('sk-beta-1234567'))).toMatchObject({ keyName: 'beta' });
    expect(auth.authenticate(on('sk-alpha-123456'))).toMatchObject({ keyName: 'alpha' });
  });

  it('a wrong key after a good one on the same connection is refused', async () => {
    expect(auth.authenticate(on('sk-alpha-123456'))).toMatchObject({ keyName: 'alpha' });
    await expect(Promise.resolve().then(() => auth.authenticate(on('sk-alpha-123457')))).rejects.toMatchObject({ code: 'TREATY_UNAUTHORIZED' });
  });
});

describe('virtual keys: lookups shared, refreshed behind a served cache, revocations bounded', () => {
  /** A directory whose answers the test releases by hand, counting the lookups it was asked for. */
  function directory() {
    const keys = new Map<string, boolean>();
    const waiting: { hash: string; release: () => void; fail: (e: Error) => void }[] = [];
    let lookups = 0;
    const dir = {
      findKeyByHash: (hash: string) => {
        lookups++;
        return new Promise<{ id: string; tenantId: string; name: string; allowedModels: null; trafficClass: null; tags: string[]; rpm: null; tpm: null; budgetUsd: null; budgetPeriod: null } | undefined>((resolve, reject) => {
          waiting.push({
            hash,
            release: () => resolve(keys.get(hash) ? { id: 'k1', tenantId: 't1', name: 'team-key', allowedModels: null, trafficClass: null, tags: [], rpm: null, tpm: null, budgetUsd: null, budgetPeriod: null } : undefined),
            fail: reject,
          });
        });
      },
      getTenant: () => Promise.resolve(undefined),
    };
    return {
      dir,
      keys,
      lookups: () => lookups,
      /** Answers every lookup asked so far; lets the answers reach the cache. */
      async answer(): Promise<void> {
        for (const w of waiting.splice(0)) w.release();
        for (let i = 0; i < 5; i++) await Promise.resolve();
      },
      async fail(): Promise<void> {
        for (const w of waiting.splice(0)) w.fail(new Error('ledger unavailable'));
        for (let i = 0; i < 5; i++) await Promise.resolve();
      },
    };
  }
  const SECRET = 'tk-virtual-key-0001';
  const req = (): IncomingMessage => ({ headers: { authorization: `Bearer ${SECRET}` }, socket: {} }) as unknown as IncomingMessage;
  const setup = () => {
    let now = 1_000_000;
    const d = directory();
    d.keys.set(hashKey(SECRET), true);
    const auth = new Authenticator([], false, d.dir, () => now, 1_000, 1_000);
    /** The key looked up once and cached. */
    const known = async (): Promise<void> => {
      const first = auth.authenticate(req());
      await d.answer();
      await first;
    };
    return { d, auth, known, advance: (ms: number) => (now += ms) };
  };

  it('requests that arrive together while a key is unknown share one lookup', async () => {
    const { d, auth } = setup();
    const waits = [auth.authenticate(req()), auth.authenticate(req()), auth.authenticate(req())];
    expect(d.lookups()).toBe(1);
    await d.answer();
    for (const w of await Promise.all(waits)) expect(w).toMatchObject({ keyName: 'team-key', tenantId: 't1' });
  });

  it('once the cache is due, a known key is served at once while one refresh runs', async () => {
    const { d, auth, advance, known } = setup();
    await known();
    advance(1_001);
    // Served synchronously from the cache (no promise): the refresh does not hold the request.
    expect(auth.authenticate(req())).toMatchObject({ keyName: 'team-key' });
    expect(auth.authenticate(req())).toMatchObject({ keyName: 'team-key' });
    expect(d.lookups()).toBe(2);
    await d.answer();
    // Refreshed: trusted for another cacheMs without a lookup.
    advance(900);
    expect(auth.authenticate(req())).toMatchObject({ keyName: 'team-key' });
    expect(d.lookups()).toBe(2);
  });

  it('a key revoked elsewhere is refused as soon as the refresh sees it', async () => {
    const { d, auth, advance, known } = setup();
    await known();
    d.keys.delete(hashKey(SECRET));
    advance(1_001);
    expect(auth.authenticate(req())).toMatchObject({ keyName: 'team-key' });
    await d.answer();
    expect(() => auth.authenticate(req())).toThrow(/Incorrect API key/);
  });

  it('a refresh that does not come back in staleMs stops the stale serving: requests wait for the ledger', async () => {
    const { d, auth, advance, known } = setup();
    await known();
    advance(1_001);
    expect(auth.authenticate(req())).toMatchObject({ keyName: 'team-key' });
    advance(1_000);
    // Past cacheMs + staleMs: the request waits, and shares the refresh already running.
    const late = auth.authenticate(req());
    expect(late).toBeInstanceOf(Promise);
    expect(d.lookups()).toBe(2);
    await d.answer();
    await expect(late).resolves.toMatchObject({ keyName: 'team-key' });
  });

  it('a failed refresh keeps serving the known key until staleMs, then the error reaches the caller', async () => {
    const { d, auth, advance, known } = setup();
    await known();
    advance(1_001);
    expect(auth.authenticate(req())).toMatchObject({ keyName: 'team-key' });
    await d.fail();
    // The next request starts a new refresh and is still served.
    expect(auth.authenticate(req())).toMatchObject({ keyName: 'team-key' });
    expect(d.lookups()).toBe(3);
    await d.fail();
    advance(1_000);
    const late = auth.authenticate(req());
    await d.fail();
    await expect(late).rejects.toThrow('ledger unavailable');
  });

  it('an unknown key is never served from a stale entry', async () => {
    const { d, auth, advance } = setup();
    d.keys.delete(hashKey(SECRET));
    const first = auth.authenticate(req());
    await d.answer();
    await expect(first).rejects.toMatchObject({ code: 'TREATY_UNAUTHORIZED' });
    // Issued meanwhile: after cacheMs the lookup runs and the key works.
    d.keys.set(hashKey(SECRET), true);
    advance(1_001);
    const next = auth.authenticate(req());
    expect(next).toBeInstanceOf(Promise);
    await d.answer();
    await expect(next).resolves.toMatchObject({ keyName: 'team-key' });
  });

  it('a revocation here forgets the key at once, even with its lookup on the way', async () => {
    const { d, auth } = setup();
    const first = auth.authenticate(req());
    auth.forget();
    await d.answer();
    // The lookup begun before the revocation answers its own caller, but is not cached.
    await expect(first).resolves.toMatchObject({ keyName: 'team-key' });
    d.keys.delete(hashKey(SECRET));
    const after = auth.authenticate(req());
    expect(d.lookups()).toBe(2);
    await d.answer();
    await expect(after).rejects.toMatchObject({ code: 'TREATY_UNAUTHORIZED' });
  });
});
