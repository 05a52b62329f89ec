// Admitted requests start here while Treaty sheds, a few milliseconds of them per event-loop
// turn. Why: under overload a turn takes every ready socket in one go, and a request's start
// (key, body, policy, ledger, the upstream write) runs in the same turn as its arrival. At twice
// saturation that made turns of 20-30 ms, and a request that arrived during one waited in the
// kernel until the turn after it: refusals, which cost ~20 µs, went out with a p99 near 90 ms
// (docs/performance.md). Starting admitted work at setImmediate alone changed nothing (the
// check phase then held all of it, same turn length); a budget per turn ends the turn early so
// the loop polls again, and what arrived meanwhile is refused (or queued) within a short turn.
// The CPU stays fully used, so capacity is unchanged; only the order of the work moves.
//
// How long the oldest queued start has waited is the backlog the overload controller reads
// beside the loop's lag: a queue that grows while the loop keeps time is still falling behind.
//
// Time and scheduling are passed in, so tests drive it without a real loop.

export interface StartQueueOptions {
  /** Milliseconds of starts run per turn; at least one start runs whatever it costs. */
  budgetMs: number;
  now: () => number;
  /** Runs `fn` after the loop has polled again (setImmediate). */
  later: (fn: () => void) => void;
  /** A start threw (a bug: route() reports its own errors); the queue goes on. */
  onError: (err: unknown) => void;
}

interface Queued {
  start: () => void;
  /** The request's client-gone signal: a start whose client left while it waited is dropped. */
  gone: { readonly aborted: boolean } | undefined;
  at: number;
}

export class StartQueue {
  readonly #opts: StartQueueOptions;
  /** FIFO as an array with a head index: shift() copies the array on every call. */
  #items: (Queued | undefined)[] = [];
  #head = 0;
  #scheduled = false;

  constructor(opts: StartQueueOptions) {
    this.#opts = opts;
  }

  get length(): number {
    return this.#items.length - this.#head;
  }

  /** Queues `start` behind the ones already waiting; it is dropped if `gone` aborts first. */
  push(start: () => void, gone?: { readonly aborted: boolean }): void {
    this.#items.push({ start, gone, at: this.#opts.now() });
    this.#schedule();
  }

  /** How long the oldest waiting start has waited (0 when none waits). */
  oldestWaitMs(now: number): number {
    const first = this.#items[this.#head];
    return first ? Math.max(0, now - first.at) : 0;
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    this.#opts.later(this.#drain);
  }

  #drain = (): void => {
    this.#scheduled = false;
    const { now, budgetMs } = this.#opts;
    const until = now() + budgetMs;
    do {
      const q = this.#items[this.#head]!;
      this.#items[this.#head++] = undefined;
      if (q.gone?.aborted) continue;
      try {
        q.start();
      } catch (err) {
        this.#opts.onError(err);
      }
    } while (this.length > 0 && now() < until);
    if (this.length === 0) {
      this.#items = [];
      this.#head = 0;
    } else {
      if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
        this.#items = this.#items.slice(this.#head);
        this.#head = 0;
      }
      this.#schedule();
    }
  };
}
