// What every process of the benchmark agrees on: the emulated deployments, the keys, the
// request bodies, and the Treaty config (a demo-like estate pointed at the emulator, plus a
// per-variant YAML overlay).

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { parse as parseYaml, stringify as toYaml } from 'yaml';

export const UPSTREAM_KEY = 'sk-bench-upstream-0123456789abcdef';
/** The static key: the proxy's and Portkey's client key, and the one Treaty uses until a virtual key is issued. */
export const CLIENT_KEY = 'sk-bench-client-0123456789abcdef';
export const ADMIN_KEY = 'sk-bench-admin-0123456789abcdef';

/** The example contracts adapted to this estate (read by Treaty; checked before each run). */
export const BENCH_CONTRACTS = join(dirname(fileURLToPath(import.meta.url)), 'contracts.yaml');

/** Output tokens per answer: ~1 KB response body (checked and reported at start). */
export const ANSWER_TOKENS = 72;

/** Emulated deployments (all on one OpenAI-compatible emulator). */
export const BENCH_DEPLOYMENTS = [
  // Zero-latency: the answer is sent as soon as the request is read.
  { name: 'bench-fast', model: 'bench-fast', ttftMs: 0, tokensPerSec: 0, defaultMaxTokens: ANSWER_TOKENS, contextWindow: 128_000 },
  { name: 'bench-fast-b', model: 'bench-fast-b', ttftMs: 0, tokensPerSec: 0, defaultMaxTokens: ANSWER_TOKENS, contextWindow: 128_000 },
  // Realistic: 50 ms to the first token, then 50 tokens/s (a 72-token answer takes ~1.5 s).
  { name: 'bench-real', model: 'bench-real', ttftMs: 50, tokensPerSec: 50, defaultMaxTokens: ANSWER_TOKENS, contextWindow: 128_000 },
  // Slow streams that stay open: 2 tokens/s (the open-streams test closes them itself).
  { name: 'bench-slow', model: 'bench-slow', ttftMs: 0, tokensPerSec: 2, defaultMaxTokens: ANSWER_TOKENS, contextWindow: 128_000 },
] as const;

export type BenchModel = 'bench-fast' | 'bench-real' | 'bench-slow';

const SYSTEM =
  'You are a careful assistant for an infrastructure team. Answer in plain English, cite the ' +
  'configuration keys you rely on, and say when you are unsure. Keep answers short unless asked.';
const USER =
  'Our gateway routes chat traffic across three clouds under committed-spend contracts. Last ' +
  'night the partner region returned 429s for twenty minutes and traffic moved to the second ' +
  'cloud as designed, but the finance dashboard shows the commitment burn-down falling behind ' +
  'plan. Explain which settings decide how quickly traffic returns to the partner deployment ' +
  'after its cooldown, how the retry budget interacts with fallbacks, and what we should ' +
  'change so that the commitment is met without risking the latency objective for streaming.';

/** A ~0.8 KB chat request body for `model`; `maxTokens` sets the answer's length (the emulator plans that many tokens). */
export function chatBody(model: BenchModel, stream: boolean, maxTokens?: number): Buffer {
  const body: Record<string, unknown> = {
    model,
    messages: [
      { role: 'system', content: SYSTEM },
      { role: 'user', content: USER },
    ],
    temperature: 0.2,
    user: 'bench-user-0001',
  };
  if (stream) body.stream = true;
  if (maxTokens !== undefined) body.max_tokens = maxTokens;
  return Buffer.from(JSON.stringify(body));
}

/** A Treaty config overlay that refuses all but one request in progress: with that slot held by
 * slotHoldingBody(), a twin that refuses everything (its CPU per refusal is Treaty's own). */
export const REFUSE_ALL_OVERLAY = 'server:\n  maxInFlight: 1\n';

/** A stream on the 2 tokens/s deployment long enough (4,000 tokens: over half an hour) to hold a request slot for a whole run. */
export function slotHoldingBody(): Buffer {
  return chatBody('bench-slow', true, 4000);
}

/**
 * Treaty's config, its default path as a contracted estate runs it: a demo-like pool (two
 * deployments behind the public model, on two parties' accounts, a fallback model), prices (so
 * cost accounting runs), the example contracts (bench/contracts.yaml), the admin API (the
 * bench issues a virtual key with RPM/TPM limits through it: issueBenchKey), the default SQLite
 * ledger and logging at its default level. `overlays` are YAML deep-merged over it (maps
 * merge, lists and scalars replace): variants.yaml's `base` and each variant.
 */
