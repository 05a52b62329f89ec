// Phase one and two of the traffic file: strict parse (traffic-spec.ts, file:line:col errors)
// into typed, time-resolved settings, and a check of its references (deployments, models,
// commitments) against the estate and contracts it will run with.

import { ConfigError, parseYamlStrict, suggest } from '../config/schema-dsl.js';
import { DAY_MS, parseContractDate } from '../contracts/time.js';
import type { FailureKind } from '../domain/upstream-failure.js';
import type { SizeDistribution } from './prng.js';
import { trafficFileSpec } from './traffic-spec.js';

type Raw = Record<string, unknown>;

export interface MixEntry {
  share: number;
  model: string;
  tenantId: string | null;
  keyId: string | null;
  tags: readonly string[];
  trafficClass: string | null;
  endpoint: 'chat' | 'embeddings';
  tools: boolean;
  vision: boolean;
  jsonMode: boolean;
  promptTokens: SizeDistribution;
  completionTokens: SizeDistribution;
  maxTokens: number | undefined;
  cachedPercent: number;
  fromMs: number;
  untilMs: number;
}

export interface Burst {
  startMs: number;
  endMs: number;
  factor: number;
}

export interface TrafficProfile {
  startMs: number;
  weight: number;
  requestsPerMinute: number;
  growthPercentPerMonth: number;
  daily: { amplitudePercent: number; peakHourUtc: number };
  weekendFactor: number;
  bursts: readonly Burst[];
  randomBursts: { perMonth: number; minutes: number; factor: number };
  mix: readonly MixEntry[];
}

export interface Behaviour {
  firstTokenMs: number;
  msPerOutputToken: number;
  jitterPercent: number;
  loadPercentAtFull: number;
  errorPercent: number;
  overflow: 'rate_limited' | 'overloaded';
  retryAfterMs: number | undefined;
}

export interface DeploymentSim extends Partial<Behaviour> {
  id: string;
  concurrency?: number;
  tokensPerMinute?: number;
}

export interface SimEvent {
  kind: 'outage' | 'crunch' | 'slowdown';
  deployments: readonly string[];
  startMs: number;
  endMs: number;
  failure: FailureKind;
  capacityPercent: number;
  latencyFactor: number;
  note?: string;
}

export interface EstateSpec {
  replicas: number;
  defaults: Behaviour;
  deployments: readonly DeploymentSim[];
}

export interface TrafficFile {
  file: string;
  profile: TrafficProfile;
  initialCommitmentSpend: Readonly<Record<string, number>>;
  estate: EstateSpec;
  events: readonly SimEvent[];
  /** file:line:col of a path in the file, for reference errors found later. */
  where: (path: (string | number)[]) => string;
}

/** Behaviour of a deployment nobody described: a typical hosted model. */
export const BUILT_IN_BEHAVIOUR: Behaviour = { firstTokenMs: 400, msPerOutputToken: 15, jitterPercent: 25, loadPercentAtFull: 50, errorPercent: 0, overflow: 'rate_limited', retryAfterMs: undefined };

function behaviourOf(r: Raw): Partial<Behaviour> {
  const l = (r.latency ?? {}) as Raw;
  const out: Partial<Behaviour> = {};
  const put = <K extends keyof Behaviour>(k: K, v: unknown): void => {
    if (v !== undefined) out[k] = v as Behaviour[K];
  };
  put('firstTokenMs', l.firstTokenMs);
  put('msPerOutputToken', l.msPerOutputToken);
  put('jitterPercent', l.jitterPercent);
  put('loadPercentAtFull', l.loadPercentAtFull);
  put('errorPercent', r.errorPercent);
  put('overflow', r.overflow);
  put('retryAfterMs', r.retryAfterMs);
  return out;
}

const sizeOf = (r: Raw): SizeDistribution => ({ median: r.median as number, p95: Math.max(r.median as number, r.p95 as number), ...(r.max !== undefined ? { max: r.max as number } : {}) });

