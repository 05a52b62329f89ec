// The one interface the proxy sees. Each provider folder implements it; the proxy never
// learns which provider it is talking to.

import type { ChatRequest, ChatResponse, EmbeddingsRequest, EmbeddingsResponse, StreamEvent } from '../domain/chat.js';
import type { Deployment, OptionsSpec } from '../domain/deployment.js';
import type { UpstreamFailure } from '../domain/upstream-failure.js';

/** What to send: a path relative to the deployment's origin, headers and a body. */
export interface UpstreamHttpRequest {
  method: 'POST' | 'GET';
  /** Absolute path on the deployment's origin, including any query string. */
  path: string;
  headers: Record<string, string>;
  body: string | Uint8Array;
}

export interface UpstreamResponseHead {
  status: number;
  headers: Readonly<Record<string, string | string[] | undefined>>;
}

export interface EncodeOptions {
  /** Ask the upstream for usage even when the client did not (the ledger needs it). */
  wantUsage: boolean;
}

/** An adapter bound to one deployment (its options already validated). */
export interface BoundAdapter {
  encodeChat(req: ChatRequest, opts: EncodeOptions): Promise<UpstreamHttpRequest>;
  /** Decodes a 2xx body. Throws UpstreamFailureError for an error hidden in a 200. */
  decodeChat(head: UpstreamResponseHead, body: Uint8Array): ChatResponse;
  /**
   * Decodes a 2xx streamed body into typed events. Throws UpstreamFailureError for an
   * in-stream error, a malformed frame, or an end of stream before the answer completed.
   * Returns normally only when the answer is complete.
   */
  decodeChatStream(head: UpstreamResponseHead, body: AsyncIterable<Uint8Array>): AsyncIterable<StreamEvent>;
  /** Classifies a non-2xx response. */
  decodeError(head: UpstreamResponseHead, body: Uint8Array): UpstreamFailure;
  encodeEmbeddings?(req: EmbeddingsRequest): Promise<UpstreamHttpRequest>;
  decodeEmbeddings?(head: UpstreamResponseHead, body: Uint8Array): EmbeddingsResponse;
}

export interface ProviderAdapter {
  /** The value of `provider:` in the config. */
  readonly provider: string;
  readonly optionsSpec: OptionsSpec;
  /** Whether deployments of this provider can serve embeddings at all. */
  readonly supportsEmbeddings: boolean;
  bind(deployment: Deployment): BoundAdapter;
}
