import { describe, expect, it } from 'vitest';
import { MinuteWindow } from './minute-window.js';

/** The same count done the obvious way: every start kept, summed over the last minute. */
function naive(starts: [number, number][], now: number): number {
  return starts.filter(([t]) => t > now - 60_000).reduce((s, [, n]) => s + n, 0);
}

describe('tokens started in the last minute', () => {
  it('counts a start for exactly one minute', () => {
    const w = new MinuteWindow();
    w.add(1_000, 50);
    expect(w.sum(1_000)).toBe(50);
    expect(w.sum(60_999)).toBe(50);
    expect(w.sum(61_000)).toBe(0);
  });

  it('agrees with a plain recount through growth, wrap-around and long idle gaps', () => {
    const w = new MinuteWindow();
    const starts: [number, number][] = [];
    let now = 0;
    // Deterministic mix: bursts that outgrow the buffer, steady traffic that wraps it, idle minutes.
    for (let step = 0; step < 20_000; step++) {
      const phase = Math.floor(step / 2_500) % 4;
      now += phase === 0 ? 1 : phase === 1 ? 37 : phase === 2 ? 5 : step % 500 === 0 ? 90_000 : 11;
      const tokens = (step * 7919) % 1000;
      w.add(now, tokens);
      starts.push([now, tokens]);
      if (step % 97 === 0) expect(w.sum(now)).toBe(naive(starts, now));
    }
    expect(w.sum(now + 60_000)).toBe(0);
    expect(w.size).toBe(0);
  });

  it('keeps no more than a minute of starts however long it runs', () => {
    const w = new MinuteWindow();
    for (let t = 0; t < 600_000; t += 10) {
      w.add(t, 1);
      w.sum(t);
    }
    // 100 starts a second for a minute.
    expect(w.size).toBe(6_000);
  });
});
