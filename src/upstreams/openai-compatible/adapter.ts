// The OpenAI-compatible adapter (OpenAI itself, vLLM, SGLang, any server speaking the
// OpenAI chat wire). The wire is the canonical shape, so this is mostly careful passthrough.

import type { Deployment } from '../../domain/deployment.js';
import type { BoundAdapter, ProviderAdapter, UpstreamHttpRequest } from '../adapter.js';
import { createOpenAIErrorClassifier } from './classify-error.js';
import { decodeOpenAIChat } from './decode-chat.js';
import { decodeOpenAIError } from './decode-error.js';
import { decodeOpenAIStream } from './decode-stream.js';
import { decodeOpenAIEmbeddings, toOpenAIEmbeddingsBody } from './embeddings.js';
import { toOpenAIChatBody } from './encode-chat.js';
import { basePathOf, openAICompatibleOptionsSpec, readOpenAICompatibleOptions } from './options.js';

export interface AdapterDeps {
  /** Wall clock in ms, for retry-after HTTP-dates; a parameter so tests can fix it. */
  now?: () => number;
}

export function createOpenAICompatibleAdapter(deps: AdapterDeps = {}): ProviderAdapter {
  const classify = createOpenAIErrorClassifier(deps.now ?? Date.now);
  return {
    provider: 'openai-compatible',
    optionsSpec: openAICompatibleOptionsSpec,
    supportsEmbeddings: true,
    bind(deployment: Deployment): BoundAdapter {
      const opts = readOpenAICompatibleOptions(deployment);
      const base = basePathOf(deployment.baseUrl);
      const post = (path: string, body: unknown, stream: boolean): UpstreamHttpRequest => {
        const headers: Record<string, string> = { 'content-type': 'application/json', accept: stream ? 'text/event-stream' : 'application/json' };
        if (opts.apiKey) headers.authorization = `Bearer ${opts.apiKey}`;
        return { method: 'POST', path: `${base}${path}`, headers, body: JSON.stringify(body) };
      };
      return {
        encodeChat: async (req, enc) => {
          // Generic servers all know max_tokens; max_completion_tokens is newer.
          const body = toOpenAIChatBody(req, { model: deployment.upstreamModel, wantUsage: enc.wantUsage, streamUsage: opts.streamUsage, defaultMaxTokensField: 'max_tokens' });
          // vLLM treats a trailing assistant message as a new turn unless told to continue it.
          if (opts.vllmPrefill && req.messages[req.messages.length - 1]?.role === 'assistant') {
            body.continue_final_message = true;
            body.add_generation_prompt = false;
          }
          return post('/chat/completions', body, req.stream);
        },
        decodeChat: (head, body) => decodeOpenAIChat(head, body, classify),
        decodeChatStream: (head, body) => decodeOpenAIStream(head, body, classify),
        decodeError: (head, body) => decodeOpenAIError(head, body, classify),
        encodeEmbeddings: async (req) => post('/embeddings', toOpenAIEmbeddingsBody(req, deployment.upstreamModel), false),
        decodeEmbeddings: (head, body) => decodeOpenAIEmbeddings(head, body, classify),
      };
    },
  };
}

export const openAICompatibleAdapter: ProviderAdapter = createOpenAICompatibleAdapter();
