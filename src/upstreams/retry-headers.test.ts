import { describe, expect, it } from 'vitest';
import { parseGoDuration, parseRetryAfter, retryAfterMsFromHeaders } from './retry-headers.js';

const NOW = Date.UTC(2025, 0, 1, 12, 0, 0);

describe('retryAfterMsFromHeaders', () => {
  it('prefers retry-after-ms over retry-after, as Azure intends', () => {
    expect(retryAfterMsFromHeaders({ 'retry-after-ms': '1500', 'retry-after': '2' }, NOW)).toBe(1500);
  });

  it('reads retry-after in seconds, including fractions', () => {
    expect(retryAfterMsFromHeaders({ 'retry-after': '6' }, NOW)).toBe(6000);
    expect(retryAfterMsFromHeaders({ 'retry-after': '0.25' }, NOW)).toBe(250);
  });

  it('reads retry-after as an HTTP-date relative to the given now', () => {
    const date = new Date(NOW + 30_000).toUTCString();
    expect(retryAfterMsFromHeaders({ 'retry-after': date }, NOW)).toBe(30_000);
    expect(parseRetryAfter(new Date(NOW - 5000).toUTCString(), NOW)).toBe(0);
  });

  it('falls back to the x-ratelimit reset of the exhausted limit', () => {
    const h = {
      'x-ratelimit-reset-requests': '1s',
      'x-ratelimit-reset-tokens': '6m0s',
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-remaining-tokens': '5000',
    };
    expect(retryAfterMsFromHeaders(h, NOW)).toBe(1000);
  });

  it('waits for the longest reset when it cannot tell which limit was hit', () => {
    expect(retryAfterMsFromHeaders({ 'x-ratelimit-reset-requests': '12ms', 'x-ratelimit-reset-tokens': '2s' }, NOW)).toBe(2000);
  });

  it('treats -1, garbage and missing headers as unknown, never as zero', () => {
    expect(retryAfterMsFromHeaders({}, NOW)).toBeUndefined();
    expect(retryAfterMsFromHeaders({ 'x-ratelimit-reset-requests': '-1', 'x-ratelimit-reset-tokens': '-1' }, NOW)).toBeUndefined();
    expect(retryAfterMsFromHeaders({ 'retry-after': 'soon', 'retry-after-ms': 'abc' }, NOW)).toBeUndefined();
  });

  it('takes the first value of a repeated header', () => {
    expect(retryAfterMsFromHeaders({ 'retry-after-ms': ['300', '900'] }, NOW)).toBe(300);
  });
});

describe('parseGoDuration', () => {
  it.each([
    ['1s', 1000],
    ['6m0s', 360_000],
    ['12ms', 12],
    ['1h2m3.5s', 3_723_500],
    ['0', 0],
    ['250us', 0.25],
  ])('%s is %d ms', (s, ms) => expect(parseGoDuration(s)).toBe(ms));

  it.each(['-1', '', '5', '1x', '1s garbage', 'ms'])('%j is unknown', (s) => expect(parseGoDuration(s)).toBeUndefined());
});