export function parseTrafficFile(text: string, file: string): TrafficFile {
  const located = parseYamlStrict(text, file, trafficFileSpec);
  const { value, where } = located;
  const problems: string[] = [];
  const when = (s: string | undefined, edge: 'start' | 'end', path: (string | number)[], fallback: number): number => {
    if (s === undefined) return fallback;
    const t = parseContractDate(s, edge);
    if (t === undefined) problems.push(`${where(path)}: not a real date (${s})`);
    return t ?? fallback;
  };
  const t = value.traffic as Raw;
  const mix = (t.mix as Raw[]).map((m, i): MixEntry => ({
    share: m.share as number,
    model: m.model as string,
    tenantId: (m.tenant as string | undefined) ?? null,
    keyId: (m.key as string | undefined) ?? null,
    tags: Object.freeze([...((m.tags as string[] | undefined) ?? [])]),
    trafficClass: (m.trafficClass as string | undefined) ?? null,
    endpoint: m.endpoint as 'chat' | 'embeddings',
    tools: m.tools as boolean,
    vision: m.vision as boolean,
    jsonMode: m.jsonMode as boolean,
    promptTokens: sizeOf(m.promptTokens as Raw),
    completionTokens: sizeOf(m.completionTokens as Raw),
    maxTokens: m.maxTokens as number | undefined,
    cachedPercent: m.cachedPercent as number,
    fromMs: when(m.from as string | undefined, 'start', ['traffic', 'mix', i, 'from'], -Infinity),
    untilMs: when(m.until as string | undefined, 'end', ['traffic', 'mix', i, 'until'], Infinity),
  }));
  if (!mix.some((m) => m.share > 0)) problems.push(`${where(['traffic', 'mix'])}: every share is 0; give at least one slice a share above 0`);
  const bursts = ((t.bursts as Raw[] | undefined) ?? []).map((b, i): Burst => {
    const startMs = when(b.start as string, 'start', ['traffic', 'bursts', i, 'start'], 0);
    return { startMs, endMs: startMs + (b.minutes as number) * 60_000, factor: b.factor as number };
  });
  const daily = t.daily as Raw;
  const rb = t.randomBursts as Raw;
  const profile: TrafficProfile = {
    startMs: when(t.start as string, 'start', ['traffic', 'start'], 0),
    weight: t.weight as number,
    requestsPerMinute: t.requestsPerMinute as number,
    growthPercentPerMonth: t.growthPercentPerMonth as number,
    daily: { amplitudePercent: daily.amplitudePercent as number, peakHourUtc: daily.peakHourUtc as number },
    weekendFactor: (t.weekly as Raw).weekendFactor as number,
    bursts,
    randomBursts: { perMonth: rb.perMonth as number, minutes: rb.minutes as number, factor: rb.factor as number },
    mix,
  };
  if (profile.startMs % DAY_MS !== 0) problems.push(`${where(['traffic', 'start'])}: start on a whole day (00:00 UTC), so days and months line up in the output`);

  const estateRaw = (value.estate ?? {}) as Raw;
  const estate: EstateSpec = {
    replicas: (estateRaw.replicas as number | undefined) ?? 1,
    defaults: { ...BUILT_IN_BEHAVIOUR, ...behaviourOf((estateRaw.defaults ?? {}) as Raw) },
    deployments: ((estateRaw.deployments as Raw[] | undefined) ?? []).map((d) => ({
      id: d.id as string,
      ...(d.concurrency !== undefined ? { concurrency: d.concurrency as number } : {}),
      ...(d.tokensPerMinute !== undefined ? { tokensPerMinute: d.tokensPerMinute as number } : {}),
      ...behaviourOf(d),
    })),
  };
  const events = ((value.events as Raw[] | undefined) ?? []).map((e, i): SimEvent => {
    const kind = e.kind as SimEvent['kind'];
    if (kind === 'crunch' && e.capacityPercent === undefined) problems.push(`${where(['events', i])}: a crunch needs capacityPercent (the capacity left)`);
    if (kind === 'slowdown' && e.latencyFactor === undefined) problems.push(`${where(['events', i])}: a slowdown needs latencyFactor`);
    const startMs = when(e.start as string, 'start', ['events', i, 'start'], 0);
    const endMs = when(e.end as string, 'end', ['events', i, 'end'], 0);
    if (endMs <= startMs) problems.push(`${where(['events', i, 'end'])}: the event ends before it starts`);
    return { kind, deployments: Object.freeze([...(e.deployments as string[])]), startMs, endMs, failure: e.failure as FailureKind, capacityPercent: (e.capacityPercent as number | undefined) ?? 100, latencyFactor: (e.latencyFactor as number | undefined) ?? 1, ...(e.note !== undefined ? { note: e.note as string } : {}) };
  });
  if (problems.length) throw new ConfigError(problems);
  const initial = (value.initial ?? {}) as Raw;
  return { file, profile, initialCommitmentSpend: (initial.commitmentSpendUsd ?? {}) as Record<string, number>, estate, events, where };
}

/** Checks the file's names against the estate: every deployment and model it names must exist. */
export function checkTrafficReferences(tf: TrafficFile, estate: { deployments: readonly string[]; models: readonly string[]; commitments: readonly string[] }): void {
  const problems: string[] = [];
  const known = (kind: string, name: string, options: readonly string[], path: (string | number)[]): void => {
    if (options.includes(name)) return;
    const hint = suggest(name, [...options]);
    problems.push(`${tf.where(path)}: unknown ${kind} "${name}"${hint ? `; did you mean "${hint}"?` : `; known: ${options.join(', ')}`}`);
  };
  tf.profile.mix.forEach((m, i) => known('model', m.model, estate.models, ['traffic', 'mix', i, 'model']));
  tf.estate.deployments.forEach((d, i) => known('deployment', d.id, estate.deployments, ['estate', 'deployments', i, 'id']));
  tf.events.forEach((e, i) => e.deployments.forEach((id, j) => known('deployment', id, estate.deployments, ['events', i, 'deployments', j])));
  Object.keys(tf.initialCommitmentSpend).forEach((ref) => known('commitment', ref, estate.commitments, ['initial', 'commitmentSpendUsd', ref]));
  if (problems.length) throw new ConfigError(problems);
}
