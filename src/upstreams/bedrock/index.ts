// The Bedrock Converse adapter: the only place in the gateway that knows the Converse wire
// format, SigV4 for Bedrock and the event-stream framing.

import type { Deployment } from '../../domain/deployment.js';
import type { BoundAdapter, ProviderAdapter } from '../adapter.js';
import { decodeChat } from './decode.js';
import { decodeChatStream } from './decode-stream.js';
import { buildConverseBody, conversePath } from './encode.js';
import { decodeError } from './errors.js';
import { bedrockOptionsSpec, readOptions } from './options.js';
import { createSigner } from './sign.js';

export interface BedrockAdapterDeps {
  /** Signing clock; tests pin it to check signatures and clock-skew handling. */
  now?: () => Date;
}

export function createBedrockAdapter(deps: BedrockAdapterDeps = {}): ProviderAdapter {
  const now = deps.now ?? (() => new Date());
  return {
    provider: 'bedrock',
    optionsSpec: bedrockOptionsSpec,
    // Converse has no embeddings operation; Titan/Cohere embeddings use InvokeModel, not supported here.
    supportsEmbeddings: false,
    bind(deployment: Deployment): BoundAdapter {
      const options = readOptions(deployment);
      const sign = createSigner(options.auth, now);
      const model = deployment.upstreamModel;
      return {
        async encodeChat(req) {
          const body = JSON.stringify(buildConverseBody(req, deployment.id, options));
          const path = conversePath(deployment.baseUrl, model, req.stream);
          const headers = await sign({ baseUrl: deployment.baseUrl, region: deployment.region, path, body, headers: { 'content-type': 'application/json' } });
          return { method: 'POST', path, headers, body };
        },
        decodeChat: (head, body) => decodeChat(head, body, model),
        decodeChatStream: (head, body) => decodeChatStream(head, body, model),
        decodeError,
      };
    },
  };
}

export const bedrockAdapter: ProviderAdapter = createBedrockAdapter();
