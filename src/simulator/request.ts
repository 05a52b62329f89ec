// One simulated request: what the traffic source produces and the attempt loop consumes.

import type { RequestFacts } from '../policy/contracts-classify.js';
import type { Requirements } from '../policy/capabilities.js';

export interface SimRequest {
  /** Arrival on the virtual clock (epoch ms, UTC). */
  t: number;
  /** Real requests it stands for. */
  weight: number;
  endpoint: 'chat' | 'embeddings';
  /** What the policy sees, exactly as the gateway builds it (expected tokens: prompt + max_tokens or 256). */
  facts: RequestFacts;
  /** What a deployment must offer (the capability filter's input). */
  needs: Requirements;
  /** Actual usage of ONE of the real requests it stands for. */
  promptTokens: number;
  completionTokens: number;
  cachedPromptTokens: number;
}

/** Where arrivals come from: a generated profile or the ledger (replay). */
export interface TrafficSource {
  /** Real requests each simulated one stands for (1 in replay). */
  readonly weight: number;
  /** The arrivals in [fromMs, toMs), in time order. Called once per step, in order. */
  arrivals(fromMs: number, toMs: number): SimRequest[];
  /** Notes for the output (e.g. replayed rows whose usage was unknown). */
  notes(): string[];
}
