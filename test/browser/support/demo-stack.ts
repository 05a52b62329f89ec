// The demo (`npm start`) in-process, on free ports: the demo estate's emulated clouds and the
// gateway on examples/treaty.yaml, with the config's fixed loopback ports rewritten to the
// ones the emulators got. The examples folder is copied whole, so files the config refers to
// (contracts, tenants) resolve as they do for `npm start`.

import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { DEMO_SECRETS, demoEstate } from '../../../src/emulators/demo-estate.js';
import { startEstate, type RunningEstate } from '../../../src/emulators/estate.js';
import { startGateway, type RunningGateway } from '../../../src/main.js';

const EXAMPLES = fileURLToPath(new URL('../../../examples', import.meta.url));

export interface DemoStack {
  estate: RunningEstate;
  gateway: RunningGateway;
  adminUrl: string;
  adminKey: string;
  clientKey: string;
  logs: string[];
  /** GET (or POST) an admin route directly, as the test's source of truth. */
  /** Where `treaty simulate --out` should write runs for this stack's dashboard. */
  simulationsDir: string;
  /** This stack's treaty.yaml. */
  configFile: string;
  admin<T = unknown>(path: string, method?: 'GET' | 'POST'): Promise<{ status: number; body: T }>;
  /** One small chat completion through the gateway; returns status and x-request-id. */
  chat(model?: string, key?: string): Promise<{ status: number; requestId: string | undefined }>;
  close(): Promise<void>;
}

export async function startDemoStack(): Promise<DemoStack> {
  const specs = demoEstate();
  const estate = await startEstate(specs.map((s) => ({ ...s, port: 0 })));
  const dir = await mkdtemp(join(tmpdir(), 'treaty-demo-'));
  const logs: string[] = [];
  let gateway: RunningGateway;
  const adminKey = 'sk-browser-admin-0123456789abcdef';
  const clientKey = 'sk-browser-client-0123456789abcdef';
  try {
    await cp(EXAMPLES, dir, { recursive: true });
    const file = join(dir, 'treaty.yaml');
    let yaml = await readFile(file, 'utf8');
    specs.forEach((s, i) => (yaml = yaml.replaceAll(`http://127.0.0.1:${s.port}`, estate.clouds[i]!.url)));
    // Simulation runs the dashboard lists live in this stack's own folder.
    yaml = yaml.replace('admin:\n', `admin:\n  simulationsDir: "${join(dir, 'simulations')}"\n`);
    await writeFile(file, yaml);
    gateway = await startGateway({
      configPath: file,
      port: 0,
      adminPort: 0,
      // Each test file its own ledger: the default sqlite file in the working folder would be
      // shared by parallel test files and by earlier runs.
      ledgerUrl: 'sqlite::memory:',
      env: { ...process.env, ...DEMO_SECRETS, TREATY_DEMO_KEY: clientKey, TREATY_ADMIN_KEY: adminKey },
      logWrite: (l) => void logs.push(l),
    });
  } catch (err) {
    await estate.close();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const adminUrl = gateway.adminUrl!;
  return {
    estate,
    gateway,
    simulationsDir: join(dir, 'simulations'),
    configFile: join(dir, 'treaty.yaml'),
    adminUrl,
    adminKey,
    clientKey,
    logs,
    admin: async (path, method = 'GET') => {
      const r = await request(`${adminUrl}${path}`, { method, headers: { authorization: `Bearer ${adminKey}` } });
      return { status: r.statusCode, body: (await r.body.json()) as never };
    },
    chat: async (model = 'frontier', key = clientKey) => {
      const r = await request(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model, max_tokens: 4, messages: [{ role: 'user', content: 'Hello from the browser tests' }] }),
      });
      await r.body.dump();
      const id = r.headers['x-request-id'];
      return { status: r.statusCode, requestId: Array.isArray(id) ? id[0] : id };
    },
    close: async () => {
      await gateway.close();
      await estate.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
