import { afterEach, describe, expect, it, vi } from 'vitest';
import { BatchWriter } from './batch-writer.js';

/** A commit function that records batches and can be held open. */
function recorder(opts: { failOn?: number } = {}) {
  const batches: number[][] = [];
  let gate: Promise<void> = Promise.resolve();
  let open: () => void = () => {};
  return {
    batches,
    hold() {
      gate = new Promise((r) => (open = r));
    },
    release: () => open(),
    commit: async (ops: readonly number[]): Promise<number[]> => {
      await gate;
      if (opts.failOn !== undefined && ops.includes(opts.failOn)) throw new Error(`bad ${opts.failOn}`);
      batches.push([...ops]);
      return ops.map((o) => o * 10);
    },
  };
}

const tick = () => new Promise<void>((r) => setImmediate(r));

describe('BatchWriter (group commit)', () => {
  it('lets the event loop poll between the batches of a backlog (a store that commits synchronously would otherwise hold it for all of them)', async () => {
    const order: string[] = [];
    // Commits as SQLite does here: synchronously, resolved in a microtask.
    const w = new BatchWriter<number, number>(async (ops) => {
      order.push(`commit ${ops.length}`);
      return [...ops];
    }, { maxBatch: 2, maxDelayMs: 0 });
    const done = [1, 2, 3, 4, 5].map((n) => w.write(n));
    // Queued after the writes: runs at the loop's next check phase.
    setImmediate(() => order.push('loop'));
    await Promise.all(done);
    expect(order.indexOf('loop')).toBeGreaterThan(0);
    expect(order.indexOf('loop')).toBeLessThan(order.length - 1);
    expect(order.filter((x) => x.startsWith('commit'))).toEqual(['commit 2', 'commit 2', 'commit 1']);
  });

  afterEach(() => vi.useRealTimers());

  it('writes arriving together share one commit and each gets its own result', async () => {
    const r = recorder();
    const w = new BatchWriter(r.commit);
    expect(await Promise.all([1, 2, 3].map((n) => w.write(n)))).toEqual([10, 20, 30]);
    expect(r.batches).toEqual([[1, 2, 3]]);
    expect(w.stats).toEqual({ transactions: 1, rows: 3, failedBatches: 0, failedWrites: 0 });
  });

  it('a lone write waits at most maxDelayMs for company', async () => {
    vi.useFakeTimers();
    const r = recorder();
    const w = new BatchWriter(r.commit, { maxDelayMs: 2 });
    const p = w.write(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(r.batches).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(await p).toBe(10);
  });

  it('a full batch is flushed at once, without waiting for the timer', async () => {
    const r = recorder();
    const w = new BatchWriter(r.commit, { maxBatch: 3, maxDelayMs: 60_000 });
    const all = Promise.all([1, 2, 3].map((n) => w.write(n)));
    await tick();
    expect(r.batches).toEqual([[1, 2, 3]]);
    await all;
  });

  it('no caller resolves before the transaction holding its write has committed', async () => {
    const r = recorder();
    r.hold();
    const w = new BatchWriter(r.commit, { maxDelayMs: 0 });
    let resolved = false;
    const p = w.write(1).then(() => (resolved = true));
    await tick();
    await tick();
    expect(resolved).toBe(false);
    r.release();
    await p;
    expect(resolved).toBe(true);
  });

  it('writes queued during a commit go out together right after it', async () => {
    const r = recorder();
    r.hold();
    const w = new BatchWriter(r.commit, { maxDelayMs: 0 });
    const first = w.write(1);
    await tick();
    const later = [2, 3, 4].map((n) => w.write(n));
    r.release();
    await Promise.all([first, ...later]);
    expect(r.batches).toEqual([[1], [2, 3, 4]]);
  });

  it('a write issued as soon as the previous one resolved is not stranded', async () => {
    const r = recorder();
    const w = new BatchWriter(r.commit, { maxDelayMs: 1 });
    for (let i = 1; i <= 5; i++) expect(await w.write(i)).toBe(i * 10);
    expect(r.batches).toHaveLength(5);
  });

  it('one bad write fails only its own caller; its neighbours still commit', async () => {
    const r = recorder({ failOn: 2 });
    const w = new BatchWriter(r.commit);
    const results = await Promise.allSettled([1, 2, 3].map((n) => w.write(n)));
    expect(results.map((x) => x.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(r.batches).toEqual([[1], [3]]);
    expect(w.stats).toEqual({ transactions: 2, rows: 2, failedBatches: 1, failedWrites: 1 });
  });

  it('reports its progress after each commit, failures included', async () => {
    const r = recorder({ failOn: 2 });
    const seen: string[] = [];
    const w = new BatchWriter(r.commit, { onProgress: (s) => seen.push(`${s.rows}/${s.failedWrites}`) });
    await Promise.allSettled([1, 2, 3].map((n) => w.write(n)));
    // The batch [1,2,3] fails as a whole, then each is retried alone.
    expect(seen).toEqual(['1/0', '1/1', '2/1']);
  });

  it('settled() waits for the writes queued before it and commits them without waiting for company', async () => {
    vi.useFakeTimers();
    const r = recorder();
    const w = new BatchWriter(r.commit, { maxDelayMs: 10_000 });
    const first = w.write(1);
    const done = w.settled();
    await vi.advanceTimersByTimeAsync(0);
    await done;
    expect(await first).toBe(10);
    expect(r.batches).toEqual([[1]]);
  });

  it('close commits what is queued, then refuses new writes', async () => {
    const r = recorder();
    const w = new BatchWriter(r.commit, { maxDelayMs: 60_000 });
    const p = w.write(7);
    await w.close();
    expect(await p).toBe(70);
    await expect(w.write(8)).rejects.toThrow(/closed/);
  });
});
