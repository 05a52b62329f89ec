// The demo estate behind examples/treaty.yaml: what a lab on two clouds plus a self-hosted
// pool looks like, emulated on fixed loopback ports.

import type { CloudSpec } from './estate.js';

export const DEMO_SECRETS = {
  AZURE_OPENAI_API_KEY: 'demo-azure-key-5f2c9e1a',
  AWS_ACCESS_KEY_ID: 'AKIADEMO0000EXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'demo/secret/key/0000000000000000000000',
  VLLM_API_KEY: 'demo-vllm-key-7d1e',
};

/** What the demo estate emulates, for help texts. */
export const DEMO_ESTATE_CLOUDS = 'Azure OpenAI, Bedrock and OpenAI-compatible clouds';

export function demoEstate(basePort = 4101): CloudSpec[] {
  return [
    {
      name: 'azure-eastus',
      provider: 'azure',
      port: basePort,
      apiKey: DEMO_SECRETS.AZURE_OPENAI_API_KEY,
      deployments: [
        // Provisioned (PTU): fast, fixed capacity; beyond it a fast 429 with retry-after-ms.
        { name: 'frontier-ptu', model: 'gpt-frontier-2026-05-01', provisioned: true, maxConcurrency: 8, ttftMs: 120, tokensPerSec: 90, defaultMaxTokens: 64 },
        { name: 'frontier-std', model: 'gpt-frontier-2026-05-01', rpm: 600, tpm: 400_000, ttftMs: 250, tokensPerSec: 60, defaultMaxTokens: 64 },
        { name: 'text-embed', model: 'text-embedding-3-small', embeddings: true, ttftMs: 20 },
      ],
    },
    {
      name: 'aws-us-east-1',
      provider: 'bedrock',
      port: basePort + 1,
      region: 'us-east-1',
      credentials: { accessKeyId: DEMO_SECRETS.AWS_ACCESS_KEY_ID, secretAccessKey: DEMO_SECRETS.AWS_SECRET_ACCESS_KEY },
      deployments: [
        { name: 'treaty.frontier-trn2-v1:0', model: 'treaty.frontier-trn2-v1:0', contextWindow: 200_000, ttftMs: 180, tokensPerSec: 75, maxConcurrency: 32, defaultMaxTokens: 64 },
        { name: 'treaty.frontier-inf2-v1:0', model: 'treaty.frontier-inf2-v1:0', contextWindow: 200_000, ttftMs: 200, tokensPerSec: 70, maxConcurrency: 32, defaultMaxTokens: 64 },
      ],
    },
    {
      name: 'onprem-vllm',
      provider: 'openai',
      port: basePort + 2,
      apiKey: DEMO_SECRETS.VLLM_API_KEY,
      deployments: [
        { name: 'frontier-open', model: 'frontier-open', contextWindow: 32_768, ttftMs: 80, tokensPerSec: 120, maxConcurrency: 16, defaultMaxTokens: 64 },
        { name: 'embed-open', model: 'embed-open', embeddings: true, ttftMs: 10 },
      ],
    },
  ];
}
