// An in-process estate for end-to-end tests: emulated Azure, Bedrock and vLLM clouds on
// 127.0.0.1 (port 0), and a gateway in front of them configured through real YAML.

import { startEstate, type RunningEstate } from '../../src/emulators/estate.js';
import type { EmulatedProvider } from '../../src/emulators/core/types.js';
import { startGateway, type RunningGateway } from '../../src/main.js';

export const KEYS = {
  client: 'sk-test-client-0123456789abcdef',
  admin: 'sk-test-admin-0123456789abcdef',
  azure: 'azure-test-key-0123456789',
  vllm: 'vllm-test-key-0123456789',
  awsId: 'AKIATESTTESTTEST1234',
  awsSecret: 'test/secret/0123456789abcdefghijklmnop',
};

export interface Harness {
  estate: RunningEstate;
  gateway: RunningGateway;
  url: string;
  logs: string[];
  /** The emulator attempt log for one Treaty deployment id. */
  attempts(deploymentId: string): ReturnType<RunningEstate['engine']['attempts']>;
  close(): Promise<void>;
}

/** Treaty deployment id → (emulated provider, upstream name). */
export const DEPLOYMENTS: Record<string, { provider: EmulatedProvider; name: string }> = {
  'az-ptu': { provider: 'azure', name: 'gpt-ptu' },
  'az-std': { provider: 'azure', name: 'gpt-std' },
  'az-embed': { provider: 'azure', name: 'embed-az' },
  'br-a': { provider: 'bedrock', name: 'treaty.model-a-v1:0' },
  'br-b': { provider: 'bedrock', name: 'treaty.model-b-v1:0' },
  vllm: { provider: 'openai', name: 'open-model' },
  'vllm-embed': { provider: 'openai', name: 'embed-open' },
};

