import { describe, expect, it } from 'vitest';
import { ProfileSource, rateAt } from './profile.js';
import { mulberry32, stream } from './prng.js';
import { parseTrafficFile } from './traffic-file.js';

const DAY = 86_400_000;
// 2026-01-05 is a Monday.
const MONDAY = Date.UTC(2026, 0, 5);

const profile = (extra = '', head = '') => parseTrafficFile(`traffic:
  start: 2026-01-05
  requestsPerMinute: 100
${head}  mix:
    - { share: 3, tenant: a, model: frontier }
    - { share: 1, tenant: b, model: open, from: 2026-01-07 }
${extra}`, 't.yaml').profile;

describe('the traffic profile', () => {
  it('keeps requestsPerMinute as the weekly mean through daily and weekly cycles', () => {
    const p = profile('', '  daily: { amplitudePercent: 60, peakHourUtc: 15 }\n  weekly: { weekendFactor: 0.5 }\n');
    let sum = 0;
    const minutes = 7 * 24 * 60;
    for (let i = 0; i < minutes; i++) sum += rateAt(p, [], MONDAY + i * 60_000 + 30_000);
    expect(sum / minutes).toBeCloseTo(100, 6);
    // Peak at 15:00 on a weekday: 1.6 × 7/6; a weekend day at the same hour is half that.
    expect(rateAt(p, [], MONDAY + 15 * 3_600_000)).toBeCloseTo(100 * 1.6 * (7 / 6), 6);
    expect(rateAt(p, [], MONDAY + 5 * DAY + 15 * 3_600_000)).toBeCloseTo(100 * 1.6 * (7 / 6) * 0.5, 6);
    expect(rateAt(p, [], MONDAY + 3 * 3_600_000)).toBeCloseTo(100 * 0.4 * (7 / 6), 6);
  });

  it('compounds growth per month and multiplies bursts', () => {
    const p = profile('', '  growthPercentPerMonth: 10\n  bursts:\n    - { start: 2026-01-06T10:00Z, minutes: 60, factor: 3 }\n');
    expect(rateAt(p, p.bursts, MONDAY + 30.436875 * DAY)).toBeCloseTo(110, 6);
    expect(rateAt(p, p.bursts, Date.UTC(2026, 0, 6, 10, 30)) / rateAt(p, p.bursts, Date.UTC(2026, 0, 6, 11, 30))).toBeCloseTo(3, 2);
  });

  it('draws rate × step / weight arrivals, carrying the fraction, in time order', () => {
    const p = { ...profile(), weight: 7 };
    const src = new ProfileSource(p, MONDAY + DAY, mulberry32(1));
    let n = 0;
    let last = -Infinity;
    for (let t = MONDAY; t < MONDAY + DAY; t += 60_000) {
      for (const r of src.arrivals(t, t + 60_000)) {
        expect(r.t).toBeGreaterThanOrEqual(Math.max(t, last));
        expect(r.t).toBeLessThan(t + 60_000);
        expect(r.weight).toBe(7);
        last = r.t;
        n++;
      }
    }
    expect(n).toBe(Math.floor((100 * 1440) / 7));
  });

  it('mixes slices by share, from their start day, with the gateway\'s facts', () => {
    const src = new ProfileSource(profile(), MONDAY + 4 * DAY, stream(1, 'traffic'));
    const before = src.arrivals(MONDAY, MONDAY + DAY);
    expect(new Set(before.map((r) => r.facts.tenantId))).toEqual(new Set(['a']));
    const after = src.arrivals(MONDAY + 2 * DAY, MONDAY + 3 * DAY);
    const share = after.filter((r) => r.facts.tenantId === 'b').length / after.length;
    expect(share).toBeGreaterThan(0.22);
    expect(share).toBeLessThan(0.28);
    const r = after[0]!;
    // No max_tokens given: the gateway prices the completion at 256.
    expect(r.facts.expectedTokens.completion).toBe(256);
    expect(r.facts.expectedTokens.prompt).toBe(r.promptTokens);
  });

  it('is reproducible: the same seed gives the same arrivals', () => {
    const a = new ProfileSource(profile(), MONDAY + DAY, stream(42, 'traffic')).arrivals(MONDAY, MONDAY + 3_600_000);
    const b = new ProfileSource(profile(), MONDAY + DAY, stream(42, 'traffic')).arrivals(MONDAY, MONDAY + 3_600_000);
    const c = new ProfileSource(profile(), MONDAY + DAY, stream(43, 'traffic')).arrivals(MONDAY, MONDAY + 3_600_000);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });
});
