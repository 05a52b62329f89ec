import { afterEach, describe, expect, it, vi } from 'vitest';
import { OverloadController, QUIET_MS, SAMPLE_MS, startLagSampler, type OverloadChange } from './overload.js';

const SETTINGS = { lagTargetMs: 10, intervalMs: 100, minActive: 128 };

/** A controller on a fake clock: `run` ticks it as a loop `lagMs` late on every tick would. */
function harness(settings = SETTINGS) {
  const changes: OverloadChange[] = [];
  const c = new OverloadController(settings, (ch) => changes.push(ch));
  let now = 1_000;
  c.tick(now, 0);
  return {
    c,
    changes,
    get now() {
      return now;
    },
    /** Ticks for `ms`; `arrivals` new requests (each with `active` in progress) ask to be admitted between ticks. */
    run(ms: number, lagMs: number, active: number, arrivals = 0): number {
      const end = now + ms;
      let refused = 0;
      while (now < end) {
        for (let i = 0; i < arrivals; i++) if (!c.admit(active)) refused++;
        now += SAMPLE_MS + lagMs;
        c.tick(now, active);
      }
      return refused;
    },
  };
}

describe('overload control: shedding follows the event loop lag', () => {
  it('sheds nothing while the loop keeps time, however many requests are in progress', () => {
    const h = harness();
    h.run(1_000, 2, 4_000);
    expect(h.c.isShedding).toBe(false);
    expect(h.c.admit(4_000)).toBe(true);
  });

  it('one long pause (a garbage collection) does not start shedding', () => {
    const h = harness();
    h.run(200, 1, 500);
    h.run(1, 30, 500); // one tick 30 ms late
    h.run(300, 1, 500);
    expect(h.changes).toEqual([]);
  });

  it('starts shedding when the loop stays behind, then admits only while fewer than a limit are in progress', () => {
    const h = harness();
    h.run(100, 1, 500);
    h.run(200, 25, 500); // every tick 25 ms late for 200 ms
    expect(h.c.isShedding).toBe(true);
    expect(h.changes[0]).toMatchObject({ shedding: true, shed: 0 });
    // The limit started at the 500 in progress and has been cut on every late tick since.
    const limit = h.c.admitLimit;
    expect(limit).toBeGreaterThanOrEqual(SETTINGS.minActive);
    expect(limit).toBeLessThan(500);
    expect(h.c.admit(limit - 1)).toBe(true);
    expect(h.c.admit(limit)).toBe(false);
    expect(h.c.admit(500)).toBe(false);
  });

  it('cuts the limit while the loop is late and raises it while it is on time, so the queue finds its own depth', () => {
    const h = harness();
    h.run(300, 25, 1_000);
    const afterLate = h.c.admitLimit;
    h.run(200, 25, 1_000);
    expect(h.c.admitLimit).toBeLessThan(afterLate);
    // On time (lag under half the target) but the average still high enough to keep shedding.
    const low = h.c.admitLimit;
    h.run(30, 0, 1_000);
    expect(h.c.isShedding).toBe(true);
    expect(h.c.admitLimit).toBeGreaterThan(low);
    // Between half the target and the target: the limit holds.
    const held = h.c.admitLimit;
    h.run(50, 7, 1_000);
    expect(h.c.admitLimit).toBe(held);
  });

  it('counts admitted requests waiting to start as lag: a backlog that grows while the loop keeps time still cuts the limit', () => {
    const h = harness();
    h.run(300, 25, 1_000);
    expect(h.c.isShedding).toBe(true);
    const limit = h.c.admitLimit;
    // The loop on time, but the oldest admitted request has waited 20 ms to start.
    let now = h.now;
    for (let i = 0; i < 10; i++) h.c.tick((now += SAMPLE_MS), 1_000, 20);
    expect(h.c.admitLimit).toBeLessThan(limit);
    expect(h.c.lagMs).toBeGreaterThan(SETTINGS.lagTargetMs);
    // The same ticks with the queue empty raise it again.
    const cut = h.c.admitLimit;
    for (let i = 0; i < 10; i++) h.c.tick((now += SAMPLE_MS), 1_000, 0);
    expect(h.c.admitLimit).toBeGreaterThan(cut);
  });

  it('never lets the limit fall below minActive, so the loop never idles for shedding', () => {
    const h = harness();
    h.run(3_000, 25, 500);
    expect(h.c.isShedding).toBe(true);
    expect(h.c.admitLimit).toBe(SETTINGS.minActive);
    expect(h.c.admit(127)).toBe(true);
    expect(h.c.admit(128)).toBe(false);
  });

  it('does not start shedding when few requests are in progress, even with the loop behind', () => {
    const h = harness();
    h.run(500, 40, 64);
    expect(h.c.isShedding).toBe(false);
    expect(h.c.admit(64)).toBe(true);
  });

  it('stops shedding once the lag has stayed under half the target for intervalMs, and reports what it shed', () => {
    const h = harness();
    h.run(300, 25, 500);
    expect(h.c.admit(500)).toBe(false);
    expect(h.c.admit(500)).toBe(false);
    // The load drops: the average falls, but it has to stay low for a whole interval.
    h.run(200, 0, 20);
    expect(h.c.isShedding).toBe(true);
    h.run(200, 0, 20);
    expect(h.c.isShedding).toBe(false);
    expect(h.changes.at(-1)).toMatchObject({ shedding: false, shed: 2 });
    expect(h.c.admit(500)).toBe(true);
    expect(h.c.admitLimit).toBe(Number.POSITIVE_INFINITY);
  });

  it('keeps shedding while the limit still turns requests away, even with the loop on time', () => {
    // The admitted requests wait on a slow upstream, so the loop idles while the excess keeps
    // arriving: stopping now would let all of it in at once.
    const h = harness();
    h.run(300, 25, 500);
    const cut = h.c.admitLimit;
    const refused = h.run(1_000, 0, 2_000, 5);
    expect(refused).toBeGreaterThan(0);
    expect(h.changes.map((c) => c.shedding)).toEqual([true]);
    // On time, the limit rises step by step (a sixty-fourth a tick), never to "everything".
    expect(h.c.admitLimit).toBeGreaterThan(cut);
    expect(h.c.admitLimit).toBeLessThan(cut * 2 ** (100 / 64 + 1));
    expect(h.c.admit(10_000)).toBe(false);
    // Demand falls under the limit: nothing refused for a whole interval, and shedding stops.
    h.run(90, 0, 20, 1);
    expect(h.c.isShedding).toBe(true);
    h.run(120, 0, 20, 1);
    expect(h.c.isShedding).toBe(false);
    expect(h.changes.at(-1)).toMatchObject({ shedding: false });
  });

  it('does not flap while the lag hovers between half the target and the target', () => {
    const h = harness();
    h.run(300, 25, 500);
    h.run(2_000, 7, 500);
    expect(h.changes.map((c) => c.shedding)).toEqual([true]);
  });

  it('remembers the longest stall of the last 10-20 s for /metrics, then lets it go', () => {
    const h = harness();
    h.run(500, 0, 0);
    expect(h.c.recentMaxLagMs(h.now)).toBe(0);
    h.run(SAMPLE_MS + 80, 80, 0); // one tick 80 ms late
    expect(h.c.recentMaxLagMs(h.now)).toBe(80);
    h.run(9_000, 1, 0);
    expect(h.c.recentMaxLagMs(h.now)).toBe(80); // still in view
    h.run(21_000, 1, 0);
    expect(h.c.recentMaxLagMs(h.now)).toBe(1);
    expect(h.c.recentMaxLagMs(h.now + 60_000)).toBe(0); // no ticks since (the sampler slept): nothing stalled that it saw
  });

  it('lagTargetMs 0 turns shedding off', () => {
    const h = harness({ ...SETTINGS, lagTargetMs: 0 });
    h.run(1_000, 200, 10_000);
    expect(h.c.isShedding).toBe(false);
    expect(h.c.admit(10_000)).toBe(true);
  });
});

