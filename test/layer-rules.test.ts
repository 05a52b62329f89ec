// The layer picture is enforced by lint: these cases prove each ban fires, with its reason.

import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint();

async function messages(file: string, code: string): Promise<string[]> {
  const [res] = await eslint.lintText(code, { filePath: file });
  return res!.messages.map((m) => m.message);
}

describe('layer rules', () => {
  it('the proxy may not import a concrete provider', async () => {
    const m = await messages('src/proxy/x.ts', "import { bedrockAdapter } from '../upstreams/bedrock/index.js';\nexport const a = bedrockAdapter;\n");
    expect(m.join('\n')).toMatch(/attempt loop uses ports/);
  });

  it('pure modules may not read the clock, draw random numbers or do I/O', async () => {
    const m = await messages('src/routing/x.ts', "import { readFileSync } from 'node:fs';\nexport const t = Date.now() + Math.random();\nexport const f = readFileSync;\n");
    const text = m.join('\n');
    expect(text).toMatch(/take the time as a parameter/);
    expect(text).toMatch(/take randomness as a parameter/);
    expect(text).toMatch(/no I\/O/);
  });

  it('provider names may not appear outside their adapter', async () => {
    const m = await messages('src/http/x.ts', "export const p = 'bedrock';\n");
    expect(m.join('\n')).toMatch(/Provider knowledge lives only in src\/upstreams/);
  });

  it('emulators may not share code with the gateway they test', async () => {
    const m = await messages('src/emulators/openai/x.ts', "import { parseSse } from '../../wire/sse.js';\nexport const p = parseSse;\n");
    expect(m.join('\n')).toMatch(/shares no code with the gateway/);
  });

  it('domain imports nothing else from src', async () => {
    const m = await messages('src/domain/x.ts', "import { ChatProxy } from '../proxy/chat-proxy.js';\nexport type P = ChatProxy;\n");
    expect(m.join('\n')).toMatch(/domain holds types and errors only/);
  });
});
