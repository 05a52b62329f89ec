// Every provider adapter Treaty ships, by the name used in `provider:`. The composition root
// reads this; nothing else needs to know which providers exist.

import type { ProviderAdapter } from './adapter.js';
import { azureOpenAIAdapter } from './azure-openai/index.js';
import { bedrockAdapter } from './bedrock/index.js';
import { openAICompatibleAdapter } from './openai-compatible/index.js';

export const PROVIDERS: ReadonlyMap<string, ProviderAdapter> = new Map(
  [openAICompatibleAdapter, azureOpenAIAdapter, bedrockAdapter].map((a) => [a.provider, a]),
);
