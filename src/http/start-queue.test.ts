import { describe, expect, it } from 'vitest';
import { StartQueue } from './start-queue.js';

/** A queue on a fake clock; `turn()` runs what the loop would run at its next check phase. */
function harness(budgetMs = 2) {
  let now = 100;
  const pending: (() => void)[] = [];
  const errors: unknown[] = [];
  const q = new StartQueue({ budgetMs, now: () => now, later: (fn) => pending.push(fn), onError: (e) => errors.push(e) });
  return {
    q,
    errors,
    advance: (ms: number) => void (now += ms),
    get now() {
      return now;
    },
    /** Runs one scheduled drain (one event-loop turn's check phase); false if none was scheduled. */
    turn(): boolean {
      const fn = pending.shift();
      fn?.();
      return fn !== undefined;
    },
    get scheduled() {
      return pending.length;
    },
    /** Queues a start that records `id` in `into` and takes `ms` of the fake clock. */
    pushCosting(ms: number, id: number, into: number[]): void {
      q.push(() => {
        into.push(id);
        now += ms;
      });
    },
  };
}

describe('start queue: admitted requests start a budget of milliseconds per turn', () => {
  it('starts in arrival order, only once the loop comes round (never inside the push)', () => {
    const h = harness();
    const order: number[] = [];
    for (let i = 0; i < 5; i++) h.q.push(() => order.push(i));
    expect(order).toEqual([]);
    expect(h.scheduled).toBe(1); // one drain per turn, however many wait
    h.turn();
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect(h.q.length).toBe(0);
    expect(h.scheduled).toBe(0);
  });

  it('stops a turn once its budget is spent and goes on at the next turn, so the loop polls in between', () => {
    const h = harness(2);
    const started: number[] = [];
    // Each start costs 0.6 ms: three fit in 2 ms, the fourth begins at 1.8 ms and overruns it.
    for (let i = 0; i < 10; i++) h.pushCosting(0.6, i, started);
    h.turn();
    expect(started).toEqual([0, 1, 2, 3]);
    expect(h.scheduled).toBe(1);
    h.turn();
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    h.turn();
    expect(started).toHaveLength(10);
    expect(h.turn()).toBe(false);
  });

  it('runs at least one start a turn, however long it takes', () => {
    const h = harness(2);
    const started: number[] = [];
    for (let i = 0; i < 3; i++) h.pushCosting(50, i, started);
    h.turn();
    expect(started).toEqual([0]);
    h.turn();
    h.turn();
    expect(started).toEqual([0, 1, 2]);
  });

  it('says how long the oldest waiting start has waited (the backlog the overload control reads)', () => {
    const h = harness(2);
    expect(h.q.oldestWaitMs(h.now)).toBe(0);
    h.q.push(() => h.advance(3));
    h.advance(4);
    h.q.push(() => h.advance(3));
    h.advance(1);
    expect(h.q.oldestWaitMs(h.now)).toBe(5);
    h.turn(); // the first starts and spends the budget; the second waits on
    expect(h.q.length).toBe(1);
    expect(h.q.oldestWaitMs(h.now)).toBe(4); // pushed at +4, now +8
    h.turn();
    expect(h.q.oldestWaitMs(h.now)).toBe(0);
  });

  it('drops a start whose client left while it waited (the listener already counted it out)', () => {
    const h = harness();
    const started: number[] = [];
    const gone = { aborted: false };
    h.q.push(() => started.push(1));
    h.q.push(() => started.push(2), gone);
    h.q.push(() => started.push(3), { aborted: false });
    gone.aborted = true;
    h.turn();
    expect(started).toEqual([1, 3]);
    expect(h.q.length).toBe(0);
  });

  it('a start that throws is reported and the rest still start', () => {
    const h = harness();
    const started: number[] = [];
    h.q.push(() => started.push(1));
    h.q.push(() => {
      throw new Error('boom');
    });
    h.q.push(() => started.push(3));
    h.turn();
    expect(started).toEqual([1, 3]);
    expect(h.errors).toHaveLength(1);
  });

  it('keeps order across many turns and long queues (the array is compacted as it drains)', () => {
    const h = harness(1);
    const started: number[] = [];
    for (let i = 0; i < 5000; i++) h.pushCosting(0.3, i, started);
    let turns = 0;
    // Pushes keep arriving between turns, as requests do between polls.
    let next = 5000;
    while (h.turn()) {
      turns++;
      if (next < 6000) h.pushCosting(0.3, next++, started);
    }
    expect(started).toEqual(Array.from({ length: started.length }, (_, i) => i));
    expect(started.length).toBeGreaterThan(5000);
    expect(turns).toBeGreaterThan(1000);
    expect(h.q.length).toBe(0);
  });
});
