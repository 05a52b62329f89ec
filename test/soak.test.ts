// Stays healthy: thousands of mixed faulty requests leave no leaked timers, sockets or
// listeners behind, memory stays flat, and a normal request succeeds right after.

import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaultSpec } from '../src/emulators/core/types.js';
import { DEPLOYMENTS, KEYS, startHarness, type Harness } from './support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    resilienceYaml: '  backoffBaseMs: 2\n  backoffMaxMs: 5\n  rateLimitCooldownMs: 5\n  firstTokenTimeoutMs: 150\n  idleTimeoutMs: 150\n  attemptTimeoutMs: 400\n  consecutiveFailures: 100000\n  throttleK: 0',
    modelsYaml: '  - { name: mix, deployments: [vllm, az-std, br-a] }',
  });
});
afterAll(async () => h?.close());

const FAULTS: (FaultSpec | undefined)[] = [
  undefined,
  { fault: 'server_error' },
  { fault: 'unavailable' },
  { fault: 'rate_limit', ms: 5 },
  { fault: 'reset' },
  { fault: 'cut_after', tokens: 2 },
  { fault: 'stall_after', tokens: 1 },
  { fault: 'malformed_chunk', tokens: 1 },
  { fault: 'malformed_first' },
  { fault: 'stream_error', tokens: 1 },
  { fault: 'slow_first_token', ms: 400 },
  { fault: 'hang' },
  { fault: 'no_done' },
];

function resources(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) out[r] = (out[r] ?? 0) + 1;
  return out;
}

async function one(i: number): Promise<number> {
  const stream = i % 2 === 0;
  const ac = new AbortController();
  // Every 7th client gives up early, to exercise cancellation too.
  const giveUp = i % 7 === 0 ? setTimeout(() => ac.abort(), 20) : undefined;
  try {
    const r = await request(`${h.url}/v1/chat/completions`, { method: 'POST', signal: ac.signal, body: JSON.stringify({ model: 'mix', stream, messages: [{ role: 'user', content: `soak ${i}` }] }), headers: { 'content-type': 'application/json', authorization: `Bearer ${KEYS.client}` } });
    await r.body.text();
    return r.statusCode;
  } catch {
    return 0;
  } finally {
    clearTimeout(giveUp);
  }
}

async function batch(from: number, n: number, concurrency: number): Promise<void> {
  let next = from;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < from + n) {
        const i = next++;
        if (i % 50 === 0) {
          // Rotate standing faults across the pool's three clouds.
          for (const [k, id] of ['vllm', 'az-std', 'br-a'].entries()) {
            const d = DEPLOYMENTS[id]!;
            const pick = FAULTS[(i / 50 + k) % FAULTS.length];
            h.estate.engine.setFaults(d.provider, d.name, pick ? [{ ...pick, count: 20 }] : []);
          }
        }
        await one(i);
      }
    }),
  );
}

async function settle(): Promise<void> {
  for (const d of Object.values(DEPLOYMENTS)) h.estate.engine.setFaults(d.provider, d.name, []);
  // Wait until every attempt the emulators saw has ended (hung ones end when Treaty hangs up).
  const deadline = Date.now() + 5000;
  while (h.estate.engine.attempts().some((a) => a.endedAt === undefined) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  h.gateway.health.reset();
}

describe('soak', () => {
  it('3,000 mixed faulty requests leave handles and memory flat, and the next request succeeds', async () => {
    await batch(0, 600, 30);
    await settle();
    const before = resources();
    const rssBefore = process.memoryUsage().rss;
    await batch(300, 3000, 30);
    await settle();
    const after = resources();
    const rssAfter = process.memoryUsage().rss;

    expect(h.estate.engine.attempts().filter((a) => a.endedAt === undefined)).toHaveLength(0);
    // Timers: none left running by finished requests.
    expect((after.Timeout ?? 0) - (before.Timeout ?? 0)).toBeLessThanOrEqual(2);
    // Sockets: only keep-alive connections, bounded by concurrency (30 clients; both ends of
    // each connection live in this process: client↔gateway and gateway↔3 clouds), never by the
    // 3,000 requests.
    expect(after.TCPSocketWrap ?? 0).toBeLessThanOrEqual(2 * 30 + 2 * 3 * 30);
    // Memory: GC noise, not growth with the request count.
    expect(rssAfter - rssBefore).toBeLessThan(128 * 1024 * 1024);
    // No listener pile-up on the server.
    expect(h.gateway.server.listenerCount('connection')).toBe(1);

    console.log(JSON.stringify({ before, after, rssBeforeMB: Math.round(rssBefore / 1e6), rssAfterMB: Math.round(rssAfter / 1e6) }));
    const ok = await one(1); // i=1: streaming off, no early give-up
    expect(ok).toBe(200);
  }, 120_000);
});
