// The `treaty` command as a user runs it (through tsx, so no build step is needed).

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { configReference } from './config-docs.js';

const run = promisify(execFile);
const treaty = (args: string[], env: Record<string, string> = {}) =>
  run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { env: { ...process.env, ...env } }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

describe('treaty config', () => {
  it('check accepts the example config when its secrets are set', async () => {
    const env = { TREATY_ADMIN_KEY: 'a', TREATY_DEMO_KEY: 'b', AZURE_OPENAI_API_KEY: 'c', AWS_ACCESS_KEY_ID: 'd', AWS_SECRET_ACCESS_KEY: 'e', VLLM_API_KEY: 'f' };
    const r = await treaty(['config', 'check', '--config', 'examples/treaty.yaml'], env);
    expect(r.stdout).toMatch(/ok: 7 deployments, 3 models/);
    expect(r.code).toBe(0);
  });

  it('check fails with file:line:col for a bad config, and exit code 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'treaty-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'server:\n  prot: 80\n');
    const r = await treaty(['config', 'check', '--config', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}:2:3: unknown key "prot" in server; did you mean "port"?`);
    expect(r.stderr).toMatch(/deployments is required/);
  });

  it('docs/config-reference.md is the generated reference (run npm run docs:config after changing the schema)', () => {
    expect(readFileSync('docs/config-reference.md', 'utf8')).toBe(configReference());
  });
});

describe('treaty demo (what npm start runs)', () => {
  it('starts the estate and the gateway with the example contracts, prints a working key, and answers', async () => {
    const { spawn } = await import('node:child_process');
    const { request } = await import('undici');
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'demo', '--no-traffic'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('Ctrl-C stops everything')) resolve();
        });
        child.once('exit', (code) => reject(new Error(`demo exited early (${code}): ${out}`)));
      });
      const key = /Demo key:\s+(\S+)/.exec(out)![1]!;
      expect(out).toContain('curl http://127.0.0.1:8080/v1/chat/completions');
      const served = new Set<string>();
      for (let i = 0; i < 12; i++) {
        const model = i % 4 === 3 ? 'open' : 'frontier';
        const r = await request('http://127.0.0.1:8080/v1/chat/completions', { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ model, messages: [{ role: 'user', content: `hello ${i}` }] }) });
        expect(r.statusCode).toBe(200);
        served.add(String(r.headers['x-treaty-deployment']));
        // The example contracts are loaded: every frontier answer says why it went where it went.
        if (model === 'frontier') expect(String(r.headers['x-treaty-decision'])).toMatch(/^v=[0-9a-f]{12}; class=/);
        await r.body.dump();
      }
      // Sequential frontier traffic fits in the partner's reserved (prepaid) capacity, which the
      // contracts fill first; the open model is served by the self-hosted pool.
      expect(served.has('azure-eastus-ptu')).toBe(true);
      expect(served.has('vllm-local')).toBe(true);

    } finally {
      child.kill('SIGTERM');
    }
  }, 30_000);
});

describe('treaty emulate --estate', () => {
  it('loads an estate file with standing faults, and rejects unknown keys', async () => {
    const { loadEstateFile } = await import('../emulators/estate-file.js');
    const clouds = loadEstateFile('examples/estate.yaml');
    expect(clouds.map((c) => c.provider)).toEqual(['azure', 'openai']);
    expect(clouds[1]!.deployments[0]!.faults).toEqual([{ fault: 'server_error', count: 3 }]);
    const dir = mkdtempSync(join(tmpdir(), 'treaty-'));
    writeFileSync(join(dir, 'e.yaml'), 'clouds:\n  - { name: x, provider: openai, deployments: [{ name: m, ttft: 5 }] }\n');
    expect(() => loadEstateFile(join(dir, 'e.yaml'))).toThrow(/unknown key "ttft"/);
  });
});

describe('treaty contracts check', () => {
  it('flags the exclusivity-vs-commitment conflict without the amendment, and is clean with it', async () => {
    const bad = await treaty(['contracts', 'check', '-c', 'examples/treaty.yaml', '--contracts', 'examples/contracts-no-amendment.yaml']);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/contracts-no-amendment\.yaml:\d+:\d+: error COMMITMENT_UNREACHABLE: .*because of partner-msa\/frontier-exclusivity/);
    const good = await treaty(['contracts', 'check', '-c', 'examples/treaty.yaml', '--contracts', 'examples/contracts.yaml']);
    expect(good.stdout).toMatch(/no conflicts found/);
    expect(good.code).toBe(0);
  });
});
