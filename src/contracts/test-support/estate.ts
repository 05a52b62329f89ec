// Small deployment fixtures for contract and policy tests (the demo estate's shape, made up
// numbers). Tests of the shipped examples load examples/treaty.yaml instead.

import type { Deployment } from '../../domain/deployment.js';

export function dep(id: string, account: string, region: string, usdPerMTokIn: number | undefined, usdPerMTokOut = (usdPerMTokIn ?? 0) * 4): Deployment {
  return Object.freeze({
    id,
    provider: 'openai-compatible',
    baseUrl: 'http://127.0.0.1:9/v1',
    upstreamModel: id,
    region,
    account,
    accelerator: 'unspecified',
    weight: 1,
    capabilities: { contextWindow: 128_000, tools: true, vision: false, jsonMode: true, prefill: false, chat: true, embeddings: false },
    prices: usdPerMTokIn === undefined ? undefined : { usdPerMTokIn, usdPerMTokOut },
    options: {},
  });
}
