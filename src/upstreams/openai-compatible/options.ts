// The deployment options this adapter accepts (plain data, so config validates them strictly)
// and their reading at bind time.

import type { Deployment, OptionsSpec } from '../../domain/deployment.js';

export const openAICompatibleOptionsSpec: OptionsSpec = {
  apiKey: {
    type: 'string',
    secret: true,
    doc: 'Sent as "Authorization: Bearer <apiKey>". Omit for servers without auth (a local vLLM).',
  },
  streamUsage: {
    type: 'boolean',
    default: true,
    doc: 'Whether the upstream accepts stream_options.include_usage (OpenAI and vLLM do). When false, streamed usage is not requested and the ledger estimates it.',
  },
  vllmPrefill: {
    type: 'boolean',
    default: false,
    doc: 'The server is vLLM and continues a trailing assistant message when asked (continue_final_message). Set it, and capabilities.prefill, to let Treaty resume broken streams here.',
  },
};

export interface OpenAICompatibleOptions {
  apiKey: string | undefined;
  streamUsage: boolean;
  vllmPrefill: boolean;
}

export function readOpenAICompatibleOptions(d: Deployment): OpenAICompatibleOptions {
  const o = d.options;
  return {
    apiKey: typeof o.apiKey === 'string' && o.apiKey !== '' ? o.apiKey : undefined,
    // Config applies the spec's defaults; this guards a hand-built Deployment in tests and tools.
    streamUsage: typeof o.streamUsage === 'boolean' ? o.streamUsage : true,
    vllmPrefill: o.vllmPrefill === true,
  };
}

/** The path part of baseUrl without a trailing slash: 'http://h:8000/v1/' → '/v1', 'http://h' → ''. */
export function basePathOf(baseUrl: string): string {
  return new URL(baseUrl).pathname.replace(/\/+$/, '');
}
