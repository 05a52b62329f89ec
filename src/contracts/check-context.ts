// Shared by the checker's rules: the input, the context built from it, and span merging.

import type { Deployment } from '../domain/deployment.js';
import type { CompiledContracts, Segment } from './types.js';

export interface CheckInput {
  deployments: readonly Deployment[];
  /** Public model name → the ids of the deployments in its pool. */
  models: Readonly<Record<string, readonly string[]>>;
  /** Epoch ms: the checker looks at [now, ∞). */
  now: number;
  /** Effective spend to date per commitment ref (`agreement/clause`), from the ledger when known. */
  spentUsd?: Readonly<Record<string, number>>;
}

export interface CheckContext extends CheckInput {
  compiled: CompiledContracts;
  byId: ReadonlyMap<string, Deployment>;
  /** The segments that reach past `now`, clipped to start no earlier than it. */
  ahead: readonly Segment[];
}

/**
 * Collects one finding per key over time: consecutive segments with the same key merge into
 * one span, so a conflict lasting two years is reported once, with its dates.
 */
export class Spans<T> {
  private readonly open = new Map<string, { startMs: number; endMs: number; data: T }>();
  private readonly done: { key: string; startMs: number; endMs: number; data: T }[] = [];

  add(key: string, startMs: number, endMs: number, data: T): void {
    const cur = this.open.get(key);
    if (cur && cur.endMs === startMs) cur.endMs = endMs;
    else {
      if (cur) this.done.push({ key, ...cur });
      this.open.set(key, { startMs, endMs, data });
    }
  }

  spans(): { key: string; startMs: number; endMs: number; data: T }[] {
    return [...this.done, ...[...this.open].map(([key, v]) => ({ key, ...v }))];
  }
}
