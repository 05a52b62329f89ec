// The folder's public surface: the adapter, and the OpenAI-shape building blocks that
// azure-openai reuses (Azure speaks the same wire with a different URL, auth and errors).

export { createOpenAICompatibleAdapter, openAICompatibleAdapter, type AdapterDeps } from './adapter.js';
export { createOpenAIErrorClassifier, kindForStatus, type ErrorClassifier } from './classify-error.js';
export { decodeOpenAIChat } from './decode-chat.js';
export { decodeOpenAIError } from './decode-error.js';
export { decodeOpenAIStream } from './decode-stream.js';
export { decodeOpenAIEmbeddings, toOpenAIEmbeddingsBody } from './embeddings.js';
export { toOpenAIChatBody, type ChatBodyOptions } from './encode-chat.js';
export { basePathOf } from './options.js';
export type { WireErrorInfo } from './wire-types.js';
