// Begins held for their finish behind the write-ahead journal: an attempt reaches the database
// as one batch holding both writes, a begin never waits longer than its bound (or a reader),
// and the journal is never told a write is in the database while an earlier one is not (a
// held begin keeps its segment on disk, so a crash cannot lose it).

import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AttemptWrite } from './sql/attempts.js';
import { JournaledWrites, type JournalForWrites } from './journaled-writes.js';
import { finish, start } from './test-support/fixtures.js';

type Begin = Extract<AttemptWrite, { kind: 'begin' }>;
type Finish = Extract<AttemptWrite, { kind: 'finish' }>;
const begin = (requestId: string): Begin => ({ kind: 'begin', start: start({ requestId }) });
const end = (requestId: string): Finish => ({ kind: 'finish', finish: finish({ requestId }) });
const label = (w: AttemptWrite): string => (w.kind === 'begin' ? `b:${w.start.requestId}` : `f:${w.finish.requestId}`);

/**
 * A journal that acknowledges at once (or fails the appends it is told to) and records what it
 * is told. As the real one without fsync, a begin is durable when append returns (undefined);
 * with `beginsWait` (the real one with fsync) it settles later, as finishes always do.
 */
function fakeJournal(failing: Set<string> = new Set(), beginsWait = false) {
  let appended = 0;
  const told: number[] = [];
  const journal: JournalForWrites = {
    append: (w) => {
      appended++;
      if (failing.has(label(w))) return Promise.reject(new Error('disk full'));
      return w.kind === 'begin' && !beginsWait ? undefined : Promise.resolve();
    },
    get appended() {
      return appended;
    },
    committed: (n) => void told.push(n),
  };
  /** The last watermark the journal was told. */
  return { journal, told, last: () => told.at(-1) };
}

function setup(o: { holdBeginsMs?: number; failing?: Set<string>; beginsWait?: boolean } = {}) {
  const j = fakeJournal(o.failing, o.beginsWait);
  const batches: string[][] = [];
  const commit = async (ops: readonly AttemptWrite[]): Promise<boolean[]> => {
    batches.push(ops.map(label));
    return ops.map(() => true);
  };
  const w = new JournaledWrites(j.journal, commit, { maxDelayMs: 0 }, { holdBeginsMs: o.holdBeginsMs ?? 10_000, now: () => Date.now() });
  return { w, batches, j };
}

let open: JournaledWrites[] = [];
afterEach(async () => {
  for (const w of open) await w.close();
  open = [];
  vi.useRealTimers();
});

const turn = () => new Promise<void>((r) => setImmediate(r));

describe('attempt writes behind the journal', () => {
  it('a begin waits for its finish, and both reach the database in one batch', async () => {
    for (const beginsWait of [false, true]) {
      const { w, batches } = setup({ beginsWait });
      open.push(w);
      // Journaled at once: the caller has nothing to wait for.
      const acked = w.begin(begin('a'));
      if (beginsWait) expect(acked).toBeInstanceOf(Promise);
      else expect(acked).toBeUndefined();
      await acked;
      await turn();
      await turn();
      expect(batches).toEqual([]);
      expect(await w.finish(end('a'))).toBe(true);
      expect(batches).toEqual([['b:a', 'f:a']]);
    }
  });

  it('a begin whose finish has not come within holdBeginsMs goes alone; its finish follows as an update', async () => {
    vi.useFakeTimers();
    const { w, batches } = setup({ holdBeginsMs: 1_000 });
    open.push(w);
    await w.begin(begin('slow'));
    await vi.advanceTimersByTimeAsync(400);
    expect(batches).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_200);
    expect(batches).toEqual([['b:slow']]);
    const done = w.finish(end('slow'));
    await vi.advanceTimersByTimeAsync(1);
    expect(await done).toBe(true);
    expect(batches).toEqual([['b:slow'], ['f:slow']]);
  });

  it('a reader settling first gets every held begin into the database', async () => {
    const { w, batches } = setup();
    open.push(w);
    await Promise.all([w.begin(begin('a')), w.begin(begin('b'))]);
    await w.settled();
    expect(batches.flat()).toEqual(['b:a', 'b:b']);
  });

  it('the journal hears a write is in the database only once every earlier write is: a held begin keeps its place', async () => {
    const { w, j } = setup();
    open.push(w);
    await w.begin(begin('long')); // write 1, held
    await w.begin(begin('quick')); // write 2, held
    await w.finish(end('quick')); // write 3: 2 and 3 committed, 1 still owed
    expect(j.last()).toBe(0);
    await w.finish(end('long')); // write 4: now 1..4 are in
    expect(j.last()).toBe(4);
    expect(j.told.every((n, i) => i === 0 || n >= j.told[i - 1]!)).toBe(true);
  });

  it('a write whose append failed was never acknowledged and does not hold the journal back', async () => {
    const { w, j, batches } = setup({ failing: new Set(['b:lost']) });
    open.push(w);
    await expect(w.begin(begin('lost'))).rejects.toThrow('disk full');
    await w.begin(begin('a'));
    await w.finish(end('a'));
    expect(batches.flat()).toEqual(['b:a', 'f:a']);
    expect(j.last()).toBe(3);
  });

  it('closing sends the held begins to the database before the writer stops', async () => {
    const { w, batches } = setup();
    await w.begin(begin('open-stream'));
    await w.close();
    expect(batches).toEqual([['b:open-stream']]);
  });
});
