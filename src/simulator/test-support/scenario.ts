// A small scenario on the demo estate for the simulator's tests: four days around the
// amendment's effective date (2026-06-01), with a partner outage on the second day.

import { loadGatewayConfig, parseVariants } from '../load.js';
import { parseTrafficFile } from '../traffic-file.js';
import type { SimulationInput } from '../types.js';

export const SMALL_TRAFFIC = `traffic:
  start: 2026-05-30
  weight: 100
  requestsPerMinute: 400
  daily: { amplitudePercent: 40, peakHourUtc: 15 }
  weekly: { weekendFactor: 0.6 }
  mix:
    - { share: 40, tenant: acme, model: frontier, promptTokens: { median: 800, p95: 3000 }, completionTokens: { median: 250, p95: 900 } }
    - { share: 10, tenant: eu-bank, model: frontier }
    - { share: 35, tenant: startup-a, model: frontier }
    - { share: 5, tenant: batch, model: open }
    - { share: 10, tenant: research, model: embed, endpoint: embeddings, promptTokens: { median: 300, p95: 1200 } }
initial:
  commitmentSpendUsd: { commit-2026/spend-commitment: 250000 }
estate:
  replicas: 2
  deployments:
    - { id: azure-eastus-std, concurrency: 100, tokensPerMinute: 400000 }
    - { id: bedrock-trn, concurrency: 30, tokensPerMinute: 120000 }
    - { id: bedrock-inf, concurrency: 30, tokensPerMinute: 100000 }
    - { id: vllm-local, concurrency: 20, tokensPerMinute: 100000 }
events:
  - { kind: outage, deployments: [azure-eastus-ptu, azure-eastus-std], start: 2026-05-31T06:00Z, end: 2026-05-31T12:00Z }
`;

export const CONFIG = 'examples/treaty.yaml';
export const CONTRACTS = 'examples/contracts.yaml';
export const NO_AMENDMENT = 'examples/contracts-no-amendment.yaml';

export function smallInput(over: { compare?: string; seed?: number; days?: number; traffic?: string } = {}): SimulationInput {
  const config = loadGatewayConfig(CONFIG);
  const tf = parseTrafficFile(over.traffic ?? SMALL_TRAFFIC, 'small-traffic.yaml');
  const startMs = tf.profile.startMs;
  return {
    deployments: [...config.deployments.values()],
    models: config.models,
    resilience: config.resilience,
    maxAttempts: config.server.maxAttempts,
    requestTimeoutMs: config.server.requestTimeoutMs,
    estate: tf.estate,
    events: tf.events,
    traffic: { profile: tf.profile },
    startMs,
    endMs: startMs + (over.days ?? 4) * 86_400_000,
    stepMs: 60_000,
    seed: over.seed ?? 7,
    variants: parseVariants(over.compare ?? 'contracts', CONTRACTS),
    initialCommitmentSpend: tf.initialCommitmentSpend,
  };
}
