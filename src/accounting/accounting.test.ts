import { describe, expect, it } from 'vitest';
import { estimatePromptTokens, estimateTextTokens } from './estimate.js';
import { attemptCost } from './pricing.js';

describe('token estimates', () => {
  it('counts with a BPE tokenizer, plus chat framing', () => {
    expect(estimateTextTokens('Hello there')).toBe(2);
    expect(estimateTextTokens('')).toBe(0);
    const n = estimatePromptTokens({ messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Say hello' }] });
    expect(estimateTextTokens('Be brief.')).toBe(3);
    expect(n).toBe(3 + (4 + 3) + (4 + 2));
  });
});

describe('attempt cost', () => {
  const prices = { usdPerMTokIn: 2.5, usdPerMTokOut: 10, usdPerMTokCachedIn: 1.25 };
  it('prices prompt, cached prompt and completion tokens separately', () => {
    const c = attemptCost(prices, { promptTokens: 1_000_000, completionTokens: 100_000, totalTokens: 1_100_000, cachedPromptTokens: 400_000 });
    expect(c!.listUsd).toBeCloseTo(0.6 * 2.5 + 0.4 * 1.25 + 0.1 * 10, 10);
  });
  it('applies a commitment discount to the effective price only', () => {
    const c = attemptCost(prices, { promptTokens: 1_000_000, completionTokens: 0, totalTokens: 1_000_000 }, { discount: 0.2 });
    expect(c).toEqual({ listUsd: 2.5, effectiveUsd: 2 });
  });
  it('reserved capacity has no marginal cost', () => {
    expect(attemptCost(prices, { promptTokens: 10, completionTokens: 10, totalTokens: 20 }, { reserved: true })!.effectiveUsd).toBe(0);
  });
  it('unknown price or usage is an unknown cost, not zero', () => {
    expect(attemptCost(undefined, { promptTokens: 1, completionTokens: 1, totalTokens: 2 })).toBeUndefined();
    expect(attemptCost(prices, undefined)).toBeUndefined();
  });
});
