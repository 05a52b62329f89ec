import { describe, expect, it } from 'vitest';
import { MemoryCounterStore } from './counter-store.js';
import { RateLimiter, WINDOW_MS } from './rate-limiter.js';

describe('rate limits (G16)', () => {
  it('admits at most the RPM per window under 1,000 concurrent requests, then opens the next window', async () => {
    let now = 1_000_000 * WINDOW_MS + 5;
    const rl = new RateLimiter(new MemoryCounterStore(() => now));
    const scope = [{ id: 'key:a', rpm: 100, tpm: null }];
    const results = await Promise.all(Array.from({ length: 1000 }, () => rl.admit(scope, 10, now)));
    expect(results.filter((r) => r.ok)).toHaveLength(100);
    const denied = results.find((r) => !r.ok);
    expect(denied).toMatchObject({ ok: false, limit: 'rpm', scope: 'key:a', retryAfterMs: WINDOW_MS - 5 });
    now += WINDOW_MS;
    expect((await rl.admit(scope, 10, now)).ok).toBe(true);
  });

  it('admits on a token estimate and corrects to the real count', async () => {
    const now = 42 * WINDOW_MS;
    const store = new MemoryCounterStore(() => now);
    const rl = new RateLimiter(store);
    const scope = [{ id: 'key:t', rpm: null, tpm: 1000 }];
    const a = await rl.admit(scope, 600, now);
    expect(a.ok).toBe(true);
    expect((await rl.admit(scope, 600, now)).ok).toBe(false);
    await rl.settleTokens(scope, (a as { windowStart: number }).windowStart, 600, 200);
    expect(await store.get('tpm:key:t', now)).toBe(200);
    expect((await rl.admit(scope, 600, now)).ok).toBe(true);
  });

  it('a request refused by one scope takes nothing from the others', async () => {
    const now = 7 * WINDOW_MS;
    const store = new MemoryCounterStore(() => now);
    const rl = new RateLimiter(store);
    const tenant = { id: 'tenant:x', rpm: 1000, tpm: null };
    const key = { id: 'key:y', rpm: 1, tpm: null };
    expect((await rl.admit([tenant, key], 1, now)).ok).toBe(true);
    expect((await rl.admit([tenant, key], 1, now)).ok).toBe(false);
    expect(await store.get('rpm:tenant:x', now)).toBe(1);
  });

  it('without a promise (counters in this process): the same limits, and a refusal takes nothing from any scope', async () => {
    const ws = 9 * WINDOW_MS;
    const now = ws + 1;
    const store = new MemoryCounterStore(() => now);
    const rl = new RateLimiter(store);
    const tenant = { id: 'tenant:x', rpm: 1000, tpm: 10_000 };
    const key = { id: 'key:y', rpm: 1000, tpm: 1000 };
    const a = rl.admitNow([tenant, key], 600, now);
    expect(a).toEqual({ ok: true, windowStart: ws });
    // The key's TPM refuses after its RPM and the tenant's counters were taken: all go back.
    expect(rl.admitNow([tenant, key], 600, now)).toEqual({ ok: false, limit: 'tpm', scope: 'key:y', retryAfterMs: WINDOW_MS - 1 });
    expect(await store.get('rpm:tenant:x', ws)).toBe(1);
    expect(await store.get('tpm:tenant:x', ws)).toBe(600);
    expect(await store.get('rpm:key:y', ws)).toBe(1);
    expect(await store.get('tpm:key:y', ws)).toBe(600);
    expect(rl.settleTokensNow([tenant, key], ws, 600, 100)).toBe(true);
    expect(await store.get('tpm:key:y', ws)).toBe(100);
    expect(rl.admitNow([tenant, key], 600, now)?.ok).toBe(true);
  });
});
