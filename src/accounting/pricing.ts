// What an attempt cost: at list price (per million tokens, cached prompt tokens priced apart)
// and at the contract's effective price. Unknown prices or usage give an unknown cost, never 0.

import type { Usage } from '../domain/chat.js';
import type { Prices } from '../domain/deployment.js';

export interface Cost {
  listUsd: number;
  effectiveUsd: number;
}

/**
 * `discount` is the fraction off list that applies (a commitment's discount), 0 when none.
 * Reserved capacity is paid per period, not per token: pass `reserved` and the marginal
 * effective cost is 0 (the period fee is accounted once, in reports).
 */
export function attemptCost(prices: Prices | undefined, usage: Usage | undefined, opts: { discount?: number; reserved?: boolean } = {}): Cost | undefined {
  if (!prices || !usage) return undefined;
  const cached = usage.cachedPromptTokens ?? 0;
  // Cached tokens are a subset of prompt tokens; without a cache price they cost full price.
  const cachedPrice = prices.usdPerMTokCachedIn ?? prices.usdPerMTokIn;
  const listUsd = ((usage.promptTokens - cached) * prices.usdPerMTokIn + cached * cachedPrice + usage.completionTokens * prices.usdPerMTokOut) / 1_000_000;
  const effectiveUsd = opts.reserved ? 0 : listUsd * (1 - (opts.discount ?? 0));
  return { listUsd, effectiveUsd };
}
