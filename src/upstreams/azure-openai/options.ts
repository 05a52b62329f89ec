// The deployment options of an Azure OpenAI deployment, and where its requests go.

import type { Deployment, OptionsSpec } from '../../domain/deployment.js';
import { basePathOf } from '../openai-compatible/index.js';

export const azureOpenAIOptionsSpec: OptionsSpec = {
  apiKey: { type: 'string', secret: true, required: true, doc: 'The resource key, sent as the "api-key" header.' },
  apiVersion: {
    type: 'string',
    default: '2024-10-21',
    doc: 'The api-version query parameter of the classic (deployments) URLs. Ignored by the v1 path style.',
  },
  pathStyle: {
    type: 'enum',
    values: ['deployments', 'v1'],
    default: 'deployments',
    doc: '"deployments": /openai/deployments/{upstreamModel}/…?api-version=…; "v1": /openai/v1/… with model = upstreamModel (the deployment name).',
  },
};

export interface AzureOpenAIOptions {
  apiKey: string;
  apiVersion: string;
  pathStyle: 'deployments' | 'v1';
}

export function readAzureOpenAIOptions(d: Deployment): AzureOpenAIOptions {
  const o = d.options;
  if (typeof o.apiKey !== 'string' || o.apiKey === '') {
    // Config validation should have refused this; say which deployment, never the value.
    throw new Error(`deployment ${d.id}: azure-openai option apiKey is required`);
  }
  return {
    apiKey: o.apiKey,
    apiVersion: typeof o.apiVersion === 'string' && o.apiVersion !== '' ? o.apiVersion : '2024-10-21',
    pathStyle: o.pathStyle === 'v1' ? 'v1' : 'deployments',
  };
}

export interface AzurePaths {
  chat: string;
  embeddings: string;
}

/**
 * The request paths for a deployment. baseUrl is the resource endpoint
 * (https://{resource}.openai.azure.com); a trailing /openai or /openai/v1, as the SDKs'
 * base URLs carry, is tolerated rather than doubled.
 */
export function azurePaths(d: Deployment, o: AzureOpenAIOptions): AzurePaths {
  const base = basePathOf(d.baseUrl).replace(/\/openai(\/v1)?$/, '');
  if (o.pathStyle === 'v1') return { chat: `${base}/openai/v1/chat/completions`, embeddings: `${base}/openai/v1/embeddings` };
  const prefix = `${base}/openai/deployments/${encodeURIComponent(d.upstreamModel)}`;
  const query = `?api-version=${encodeURIComponent(o.apiVersion)}`;
  return { chat: `${prefix}/chat/completions${query}`, embeddings: `${prefix}/embeddings${query}` };
}
