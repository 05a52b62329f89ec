import { describe, expect, it } from 'vitest';
import { parseDuration } from './duration.js';
import { runSimulate } from './command.js';
import { simulate } from './engine.js';
import { parseVariants } from './load.js';
import { simulateParallel } from './parallel.js';
import { CONFIG, CONTRACTS, NO_AMENDMENT, smallInput } from './test-support/scenario.js';

describe('treaty simulate', () => {
  it('runs the shipped example for a short horizon and prints the comparison', async () => {
    const out = await runSimulate({ config: CONFIG, traffic: 'examples/traffic.yaml', horizon: '2d', compare: 'contracts,round-robin', weight: 3000, threads: 1 });
    expect(out).toMatch(/^simulation 2026-01-01 → 2026-01-03 \(2 days\), step 1 min, seed 1, weight 3000/);
    expect(out).toMatch(/\n\s+contracts\s+round-robin\n/);
  });

  it('names variants by policy and contracts file, and rejects unknown policies', () => {
    expect(parseVariants(`contracts,contracts@${NO_AMENDMENT},cheapest`, CONTRACTS).map((v) => [v.name, v.policy, v.contracts?.file])).toEqual([
      ['contracts', 'contracts', CONTRACTS],
      ['contracts@contracts-no-amendment', 'contracts', NO_AMENDMENT],
      ['cheapest', 'cheapest', CONTRACTS],
    ]);
    expect(parseVariants(undefined, undefined).map((v) => v.name)).toEqual(['balancer']);
    expect(() => parseVariants('cheapest,fastest', CONTRACTS)).toThrow('--compare: unknown policy "fastest"; use contracts, cheapest, round-robin, balancer');
    expect(() => parseVariants('contracts', undefined)).toThrow('the contracts policy needs contracts');
  });

  it('reads durations with their unit', () => {
    expect(parseDuration('365d', 'h')).toBe(365 * 86_400_000);
    expect(parseDuration('1m', 's')).toBe(60_000);
    expect(() => parseDuration('3 months', '--horizon')).toThrow('--horizon: "3 months" is not a duration');
  });

  it('gives the same result on worker threads as on one', async () => {
    const input = smallInput({ compare: 'contracts,cheapest', days: 1 });
    const strip = (r: Awaited<ReturnType<typeof simulateParallel>>) => r.variants.map((v) => ({ ...v, perf: undefined }));
    expect(strip(await simulateParallel(input, 2))).toEqual(strip(simulate(input)));
  });
});
