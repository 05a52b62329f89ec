// Phase two of config: from the strictly parsed YAML to a frozen, option-free runtime form.
// Cross-references (pools → deployments, fallbacks → models), secrets (env:NAME) and
// provider options (validated against each adapter's own spec) are resolved here.

import { readFileSync } from 'node:fs';
import type { Deployment, ModelPool, OptionSpec, OptionsSpec } from '../domain/deployment.js';
import { ConfigError, parseYamlStrict, suggest, type Located } from './schema-dsl.js';
import { configSpec } from './spec.js';

export type { ModelPool };

export interface GatewayConfig {
  server: { host: string; port: number; maxBodyBytes: number; maxMessages: number; requestTimeoutMs: number; maxAttempts: number; maxInFlight: number; maxConnections: number; shutdownGraceMs: number; upstreamConnections: number; upstreamClient: 'treaty' | 'undici'; downstreamServer: 'treaty' | 'node'; overload: Readonly<OverloadConfig> };
  admin: { host: string; port: number; key: string | undefined; simulationsDir: string };
  auth: { disabled: boolean; keys: readonly { name: string; sha256: string }[] };
  logging: { level: 'debug' | 'info' | 'warn' | 'error' | 'silent' };
  resilience: Readonly<ResilienceConfig>;
  /** recordAttempts false: no attempt rows (the bench's ledger-off variant). */
  ledger: { url: string; durability: 'process' | 'power'; recordAttempts: boolean; writeAheadJournal: boolean };
  /** `file` is as written; resolve it against the config file's folder. */
  contracts: { enabled: boolean; file: string | undefined; watchMs: number };
  /** Cluster mode's settings; on when a Redis URL is known (here or `serve --cluster`). */
  cluster: ClusterSection;
  telemetry: { otlpEndpoint: string | undefined; serviceName: string };
  deployments: ReadonlyMap<string, Deployment>;
  models: ReadonlyMap<string, ModelPool>;
}

export interface OverloadConfig {
  lagTargetMs: number;
  intervalMs: number;
  minActive: number;
  retryAfterMs: number;
  startBudgetMs: number;
}

export interface ClusterSection {
  redisUrl: string | undefined;
  keyPrefix: string;
  failMode: 'open' | 'closed';
  replicas: number | undefined;
  commandTimeoutMs: number;
  sweepIntervalMs: number;
  orphanMarginMs: number;
  contractSyncMs: number;
}

export interface ResilienceConfig {
  firstTokenTimeoutMs: number;
  idleTimeoutMs: number;
  attemptTimeoutMs: number;
  minAttemptMs: number;
  maxRetryWaitMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  retryBudgetPercent: number;
  minRetryConcurrency: number;
  consecutiveFailures: number;
  ejectionBaseMs: number;
  ejectionMaxMs: number;
  ejectionJitterMs: number;
  maxEjectionPercent: number;
  panicThresholdPercent: number;
  rateLimitCooldownMs: number;
  throttleK: number;
}

export interface ProviderInfo {
  optionsSpec: OptionsSpec;
}

export interface CompileInput {
  text: string;
  file: string;
  providers: ReadonlyMap<string, ProviderInfo>;
  env: Readonly<Record<string, string | undefined>>;
  /** Hashes a key (sha256 hex); passed in so this module stays free of crypto choices. */
  hash: (key: string) => string;
}

export function loadConfigFile(file: string, rest: Omit<CompileInput, 'text' | 'file'>): GatewayConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([`${file}: cannot read the config file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`]);
  }
  return compileConfig({ ...rest, text, file });
}

type Raw = Record<string, unknown>;

