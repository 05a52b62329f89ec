import { describe, expect, it } from 'vitest';
import { dep } from '../contracts/test-support/estate.js';
import { SimEstate } from './estate.js';
import { mulberry32 } from './prng.js';
import { BUILT_IN_BEHAVIOUR, type SimEvent } from './traffic-file.js';
import { FluidLoad } from './window.js';

const still = { ...BUILT_IN_BEHAVIOUR, jitterPercent: 0, loadPercentAtFull: 0 };
const estate = (events: SimEvent[] = [], spec = { concurrency: 10 }) => new SimEstate([dep('d', 'acct', 'east', 1)], { replicas: 1, defaults: still, deployments: [{ id: 'd', ...spec }] }, events, new Map(), 30_000);
const event = (over: Partial<SimEvent>): SimEvent => ({ kind: 'outage', deployments: ['d'], startMs: 1_000, endMs: 2_000, failure: 'server_error', capacityPercent: 100, latencyFactor: 1, ...over });

describe('load on the virtual clock', () => {
  it('measures requests in flight by Little\'s law: rate × latency', () => {
    const load = new FluidLoad();
    // 2 real requests a second (one weighted request of 20 every 10 s), 3 s each.
    for (let t = 0; t < 600_000; t += 10_000) load.add(t, 20 * 3_000, 20 * 500);
    expect(load.inFlight(600_000)).toBeCloseTo(6, 5);
    expect(load.tokensPerMinute(600_000)).toBeCloseTo(60_000, 3);
    // The span follows the gap between arrivals: 8 gaps of 10 s, at least a minute.
    expect(load.spanMs()).toBe(80_000);
  });
});

describe('a simulated deployment', () => {
  it('takes what fits of a weighted request, and refuses once full', () => {
    const e = estate();
    // 10 in flight at most; a request of 0.4 s holds 0.4/60 of a slot over the minute: 1,500 fit.
    const first = e.attempt('d', 0, 2_000, { tokens: 100, completion: 0 }, mulberry32(1));
    expect(first).toEqual({ ok: true, accepted: 1_500, latencyMs: 400, firstTokenMs: 400 });
    expect(e.attempt('d', 1, 10, { tokens: 100, completion: 0 }, mulberry32(1))).toEqual({ ok: false, failure: 'rate_limited', latencyMs: 100 });
  });

  it('fails every attempt during an outage, the way the event says', () => {
    const e = estate([event({ failure: 'timeout' })]);
    expect(e.attempt('d', 1_500, 1, { tokens: 1, completion: 1 }, mulberry32(1))).toEqual({ ok: false, failure: 'timeout', latencyMs: 30_000 });
    expect(e.attempt('d', 2_000, 1, { tokens: 1, completion: 1 }, mulberry32(1)).ok).toBe(true);
  });

  it('loses capacity in a crunch and slows down in a slowdown', () => {
    const crunch = estate([event({ kind: 'crunch', capacityPercent: 50, endMs: 1e12 })], { concurrency: 10 });
    expect(crunch.attempt('d', 1_500, 1_000, { tokens: 1, completion: 0 }, mulberry32(1))).toMatchObject({ ok: true, accepted: 750 });
    const slow = estate([event({ kind: 'slowdown', latencyFactor: 3 })]);
    expect(slow.attempt('d', 1_500, 1, { tokens: 1, completion: 10 }, mulberry32(1))).toMatchObject({ ok: true, latencyMs: 3 * (400 + 150) });
  });

  it('limits tokens per minute as well', () => {
    const e = estate([], { tokensPerMinute: 10_000 } as never);
    expect(e.attempt('d', 0, 100, { tokens: 1_000, completion: 0 }, mulberry32(1))).toMatchObject({ ok: true, accepted: 10 });
  });
});
