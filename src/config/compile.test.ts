import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PROVIDERS } from '../upstreams/registry.js';
import { compileConfig } from './compile.js';
import { ConfigError } from './schema-dsl.js';

const env = { KEY: 'sk-client-key-123456', AZ: 'az-key', ID: 'AKIAEXAMPLE', SECRET: 'secret', TREATY_ADMIN_KEY: 'admin', TREATY_DEMO_KEY: 'demo', AZURE_OPENAI_API_KEY: 'a', AWS_ACCESS_KEY_ID: 'b', AWS_SECRET_ACCESS_KEY: 'c', VLLM_API_KEY: 'd' };
const compile = (text: string) => compileConfig({ text, file: 'treaty.yaml', providers: PROVIDERS, env, hash: (k) => `${'0'.repeat(64 - k.length)}${Buffer.from(k).toString('hex')}`.slice(-64) });

function problems(text: string): string[] {
  try {
    compile(text);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('config compiled without errors');
}

const base = `
auth:
  keys:
    - { name: app, key: env:KEY }
deployments:
  - id: vllm-a
    provider: openai-compatible
    baseUrl: http://127.0.0.1:9/v1
    model: m
models:
  - name: chat
    deployments: [vllm-a]
`;

describe('config: strict parse with file:line:col', () => {
  it('accepts the example config shipped with the demo', () => {
    const c = compile(readFileSync('examples/treaty.yaml', 'utf8'));
    expect(c.deployments.size).toBe(7);
    expect(c.models.get('frontier')?.deployments.map((d) => d.id)).toContain('bedrock-trn');
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('fills defaults', () => {
    const c = compile(base);
    expect(c.server.port).toBe(8080);
    expect(c.resilience.firstTokenTimeoutMs).toBe(30_000);
    expect(c.deployments.get('vllm-a')?.capabilities.contextWindow).toBe(128_000);
    expect(c.deployments.get('vllm-a')?.prices).toBeUndefined();
  });

  it('names the line and column of an unknown key, with a suggestion', () => {
    const p = problems(base.replace('    model: m', '    model: m\n    wieght: 2'));
    expect(p).toEqual([expect.stringMatching(/^treaty\.yaml:10:5: unknown key "wieght" in deployments\[0\]; did you mean "weight"\?/)]);
  });

  it('overload shedding, contracts and attempt recording are on by default; their switches are checked with positions', () => {
    const c = compile(base);
    expect(c.server.overload).toEqual({ lagTargetMs: 5, intervalMs: 50, minActive: 80, retryAfterMs: 1000, startBudgetMs: 2 });
    expect(c.contracts.enabled).toBe(true);
    expect(c.ledger.recordAttempts).toBe(true);
    const off = compile(base.replace('auth:', 'server:\n  overload: { lagTargetMs: 0 }\ncontracts:\n  enabled: false\nledger:\n  recordAttempts: false\nauth:'));
    expect([off.server.overload.lagTargetMs, off.contracts.enabled, off.ledger.recordAttempts]).toEqual([0, false, false]);
    expect(problems(base.replace('auth:', 'server:\n  overload:\n    lagTargetMs: -5\nauth:'))[0]).toMatch(/^treaty\.yaml:4:18: server\.overload\.lagTargetMs/);
    expect(problems(base.replace('auth:', 'ledger:\n  recordAttempts: no-thanks\nauth:'))[0]).toMatch(/^treaty\.yaml:3:19: ledger\.recordAttempts must be true or false/);
    expect(problems(base.replace('auth:', 'server:\n  overload:\n    lagTarget: 5\nauth:'))[0]).toMatch(/^treaty\.yaml:4:5: unknown key "lagTarget" in server\.overload; did you mean "lagTargetMs"\?/);
  });

  it('names a bad value and what to write instead', () => {
    expect(problems(base.replace('auth:', 'server:\n  port: eighty\nauth:'))[0]).toMatch(/^treaty\.yaml:3:9: server\.port must be a number/);
    expect(problems(base.replace('auth:', 'logging:\n  level: verbose\nauth:'))[0]).toMatch(/logging\.level must be one of debug, info, warn, error, silent/);
    expect(problems(base.replace('http://127.0.0.1:9/v1', 'ftp://x'))[0]).toMatch(/baseUrl must be an http:\/\/ or https:\/\/ URL/);
  });

  it('reports a missing required field', () => {
    expect(problems(base.replace('    model: m\n', ''))[0]).toMatch(/deployments\[0\]\.model is required/);
  });

  it('reports unknown deployments in a pool and unknown fallbacks, with positions', () => {
    const p = problems(base.replace('deployments: [vllm-a]', 'deployments: [vllm-b]\n    fallbacks: [nope]'));
    expect(p).toEqual(expect.arrayContaining([expect.stringMatching(/treaty\.yaml:12:19: unknown deployment "vllm-b"; did you mean "vllm-a"\?/), expect.stringMatching(/unknown fallback model "nope"/)]));
  });

  it('validates provider options against the adapter\'s own spec', () => {
    const p = problems(base.replace('    model: m\n', '    model: m\n    options: { apiKye: env:KEY, streamUsage: maybe }\n'));
    expect(p).toEqual(expect.arrayContaining([expect.stringMatching(/unknown option "apiKye" for provider openai-compatible; did you mean "apiKey"/), expect.stringMatching(/option streamUsage must be true or false/)]));
  });

  it('rejects an unknown provider with the list of known ones', () => {
    expect(problems(base.replace('openai-compatible', 'openai-compatibel'))[0]).toMatch(/unknown provider "openai-compatibel".*did you mean "openai-compatible"/);
  });

  it('refuses inline secrets and unset environment variables without printing them', () => {
    const inline = problems(base.replace('key: env:KEY', 'key: sk-live-secret-value'));
    expect(inline[0]).toMatch(/write secrets as env:VARIABLE_NAME/);
    expect(inline.join('\n')).not.toContain('sk-live-secret-value');
    expect(problems(base.replace('env:KEY', 'env:MISSING_VAR'))[0]).toMatch(/environment variable MISSING_VAR is not set/);
  });

  it('refuses a config with no way to authenticate unless auth is explicitly disabled', () => {
    const noKeys = base.replace(/auth:\n {2}keys:\n {4}- \{ name: app, key: env:KEY \}\n/, '');
    expect(problems(noKeys)[0]).toMatch(/auth\.keys is empty/);
    expect(() => compile(`auth:\n  disabled: true\n${noKeys}`)).not.toThrow();
  });

  it('reports duplicate deployment ids and YAML syntax errors with positions', () => {
    const dup = base.replace('models:', '  - { id: vllm-a, provider: openai-compatible, baseUrl: "http://127.0.0.1:9", model: x }\nmodels:');
    expect(problems(dup)[0]).toMatch(/deployment id "vllm-a" is used twice/);
    expect(problems('server: [\n')[0]).toMatch(/^treaty\.yaml:\d+:\d+: /);
  });
});
