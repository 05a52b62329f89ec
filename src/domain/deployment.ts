// A deployment is one concrete upstream endpoint. This is its compiled, provider-neutral
// form; provider-specific settings live in `options`, validated by the provider's adapter.

export interface Capabilities {
  contextWindow: number;
  tools: boolean;
  vision: boolean;
  jsonMode: boolean;
  /** Accepts a trailing assistant message as a prefill to continue from. */
  prefill: boolean;
  chat: boolean;
  embeddings: boolean;
}

export interface Prices {
  usdPerMTokIn: number;
  usdPerMTokOut: number;
  /** Price of cached prompt tokens; absent means the deployment has no cache discount. */
  usdPerMTokCachedIn?: number;
}

export interface Deployment {
  /** Treaty's own name for it, unique in the config (e.g. `partner-eastus-ptu`). */
  id: string;
  /** Which adapter speaks to it, e.g. `openai-compatible`. */
  provider: string;
  /** Origin plus base path, e.g. `http://127.0.0.1:4101/v1`. */
  baseUrl: string;
  /** The upstream's model id or deployment name. */
  upstreamModel: string;
  region: string;
  account: string;
  accelerator: string;
  weight: number;
  capabilities: Capabilities;
  prices: Prices | undefined;
  /** Adapter options after validation by the adapter's spec (secrets included; never logged). */
  options: Readonly<Record<string, unknown>>;
}

/** Plain-data description of one adapter option, so config can validate it strictly. */
export interface OptionSpec {
  type: 'string' | 'number' | 'boolean' | 'enum' | 'string-list';
  values?: readonly string[];
  required?: boolean;
  /** Secret values are accepted from `env:NAME` references and never printed. */
  secret?: boolean;
  default?: string | number | boolean | readonly string[];
  doc: string;
}
export type OptionsSpec = Readonly<Record<string, OptionSpec>>;

/** A public model name and the deployments that can serve it. */
export interface ModelPool {
  name: string;
  deployments: readonly Deployment[];
  /** Other public models to try, in order, once this pool is exhausted. */
  fallbacks: readonly string[];
  ownedBy: string;
  /** Resume a stream that breaks after tokens were sent, on a deployment that supports prefill. */
  continueStreams: boolean;
}