export interface HarnessOptions {
  /** Replaces the `models:` section. */
  modelsYaml?: string;
  serverYaml?: string;
  /** Lines for the `resilience:` section (indented two spaces). */
  resilienceYaml?: string;
  /** Extra top-level YAML sections. */
  extraYaml?: string;
  /** Absolute path of a contracts YAML to load (contracts.file). */
  contractsFile?: string;
  /** Ledger URL (default: a fresh in-memory SQLite). */
  ledgerUrl?: string;
  /** Context window of each emulated deployment (default 128000). */
  contextWindow?: Partial<Record<string, number>>;
}

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const cw = (id: string): number => opts.contextWindow?.[id] ?? 128_000;
  const estate = await startEstate([
    { name: 'azure', provider: 'azure', apiKey: KEYS.azure, deployments: [
      { name: 'gpt-ptu', model: 'gpt-4o-2024-08-06', provisioned: true, contextWindow: cw('az-ptu') },
      { name: 'gpt-std', model: 'gpt-4o-2024-08-06', contextWindow: cw('az-std') },
      { name: 'embed-az', model: 'text-embedding-3-small', embeddings: true },
    ] },
    { name: 'bedrock', provider: 'bedrock', region: 'us-east-1', credentials: { accessKeyId: KEYS.awsId, secretAccessKey: KEYS.awsSecret }, deployments: [
      { name: 'treaty.model-a-v1:0', contextWindow: cw('br-a') },
      { name: 'treaty.model-b-v1:0', contextWindow: cw('br-b') },
    ] },
    { name: 'vllm', provider: 'openai', apiKey: KEYS.vllm, deployments: [
      { name: 'open-model', contextWindow: cw('vllm') },
      { name: 'embed-open', embeddings: true },
    ] },
  ]);
  const az = estate.cloud('azure').url;
  const br = estate.cloud('bedrock').url;
  const vl = estate.cloud('vllm').url;
  const yaml = `
server:
  port: 0
${opts.serverYaml ?? '  maxAttempts: 3'}
${opts.resilienceYaml ? `resilience:\n${opts.resilienceYaml}` : ''}
${opts.extraYaml ?? ''}
${opts.contractsFile ? `contracts:\n  file: "${opts.contractsFile}"\n  watchMs: 0` : ''}
admin:
  key: env:ADMIN_KEY
auth:
  keys:
    - name: test
      key: env:CLIENT_KEY
logging:
  level: debug
deployments:
  - { id: az-ptu, provider: azure-openai, baseUrl: "${az}", model: gpt-ptu, region: eastus, account: azure-partner, prices: { usdPerMTokIn: 2.5, usdPerMTokOut: 10, usdPerMTokCachedIn: 1.25 }, capabilities: { contextWindow: ${cw('az-ptu')}, vision: true }, options: { apiKey: env:AZ_KEY } }
  - { id: az-std, provider: azure-openai, baseUrl: "${az}", model: gpt-std, region: eastus, capabilities: { contextWindow: ${cw('az-std')} }, options: { apiKey: env:AZ_KEY, pathStyle: v1 } }
  - { id: az-embed, provider: azure-openai, baseUrl: "${az}", model: embed-az, capabilities: { chat: false, embeddings: true }, options: { apiKey: env:AZ_KEY } }
  - { id: br-a, provider: bedrock, baseUrl: "${br}", model: "treaty.model-a-v1:0", region: us-east-1, account: aws-commit, prices: { usdPerMTokIn: 2, usdPerMTokOut: 8 }, capabilities: { contextWindow: ${cw('br-a')}, jsonMode: false, prefill: true }, options: { accessKeyId: env:AWS_ID, secretAccessKey: env:AWS_SECRET, unsupportedParams: drop } }
  - { id: br-b, provider: bedrock, baseUrl: "${br}", model: "treaty.model-b-v1:0", region: us-east-1, capabilities: { contextWindow: ${cw('br-b')}, jsonMode: false, prefill: true }, options: { accessKeyId: env:AWS_ID, secretAccessKey: env:AWS_SECRET } }
  - { id: vllm, provider: openai-compatible, baseUrl: "${vl}/v1", model: open-model, capabilities: { contextWindow: ${cw('vllm')} }, prices: { usdPerMTokIn: 10, usdPerMTokOut: 40 }, options: { apiKey: env:VLLM_KEY } }
  - { id: vllm-embed, provider: openai-compatible, baseUrl: "${vl}/v1", model: embed-open, capabilities: { chat: false, embeddings: true }, options: { apiKey: env:VLLM_KEY } }
models:
${opts.modelsYaml ?? `  - { name: frontier, deployments: [az-ptu, az-std, br-a] }
  - { name: only-azure, deployments: [az-ptu] }
  - { name: only-azure-v1, deployments: [az-std] }
  - { name: only-bedrock, deployments: [br-a] }
  - { name: only-vllm, deployments: [vllm] }
  - { name: embed, deployments: [az-embed, vllm-embed] }`}
`;
  const logs: string[] = [];
  let gateway: RunningGateway;
  try {
    gateway = await startGateway({
      configText: yaml,
      configLabel: 'test.yaml',
      port: 0,
      adminPort: 0,
      ledgerUrl: opts.ledgerUrl ?? 'sqlite::memory:',
      env: { ADMIN_KEY: KEYS.admin, CLIENT_KEY: KEYS.client, AZ_KEY: KEYS.azure, AWS_ID: KEYS.awsId, AWS_SECRET: KEYS.awsSecret, VLLM_KEY: KEYS.vllm },
      logWrite: (l) => logs.push(l),
    });
  } catch (err) {
    await estate.close();
    throw err;
  }
  return {
    estate,
    gateway,
    url: gateway.url,
    logs,
    attempts: (id) => {
      const d = DEPLOYMENTS[id];
      if (!d) throw new Error(`unknown test deployment ${id}`);
      return estate.engine.attempts({ provider: d.provider, deployment: d.name });
    },
    close: async () => {
      await gateway.close();
      await estate.close();
    },
  };
}
