import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { BatchedCounter, BatchedHistogram } from './metric-batch.js';

describe('batched metrics', () => {
  it('a scrape sees every increment made before it, zero increments included', async () => {
    const registry = new Registry();
    const held: { b?: BatchedCounter } = {};
    const c = new Counter({ name: 't_total', help: 'h', labelNames: ['a', 'b'], registers: [registry], collect: () => held.b!.flush() });
    const b = (held.b = new BatchedCounter(c, ['a', 'b']));
    b.inc(['x', 'y']);
    b.inc(['x', 'y'], 2.5);
    b.inc(['x', 'z'], 0);
    const first = (await registry.getSingleMetric('t_total')!.get()).values;
    expect(first).toEqual(expect.arrayContaining([{ labels: { a: 'x', b: 'y' }, value: 3.5 }, { labels: { a: 'x', b: 'z' }, value: 0 }]));
    b.inc(['x', 'y']);
    const second = (await registry.getSingleMetric('t_total')!.get()).values;
    expect(second.find((v) => v.labels.b === 'y')!.value).toBe(4.5);
  });

  it('histogram observations reach prom-client at a scrape, or once enough are held', async () => {
    const registry = new Registry();
    const held: { b?: BatchedHistogram } = {};
    const h = new Histogram({ name: 't_seconds', help: 'h', labelNames: ['d'], buckets: [1, 10], registers: [registry], collect: () => held.b!.flush() });
    const b = (held.b = new BatchedHistogram(h, ['d']));
    for (let i = 0; i < 1000; i++) b.observe(['x'], i % 2 ? 0.5 : 5);
    const text = await registry.metrics();
    expect(text).toContain('t_seconds_count{d="x"} 1000');
    expect(text).toContain(`t_seconds_sum{d="x"} ${500 * 0.5 + 500 * 5}`);
    expect(text).toContain('t_seconds_bucket{le="1",d="x"} 500');
  });
});
