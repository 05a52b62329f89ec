// The Azure OpenAI adapter. Azure speaks the OpenAI chat wire, so encoding and decoding are
// openai-compatible's; only the URL, the api-key header and the error table differ here.
// Content-filter results (prompt_filter_results, content_filter_results) ride through the
// shared decoders as extras, untouched.

import type { Deployment } from '../../domain/deployment.js';
import type { BoundAdapter, ProviderAdapter, UpstreamHttpRequest } from '../adapter.js';
import {
  decodeOpenAIChat,
  decodeOpenAIEmbeddings,
  decodeOpenAIError,
  decodeOpenAIStream,
  toOpenAIChatBody,
  toOpenAIEmbeddingsBody,
} from '../openai-compatible/index.js';
import { createAzureErrorClassifier } from './classify-error.js';
import { azureOpenAIOptionsSpec, azurePaths, readAzureOpenAIOptions } from './options.js';

export interface AzureAdapterDeps {
  /** Wall clock in ms, for retry-after HTTP-dates; a parameter so tests can fix it. */
  now?: () => number;
}

export function createAzureOpenAIAdapter(deps: AzureAdapterDeps = {}): ProviderAdapter {
  const classify = createAzureErrorClassifier(deps.now ?? Date.now);
  return {
    provider: 'azure-openai',
    optionsSpec: azureOpenAIOptionsSpec,
    supportsEmbeddings: true,
    bind(deployment: Deployment): BoundAdapter {
      const opts = readAzureOpenAIOptions(deployment);
      const paths = azurePaths(deployment, opts);
      const post = (path: string, body: unknown, stream: boolean): UpstreamHttpRequest => ({
        method: 'POST',
        path,
        headers: { 'content-type': 'application/json', accept: stream ? 'text/event-stream' : 'application/json', 'api-key': opts.apiKey },
        body: JSON.stringify(body),
      });
      return {
        encodeChat: async (req, enc) =>
          post(
            paths.chat,
            // model: the classic URL ignores it; v1 needs the deployment name. Azure's o-series
            // deployments reject max_tokens, so a request that named no field gets the new one.
            toOpenAIChatBody(req, { model: deployment.upstreamModel, wantUsage: enc.wantUsage, streamUsage: true, defaultMaxTokensField: 'max_completion_tokens' }),
            req.stream,
          ),
        decodeChat: (head, body) => decodeOpenAIChat(head, body, classify),
        decodeChatStream: (head, body) => decodeOpenAIStream(head, body, classify),
        decodeError: (head, body) => decodeOpenAIError(head, body, classify),
        encodeEmbeddings: async (req) => post(paths.embeddings, toOpenAIEmbeddingsBody(req, deployment.upstreamModel), false),
        decodeEmbeddings: (head, body) => decodeOpenAIEmbeddings(head, body, classify),
      };
    },
  };
}

export const azureOpenAIAdapter: ProviderAdapter = createAzureOpenAIAdapter();