export function treatyConfigYaml(upstreamUrl: string, port: number, adminPort: number, ...overlays: string[]): string {
  const dep = (id: string, model: string, account: string, weight = 1): Record<string, unknown> => ({
    id,
    provider: 'openai-compatible',
    baseUrl: `${upstreamUrl}/v1`,
    model,
    region: 'bench-local',
    account,
    accelerator: 'emulated',
    weight,
    capabilities: { contextWindow: 128000, tools: true },
    prices: { usdPerMTokIn: 2.5, usdPerMTokOut: 10 },
    options: { apiKey: 'env:BENCH_UPSTREAM_KEY' },
  });
  const base: Record<string, unknown> = {
    server: { host: '127.0.0.1', port, maxAttempts: 3 },
    admin: { host: '127.0.0.1', port: adminPort, key: 'env:BENCH_ADMIN_KEY' },
    auth: { keys: [{ name: 'bench', key: 'env:BENCH_CLIENT_KEY' }] },
    contracts: { file: BENCH_CONTRACTS, watchMs: 0 },
    deployments: [dep('fast-a', 'bench-fast', 'bench-partner', 2), dep('fast-b', 'bench-fast-b', 'bench-commit'), dep('real', 'bench-real', 'bench-partner'), dep('slow', 'bench-slow', 'bench-self')],
    models: [
      { name: 'bench-fast', deployments: ['fast-a', 'fast-b'], fallbacks: ['bench-real'] },
      { name: 'bench-real', deployments: ['real'] },
      { name: 'bench-slow', deployments: ['slow'] },
    ],
  };
  const merged = overlays.filter((o) => o.trim()).reduce<unknown>((acc, o) => deepMerge(acc, parseYaml(o) as unknown), base);
  return `# Generated by bench/ for one run; do not edit.\n${toYaml(merged, { lineWidth: 0 })}`;
}

/** Env the Treaty process needs for the config above. */
export const TREATY_ENV = { BENCH_UPSTREAM_KEY: UPSTREAM_KEY, BENCH_CLIENT_KEY: CLIENT_KEY, BENCH_ADMIN_KEY: ADMIN_KEY };

/** Limits on the bench key: checked on every request, far above what any phase sends. */
export const BENCH_LIMITS = { rpm: 100_000_000, tpm: 100_000_000_000 };

/**
 * Through Treaty's admin API: a tenant tagged "enterprise" (its traffic class in the contracts)
 * and a virtual key with RPM/TPM limits. Returns the key, so the measured requests take the
 * stored-key path (hashed lookup, tenant, limits) rather than the static config key's.
 */
export async function issueBenchKey(adminOrigin: string, tenantFields: Record<string, unknown> = {}): Promise<string> {
  const post = async (path: string, body: unknown): Promise<Record<string, unknown>> => {
    const r = await request(`${adminOrigin}${path}`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const text = await r.body.text();
    if (r.statusCode !== 201) throw new Error(`POST ${path}: HTTP ${r.statusCode} ${text.slice(0, 200)}`);
    return JSON.parse(text) as Record<string, unknown>;
  };
  const tenant = await post('/admin/tenants', { name: 'bench-tenant', tags: ['enterprise'], ...tenantFields });
  const key = await post(`/admin/tenants/${String(tenant.id)}/keys`, { name: 'bench-key', ...BENCH_LIMITS });
  return String(key.key);
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function deepMerge(a: unknown, b: unknown): unknown {
  if (!isMap(a) || !isMap(b)) return b === undefined ? a : b;
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = deepMerge(a[k], v);
  return out;
}

/**
 * The node flags Treaty is launched with, read from the `treaty` bin's shebang
 * (`#!/usr/bin/env -S node <flags>` in src/cli/main.ts), so the bench runs it as it ships.
 */
export function treatyLaunchFlags(treatyRoot: string): string[] {
  return shebangFlags(join(treatyRoot, 'src/cli/main.ts'));
}

/** The node flags in a file's `#!/usr/bin/env -S node <flags>` line (a transpiled main.js keeps it). */
export function shebangFlags(file: string): string[] {
  const first = readFileSync(file, 'utf8').split('\n', 1)[0] ?? '';
  const m = /^#!\/usr\/bin\/env -S node(.*)$/.exec(first);
  return m ? m[1]!.trim().split(/\s+/).filter(Boolean) : [];
}