describe('the lag sampler sleeps while the gateway is idle', () => {
  // Fake timers drive both the interval and the clock the sampler reads.
  const setup = (active: { n: number }) => {
    vi.useFakeTimers();
    const changes: OverloadChange[] = [];
    const c = new OverloadController(SETTINGS, (ch) => changes.push(ch));
    const ticks: number[] = [];
    const tick = c.tick.bind(c);
    c.tick = (now, a, b) => {
      ticks.push(now);
      tick(now, a, b);
    };
    const s = startLagSampler(c, () => Date.now(), () => active.n);
    return { c, s, ticks, changes };
  };
  afterEach(() => vi.useRealTimers());

  it('stops ticking QUIET_MS after the last request in progress, and the next request starts it again', () => {
    const active = { n: 1 };
    const { s, ticks } = setup(active);
    vi.advanceTimersByTime(5_000);
    expect(s.awake).toBe(true);
    expect(ticks.length).toBe(5_000 / SAMPLE_MS);
    active.n = 0;
    vi.advanceTimersByTime(QUIET_MS + SAMPLE_MS);
    expect(s.awake).toBe(false);
    const asleep = ticks.length;
    vi.advanceTimersByTime(60_000);
    expect(ticks.length).toBe(asleep); // a minute idle: not one wake
    s.wake();
    expect(s.awake).toBe(true);
    vi.advanceTimersByTime(10 * SAMPLE_MS);
    expect(ticks.length).toBe(asleep + 10);
    s.stop();
    s.wake();
    expect(s.awake).toBe(false);
  });

  it('keeps ticking while requests are in progress however long it lasts', () => {
    const active = { n: 3 };
    const { s } = setup(active);
    vi.advanceTimersByTime(10 * QUIET_MS);
    expect(s.awake).toBe(true);
    s.stop();
  });

  it('a request after a long sleep is not read as lag: a busy first second after idle does not start shedding', () => {
    const active = { n: 0 };
    const { c, s, changes } = setup(active);
    vi.advanceTimersByTime(QUIET_MS + SAMPLE_MS);
    expect(s.awake).toBe(false);
    vi.advanceTimersByTime(30_000);
    active.n = 1_000; // well past minActive
    s.wake();
    vi.advanceTimersByTime(1_000); // on time
    expect(changes).toEqual([]); // never shed, not even for a tick
    expect(c.lagMs).toBeLessThan(1);
    s.stop();
  });

  it('still starts shedding when the loop falls behind after waking', () => {
    const active = { n: 0 };
    const { c, s } = setup(active);
    vi.advanceTimersByTime(QUIET_MS + SAMPLE_MS);
    active.n = 1_000;
    s.wake();
    // Each tick fires 30 ms late: the loop is busy for that long between ticks.
    for (let i = 0; i < 100; i++) {
      vi.setSystemTime(Date.now() + 30);
      vi.advanceTimersByTime(SAMPLE_MS);
    }
    expect(c.isShedding).toBe(true);
    s.stop();
  });
});
