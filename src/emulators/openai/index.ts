// The OpenAI-compatible emulator, and the OpenAI-wire pieces the Azure emulator builds on.

export { startOpenAIEmulator, type OpenAIEmulatorOptions } from './server.js';
export { isRecord, parseChatRequest, type ParsedChat } from './chat-request.js';
export { serveChat } from './chat-respond.js';
export { serveContext, type Operation, type ServeContext, type WireDialect } from './dialect.js';
export { serveEmbeddings } from './embeddings.js';
export { invalidRequest, openAIErrorBody, sendOpenAIError, type OpenAIErrorFields } from './errors.js';
export { modelList } from './models.js';
export { remainingHeaders } from './rate-headers.js';
export { INVALID_JSON_MESSAGE, readJson } from './request-body.js';
