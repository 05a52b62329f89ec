// An estate of emulated clouds started together on 127.0.0.1, sharing one engine (so one
// attempt log covers them all). Used by `treaty emulate`, the demo and the tests.

import { EmulatorEngine } from './core/engine.js';
import type { RunningServer } from './core/http.js';
import type { EmulatedDeploymentConfig, EmulatedProvider } from './core/types.js';
import { startAzureEmulator } from './azure/index.js';
import { startBedrockEmulator } from './bedrock/index.js';
import { startOpenAIEmulator } from './openai/index.js';

export type DeploymentInput = Partial<EmulatedDeploymentConfig> & { name: string };

export interface CloudSpec {
  /** A label for logs and the estate listing, e.g. `azure-eastus`. */
  name: string;
  provider: EmulatedProvider;
  port?: number;
  /** OpenAI-compatible: Bearer key (optional). Azure: api-key (required). Bedrock: Bearer API key (optional). */
  apiKey?: string;
  /** Bedrock only. */
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  deployments: DeploymentInput[];
}

export interface RunningCloud {
  name: string;
  provider: EmulatedProvider;
  url: string;
  server: RunningServer;
}

export interface RunningEstate {
  engine: EmulatorEngine;
  clouds: RunningCloud[];
  cloud(name: string): RunningCloud;
  close(): Promise<void>;
}

export async function startEstate(specs: CloudSpec[], engine = new EmulatorEngine()): Promise<RunningEstate> {
  const clouds: RunningCloud[] = [];
  try {
    for (const spec of specs) {
      for (const d of spec.deployments) engine.addDeployment(spec.provider, d);
      const server = await startCloud(engine, spec);
      clouds.push({ name: spec.name, provider: spec.provider, url: server.url, server });
    }
  } catch (err) {
    await Promise.all(clouds.map((c) => c.server.close()));
    throw err;
  }
  return {
    engine,
    clouds,
    cloud(name) {
      const c = clouds.find((x) => x.name === name);
      if (!c) throw new Error(`no emulated cloud named ${name}`);
      return c;
    },
    close: async () => {
      await Promise.all(clouds.map((c) => c.server.close()));
    },
  };
}

function startCloud(engine: EmulatorEngine, spec: CloudSpec): Promise<RunningServer> {
  const port = spec.port ?? 0;
  switch (spec.provider) {
    case 'openai':
      return startOpenAIEmulator(engine, { port, ...(spec.apiKey ? { apiKey: spec.apiKey } : {}) });
    case 'azure':
      if (!spec.apiKey) throw new Error(`cloud ${spec.name}: an Azure emulator needs apiKey`);
      return startAzureEmulator(engine, { port, apiKey: spec.apiKey });
    case 'bedrock':
      if (!spec.credentials || !spec.region) throw new Error(`cloud ${spec.name}: a Bedrock emulator needs region and credentials`);
      return startBedrockEmulator(engine, { port, region: spec.region, credentials: spec.credentials, ...(spec.apiKey ? { apiKey: spec.apiKey } : {}) });
  }
}
