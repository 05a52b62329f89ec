// Increments and observations gathered per label set and handed to prom-client when it collects
// (a scrape), rather than on every request: prom-client builds, validates and hashes the label
// object on each call, several times per request. Label values come from the config or fixed
// lists, so the number of label sets stays bounded.

import type { Counter, Histogram } from 'prom-client';

type Labels = Record<string, string>;

/** Nested maps keyed by label values, in the metric's label order: no key string built per call. */
class ByLabels<T> {
  private readonly root = new Map<string, unknown>();
  readonly all: T[] = [];

  constructor(
    private readonly names: readonly string[],
    private readonly make: (labels: Labels) => T,
  ) {}

  get(values: readonly string[]): T {
    let m = this.root;
    const last = values.length - 1;
    for (let i = 0; i < last; i++) {
      let next = m.get(values[i]!) as Map<string, unknown> | undefined;
      if (!next) m.set(values[i]!, (next = new Map()));
      m = next;
    }
    let leaf = m.get(values[last]!) as T | undefined;
    if (leaf === undefined) {
      const labels: Labels = {};
      this.names.forEach((n, i) => (labels[n] = values[i]!));
      leaf = this.make(labels);
      m.set(values[last]!, leaf);
      this.all.push(leaf);
    }
    return leaf;
  }
}

export class BatchedCounter {
  private readonly sets: ByLabels<{ labels: Labels; value: number; touched: boolean }>;

  constructor(private readonly counter: Counter<string>, labelNames: readonly string[]) {
    this.sets = new ByLabels(labelNames, (labels) => ({ labels, value: 0, touched: false }));
  }

  inc(values: readonly string[], by = 1): void {
    const s = this.sets.get(values);
    s.value += by;
    s.touched = true;
  }

  /** Hands what was counted since the last flush to prom-client (call from its collect()). */
  flush(): void {
    for (const s of this.sets.all) {
      // An increment by 0 still creates the series, as a direct inc would.
      if (!s.touched) continue;
      this.counter.inc(s.labels, s.value);
      s.value = 0;
      s.touched = false;
    }
  }
}

/** Observations held per label set; handed over at a scrape, or once MAX_PENDING pile up. */
const MAX_PENDING = 512;

export class BatchedHistogram {
  private readonly sets: ByLabels<{ labels: Labels; values: number[] }>;

  constructor(private readonly histogram: Histogram<string>, labelNames: readonly string[]) {
    this.sets = new ByLabels(labelNames, (labels) => ({ labels, values: [] }));
  }

  observe(values: readonly string[], v: number): void {
    const s = this.sets.get(values);
    s.values.push(v);
    if (s.values.length >= MAX_PENDING) this.drain(s);
  }

  flush(): void {
    for (const s of this.sets.all) this.drain(s);
  }

  private drain(s: { labels: Labels; values: number[] }): void {
    if (s.values.length === 0) return;
    const observe = this.histogram.labels(s.labels).observe;
    for (const v of s.values) observe(v);
    s.values.length = 0;
  }
}
