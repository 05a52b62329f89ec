// The folder's public surface: the Azure OpenAI adapter.

export { azureOpenAIAdapter, createAzureOpenAIAdapter, type AzureAdapterDeps } from './adapter.js';
