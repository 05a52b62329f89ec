// The peer gateway: Portkey's open-source gateway (npm @portkey-ai/gateway, a devDependency).
// Its npm build imports @hono/node-server; the version npm resolves by default answers every
// streamed request with HTTP 500, so package.json "overrides" pins @hono/node-server to 1.13.5
// (the version in Portkey's own lockfile), and this module applies Portkey's one-line patch
// (patches/@hono+node-server+1.13.5.patch in its repository: `return await
// responseViaResponseObject(...)` in dist/index.mjs) if it is not there yet. Idempotent.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface PortkeyInstall {
  available: boolean;
  gatewayVersion?: string;
  honoNodeServerVersion?: string;
  honoVersion?: string;
  patch: 'applied now' | 'already applied' | 'not applicable' | 'missing';
  entry?: string;
  note?: string;
}

const PLAIN = 'return responseViaResponseObject(res, outgoing, options);';
const PATCHED = 'return await responseViaResponseObject(res, outgoing, options);';

function version(root: string, pkg: string): string | undefined {
  const f = join(root, 'node_modules', pkg, 'package.json');
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as { version: string }).version : undefined;
}

export function preparePortkey(root: string): PortkeyInstall {
  const gatewayVersion = version(root, '@portkey-ai/gateway');
  const entry = join(root, 'node_modules/@portkey-ai/gateway/build/start-server.js');
  if (!gatewayVersion || !existsSync(entry)) return { available: false, patch: 'missing', note: 'npm i -D @portkey-ai/gateway@1.15.2 to compare with Portkey' };
  const honoNodeServerVersion = version(root, '@hono/node-server');
  const honoVersion = version(root, 'hono');
  const base = { available: true, gatewayVersion, honoNodeServerVersion, honoVersion, entry };
  const file = join(root, 'node_modules/@hono/node-server/dist/index.mjs');
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  if (text.includes(PATCHED)) return { ...base, patch: 'already applied' };
  if (honoNodeServerVersion === '1.13.5' && text.includes(PLAIN)) {
    writeFileSync(file, text.replace(PLAIN, PATCHED));
    return { ...base, patch: 'applied now' };
  }
  return { ...base, patch: 'not applicable', note: `@hono/node-server ${honoNodeServerVersion ?? '?'} is not 1.13.5: Portkey streaming may fail` };
}

/** Headers that make Portkey forward an OpenAI-shaped request to an OpenAI-compatible host. */
export function portkeyHeaders(upstreamUrl: string, upstreamKey: string): Record<string, string> {
  return { 'x-portkey-provider': 'openai', 'x-portkey-custom-host': `${upstreamUrl}/v1`, authorization: `Bearer ${upstreamKey}` };
}
