// An attempt's cancellation: the abort signal the transport listens to, without the
// EventTarget machinery of an AbortController (creating one and its signal, and adding and
// removing listeners, was a visible share of the gateway's per-request CPU).

import type { CancelSignal } from '../upstreams/transport.js';
import type { ClientSignal } from './ports.js';

export class Cancellation implements CancelSignal {
  aborted = false;
  reason: unknown = undefined;
  private listeners: (() => void)[] | undefined;

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const ls = this.listeners;
    this.listeners = undefined;
    if (ls) for (const l of ls) l();
  }

  /** Listeners fire once, on the first abort; one added after it never fires (as with AbortSignal). */
  addEventListener(_type: 'abort', listener: () => void): void {
    if (!this.aborted) (this.listeners ??= []).push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const ls = this.listeners;
    const i = ls ? ls.indexOf(listener) : -1;
    if (i !== -1) ls!.splice(i, 1);
  }
}

/** Resolves after `ms`, or as soon as `signal` aborts (never rejects): the loop's back-off wait. */
export function sleepUnlessAborted(ms: number, signal: ClientSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });
}
