import { describe, expect, it } from 'vitest';
import { LocalShares } from './local-shares.js';

const W = 60_000;
const ws = 100 * W;

describe('local shares while Redis is away', () => {
  it('open: each replica admits ⌈cap / N⌉, counted from zero', () => {
    const s = new LocalShares('open', () => 3);
    const admitted = Array.from({ length: 50 }, () => s.tryAdd('rpm:key:a', ws, W, 1, 100, ws + 1)).filter(Boolean).length;
    expect(admitted).toBe(34);
  });

  it('closed: each replica admits ⌊cap / N⌋ less its part of what Redis had already counted', () => {
    const s = new LocalShares('closed', () => 3);
    s.noteShared('rpm:key:a', ws, 60);
    const admitted = Array.from({ length: 50 }, () => s.tryAdd('rpm:key:a', ws, W, 1, 100, ws + 1)).filter(Boolean).length;
    // 3 replicas × (33 − ⌈60 / 3⌉) = 39 more, + 60 already counted = 99 ≤ 100.
    expect(admitted).toBe(13);
  });

  it('closed: a count seen in an earlier window does not seed this one', () => {
    const s = new LocalShares('closed', () => 2);
    s.noteShared('rpm:key:a', ws - W, 90);
    expect(Array.from({ length: 60 }, () => s.tryAdd('rpm:key:a', ws, W, 1, 100, ws + 1)).filter(Boolean).length).toBe(50);
  });

  it('closed: a cap smaller than N refuses everything; open still admits one per replica', () => {
    expect(new LocalShares('closed', () => 3).tryAdd('rpm:k', ws, W, 1, 2, ws)).toBe(false);
    expect(new LocalShares('open', () => 3).tryAdd('rpm:k', ws, W, 1, 2, ws)).toBe(true);
  });

  it('keeps a backlog of what it admitted (seed excluded) for the write-back, and nothing twice', () => {
    const s = new LocalShares('closed', () => 2);
    s.noteShared('tpm:key:a', ws, 100);
    expect(s.tryAdd('tpm:key:a', ws, W, 30, 1000, ws + 5)).toBe(true);
    s.add('tpm:key:a', ws, W, -10, ws + 6);
    const b = s.backlog(ws + 10);
    expect(b).toEqual([{ key: 'tpm:key:a', windowStart: ws, windowMs: W, delta: 20 }]);
    s.confirm(b);
    expect(s.backlog(ws + 10)).toEqual([]);
    expect(s.tryAdd('tpm:key:a', ws, W, 5, 1000, ws + 11)).toBe(true);
    expect(s.backlog(ws + 12)).toEqual([{ key: 'tpm:key:a', windowStart: ws, windowMs: W, delta: 5 }]);
    // A window that has closed is not written back: its Redis counter is no longer read.
    expect(s.backlog(ws + W)).toEqual([]);
  });
});