export function compileConfig(input: CompileInput): GatewayConfig {
  const located = parseYamlStrict(input.text, input.file, configSpec);
  const raw = located.value;
  const problems: string[] = [];
  const secret = (value: string, path: (string | number)[]): string | undefined => resolveSecret(value, path, located, input.env, problems);

  const deployments = new Map<string, Deployment>();
  (raw.deployments as Raw[]).forEach((d, i) => {
    const dep = compileDeployment(d, i, located, input.providers, secret, problems);
    if (!dep) return;
    if (deployments.has(dep.id)) problems.push(`${located.where(['deployments', i, 'id'])}: deployment id "${dep.id}" is used twice; ids must be unique`);
    deployments.set(dep.id, dep);
  });

  const models = new Map<string, ModelPool>();
  const rawModels = raw.models as Raw[];
  rawModels.forEach((m, i) => {
    const name = m.name as string;
    if (models.has(name)) problems.push(`${located.where(['models', i, 'name'])}: model "${name}" is declared twice`);
    const members: Deployment[] = [];
    (m.deployments as string[]).forEach((id, j) => {
      const dep = deployments.get(id);
      if (dep) members.push(dep);
      else {
        const hint = suggest(id, [...deployments.keys()]);
        problems.push(`${located.where(['models', i, 'deployments', j])}: unknown deployment "${id}"${hint ? `; did you mean "${hint}"?` : ''}`);
      }
    });
    models.set(name, { name, deployments: Object.freeze(members), fallbacks: Object.freeze([...((m.fallbacks as string[] | undefined) ?? [])]), ownedBy: m.ownedBy as string, continueStreams: m.continueStreams as boolean });
  });
  rawModels.forEach((m, i) => {
    ((m.fallbacks as string[] | undefined) ?? []).forEach((f, j) => {
      if (!models.has(f)) problems.push(`${located.where(['models', i, 'fallbacks', j])}: unknown fallback model "${f}"`);
      if (f === m.name) problems.push(`${located.where(['models', i, 'fallbacks', j])}: a model cannot fall back to itself`);
    });
  });

  const server = raw.server as GatewayConfig['server'];
  const adminRaw = raw.admin as Raw;
  const authRaw = raw.auth as Raw;
  const keys = ((authRaw.keys as Raw[] | undefined) ?? []).map((k, i) => {
    const value = k.key as string;
    const sha = value.startsWith('sha256:') ? value.slice(7).toLowerCase() : (() => {
      const s = secret(value, ['auth', 'keys', i, 'key']);
      return s === undefined ? '' : input.hash(s);
    })();
    if (!/^[0-9a-f]{64}$/.test(sha) && !problems.length) problems.push(`${located.where(['auth', 'keys', i, 'key'])}: key must be env:VARIABLE_NAME or sha256:<64 hex digits>`);
    return { name: k.name as string, sha256: sha };
  });
  if (!authRaw.disabled && keys.length === 0) {
    problems.push(`${input.file}: auth.keys is empty, so no client could call Treaty; add a key (key: env:TREATY_KEY) or set auth.disabled: true for local development`);
  }
  const adminKey = adminRaw.key === undefined ? undefined : secret(adminRaw.key as string, ['admin', 'key']);
  const ledgerRaw = raw.ledger as Raw;
  const ledgerUrl = (ledgerRaw.url as string).startsWith('env:') ? secret(ledgerRaw.url as string, ['ledger', 'url']) : (ledgerRaw.url as string);
  const clusterRaw = raw.cluster as Raw;
  const redisRaw = clusterRaw.redisUrl as string | undefined;
  const redisUrl = redisRaw?.startsWith('env:') ? secret(redisRaw, ['cluster', 'redisUrl']) : redisRaw;
  if (problems.length) throw new ConfigError(problems);

  return Object.freeze({
    server: Object.freeze({ ...server, overload: Object.freeze({ ...server.overload }) }),
    admin: Object.freeze({ host: adminRaw.host as string, port: adminRaw.port as number, key: adminKey, simulationsDir: adminRaw.simulationsDir as string }),
    auth: Object.freeze({ disabled: authRaw.disabled as boolean, keys: Object.freeze(keys) }),
    logging: Object.freeze({ level: (raw.logging as Raw).level as GatewayConfig['logging']['level'] }),
    resilience: Object.freeze({ ...(raw.resilience as unknown as ResilienceConfig) }),
    ledger: Object.freeze({ url: ledgerUrl ?? '', durability: ledgerRaw.durability as 'process' | 'power', recordAttempts: ledgerRaw.recordAttempts as boolean, writeAheadJournal: ledgerRaw.writeAheadJournal as boolean }),
    telemetry: Object.freeze({ otlpEndpoint: (raw.telemetry as Raw).otlpEndpoint as string | undefined, serviceName: (raw.telemetry as Raw).serviceName as string }),
    contracts: Object.freeze({ enabled: (raw.contracts as Raw).enabled as boolean, file: (raw.contracts as Raw).file as string | undefined, watchMs: (raw.contracts as Raw).watchMs as number }),
    cluster: Object.freeze({ redisUrl, keyPrefix: clusterRaw.keyPrefix as string, failMode: clusterRaw.failMode as 'open' | 'closed', replicas: clusterRaw.replicas as number | undefined, commandTimeoutMs: clusterRaw.commandTimeoutMs as number, sweepIntervalMs: clusterRaw.sweepIntervalMs as number, orphanMarginMs: clusterRaw.orphanMarginMs as number, contractSyncMs: clusterRaw.contractSyncMs as number }),
    deployments,
    models,
  });
}

