// The Azure OpenAI emulator.

export { startAzureEmulator, type AzureEmulatorOptions } from './server.js';