function compileDeployment(
  d: Raw,
  i: number,
  located: Located<Raw>,
  providers: ReadonlyMap<string, ProviderInfo>,
  secret: (v: string, path: (string | number)[]) => string | undefined,
  problems: string[],
): Deployment | undefined {
  const provider = d.provider as string;
  const info = providers.get(provider);
  if (!info) {
    const hint = suggest(provider, [...providers.keys()]);
    problems.push(`${located.where(['deployments', i, 'provider'])}: unknown provider "${provider}"; use one of ${[...providers.keys()].join(', ')}${hint ? ` (did you mean "${hint}"?)` : ''}`);
    return undefined;
  }
  const options = compileOptions((d.options as Raw | undefined) ?? {}, info.optionsSpec, ['deployments', i, 'options'], provider, located, secret, problems);
  const caps = d.capabilities as Deployment['capabilities'];
  const prices = d.prices as Raw;
  return Object.freeze({
    id: d.id as string,
    provider,
    baseUrl: (d.baseUrl as string).replace(/\/+$/, ''),
    upstreamModel: d.model as string,
    region: d.region as string,
    account: d.account as string,
    accelerator: d.accelerator as string,
    weight: d.weight as number,
    capabilities: Object.freeze({ ...caps }),
    prices: prices && prices.usdPerMTokIn !== undefined ? Object.freeze({ ...(prices as unknown as NonNullable<Deployment['prices']>) }) : undefined,
    options: Object.freeze(options),
  });
}

function compileOptions(
  raw: Raw,
  spec: OptionsSpec,
  path: (string | number)[],
  provider: string,
  located: Located<Raw>,
  secret: (v: string, path: (string | number)[]) => string | undefined,
  problems: string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    const s = spec[key];
    const where = located.where([...path, key]);
    if (!s) {
      const hint = suggest(key, Object.keys(spec));
      problems.push(`${where}: unknown option "${key}" for provider ${provider}${hint ? `; did you mean "${hint}"?` : `; allowed: ${Object.keys(spec).join(', ') || '(none)'}`}`);
      continue;
    }
    const problem = checkOption(value, s);
    if (problem) problems.push(`${where}: option ${key} ${problem}`);
    else out[key] = s.secret && typeof value === 'string' ? secret(value, [...path, key]) : value;
  }
  for (const [key, s] of Object.entries(spec)) {
    if (out[key] !== undefined || key in raw) continue;
    if (s.default !== undefined) out[key] = s.default;
    else if (s.required) problems.push(`${located.where(path.slice(0, -1))}: provider ${provider} needs options.${key} — ${s.doc}`);
  }
  return out;
}

function checkOption(value: unknown, s: OptionSpec): string | undefined {
  switch (s.type) {
    case 'string':
      return typeof value === 'string' ? undefined : 'must be text';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : 'must be a number';
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'must be true or false';
    case 'enum':
      return typeof value === 'string' && s.values?.includes(value) ? undefined : `must be one of ${s.values?.join(', ')} (got ${JSON.stringify(value)})`;
    case 'string-list':
      return Array.isArray(value) && value.every((v) => typeof v === 'string') ? undefined : 'must be a list of text values';
  }
}

function resolveSecret(value: string, path: (string | number)[], located: Located<Raw>, env: CompileInput['env'], problems: string[]): string | undefined {
  const m = /^env:([A-Za-z_][A-Za-z0-9_]*)$/.exec(value);
  if (!m) {
    // A literal secret in a file ends up in backups and diffs; insist on a reference.
    problems.push(`${located.where(path)}: write secrets as env:VARIABLE_NAME, not inline (the value was not printed)`);
    return undefined;
  }
  const v = env[m[1]!];
  if (v === undefined || v === '') {
    problems.push(`${located.where(path)}: environment variable ${m[1]} is not set`);
    return undefined;
  }
  return v;
}
