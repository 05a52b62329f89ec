// The traffic file's schema (examples/traffic.yaml), in the config's strict schema language:
// unknown keys and bad values are errors with file:line:col, and the doc lines below are the
// reference in docs/simulator.md. Three sections: the traffic profile, how the simulated
// deployments behave (capacity, latency, errors), and events (outages, capacity crunches).

import type { FieldSpec } from '../config/schema-dsl.js';
import { DATE_HINT, DATE_PATTERN } from '../contracts/time.js';

const date = (doc: string, example: string, required = true): FieldSpec => ({ kind: 'string', doc, required, pattern: DATE_PATTERN, patternHint: DATE_HINT, example });
const ids = (doc: string): FieldSpec => ({ kind: 'list', doc, items: { kind: 'string', doc: 'A deployment id from treaty.yaml.' }, required: true, minItems: 1 });

const size = (doc: string, median: number, p95: number): FieldSpec => ({
  kind: 'object',
  doc: `${doc} Drawn from a log-normal with this median and 95th percentile.`,
  fields: {
    median: { kind: 'number', doc: 'Median size in tokens.', min: 1, default: median },
    p95: { kind: 'number', doc: '95th percentile in tokens (equal to median: every request the same size).', min: 1, default: p95 },
    max: { kind: 'number', doc: 'Hard cap in tokens.', integer: true, min: 1 },
  },
});

const latency: FieldSpec = {
  kind: 'object',
  doc: 'How long an attempt takes: firstTokenMs + completion tokens × msPerOutputToken, stretched by load and jittered.',
  fields: {
    firstTokenMs: { kind: 'number', doc: 'Time to the first token at light load.', min: 0, example: 400 },
    msPerOutputToken: { kind: 'number', doc: 'Time per completion token.', min: 0, example: 15 },
    jitterPercent: { kind: 'number', doc: 'Spread (log-normal sigma, in percent) around that.', min: 0, max: 200, example: 25 },
    loadPercentAtFull: { kind: 'number', doc: 'Extra latency when the deployment runs at its concurrency limit (grows with load squared).', min: 0, example: 50 },
  },
};

const behaviour = {
  latency,
  errorPercent: { kind: 'number', doc: 'Background rate of 5xx answers, in percent of attempts.', min: 0, max: 100 },
  overflow: { kind: 'enum', doc: 'What the deployment answers beyond its capacity: rate_limited (429) or overloaded (503).', values: ['rate_limited', 'overloaded'] },
  retryAfterMs: { kind: 'number', doc: 'retry-after hint sent with a 429 (absent: no hint, Treaty backs off on its own).', integer: true, min: 0 },
} satisfies Record<string, FieldSpec>;

const mixEntry: FieldSpec = {
  kind: 'object',
  doc: 'One slice of the traffic: who sends it, to which model, how big.',
  fields: {
    share: { kind: 'number', doc: 'Relative share of requests (the shares need not add up to 100).', required: true, min: 0, example: 40 },
    model: { kind: 'string', doc: 'Public model name asked for (a model in treaty.yaml).', required: true, example: 'frontier' },
    tenant: { kind: 'string', doc: 'Tenant id (traffic classes match on it).', example: 'acme' },
    key: { kind: 'string', doc: 'Virtual key id.', example: 'acme-batch' },
    tags: { kind: 'list', doc: 'Request tags.', items: { kind: 'string', doc: 'A tag.' } },
    trafficClass: { kind: 'string', doc: 'A class the tenant or key is assigned to (wins over match rules, as in the gateway).' },
    endpoint: { kind: 'enum', doc: 'chat completions or embeddings.', values: ['chat', 'embeddings'], default: 'chat' },
    tools: { kind: 'boolean', doc: 'Requests carry tools (only deployments with tools may serve).', default: false },
    vision: { kind: 'boolean', doc: 'Requests carry images.', default: false },
    jsonMode: { kind: 'boolean', doc: 'Requests ask for JSON mode.', default: false },
    promptTokens: size('Prompt size.', 800, 3000),
    completionTokens: size('Completion size (embeddings: ignored).', 250, 900),
    maxTokens: { kind: 'number', doc: 'The completion budget clients send (max_tokens); the policy prices requests at prompt + this. Absent: 256, as the gateway assumes.', integer: true, min: 1 },
    cachedPercent: { kind: 'number', doc: 'Share of prompt tokens served from the provider\'s cache (priced at usdPerMTokCachedIn).', min: 0, max: 100, default: 0 },
    from: date('This slice starts on this day (e.g. a model launch).', '2026-09-01', false),
    until: date('…and ends after this day (inclusive).', '2026-12-31', false),
  },
};

export const trafficFileSpec: Record<string, FieldSpec> = {
  traffic: {
    kind: 'object',
    doc: 'The generated traffic.',
    required: true,
    fields: {
      start: date('First day of the simulation (UTC); the virtual clock starts at 00:00.', '2026-01-01'),
      weight: { kind: 'number', doc: 'Real requests each simulated request stands for. Money, tokens and capacity are scaled by it; shares and availability are weighted by it.', integer: true, min: 1, default: 1, example: 100 },
      requestsPerMinute: { kind: 'number', doc: 'Real requests per minute at the start, averaged over a week (the cycles below average to 1).', required: true, min: 0, example: 400 },
      growthPercentPerMonth: { kind: 'number', doc: 'Compound growth per month (30.44 days).', min: -100, default: 0, example: 3 },
      daily: {
        kind: 'object',
        doc: 'Daily cycle: a cosine around the mean.',
        fields: {
          amplitudePercent: { kind: 'number', doc: 'Peak is this much above the mean, the trough as much below.', min: 0, max: 100, default: 0, example: 60 },
          peakHourUtc: { kind: 'number', doc: 'Hour of the peak (UTC, may be fractional).', min: 0, max: 24, default: 15 },
        },
      },
      weekly: {
        kind: 'object',
        doc: 'Weekly cycle.',
        fields: { weekendFactor: { kind: 'number', doc: 'Saturday and Sunday traffic relative to a weekday.', min: 0, default: 1, example: 0.5 } },
      },
      bursts: {
        kind: 'list',
        doc: 'Scheduled bursts (a launch, a batch job).',
        items: {
          kind: 'object',
          doc: 'One burst.',
          fields: {
            start: date('When it starts.', '2026-03-17T14:00Z'),
            minutes: { kind: 'number', doc: 'How long it lasts.', required: true, min: 1, example: 360 },
            factor: { kind: 'number', doc: 'Traffic is multiplied by this meanwhile.', required: true, min: 0, example: 3 },
            note: { kind: 'string', doc: 'Free text.' },
          },
        },
      },
      randomBursts: {
        kind: 'object',
        doc: 'Unscheduled bursts, placed by the seed.',
        fields: {
          perMonth: { kind: 'number', doc: 'How many per month on average.', min: 0, default: 0, example: 2 },
          minutes: { kind: 'number', doc: 'How long each lasts.', min: 1, default: 60 },
          factor: { kind: 'number', doc: 'Traffic multiplier meanwhile.', min: 0, default: 2 },
        },
      },
      mix: { kind: 'list', doc: 'What the traffic is made of.', items: mixEntry, required: true, minItems: 1 },
    },
  },
  initial: {
    kind: 'object',
    doc: 'State at the start of the simulation.',
    fields: {
      commitmentSpendUsd: { kind: 'map', doc: 'Effective USD already spent toward each commitment (`agreement/clause`). A commitment not listed starts at 0 if its term starts inside the simulation, else on plan (and the output says so).', values: { kind: 'number', doc: 'USD.', min: 0 } },
    },
  },
  estate: {
    kind: 'object',
    doc: 'How the simulated deployments behave. Prices, regions, accounts and pools come from treaty.yaml.',
    fields: {
      replicas: { kind: 'number', doc: 'Gateway replicas sharing the traffic: each sees 1/replicas of the requests in flight (the balancer\'s and the policy\'s outstanding).', integer: true, min: 1, default: 1 },
      defaults: { kind: 'object', doc: 'Behaviour of every deployment not overridden below.', fields: behaviour },
      deployments: {
        kind: 'list',
        doc: 'Per-deployment capacity and behaviour. Capacity not given is unlimited, except on a reserved deployment, which takes its reservation\'s capacity.',
        items: {
          kind: 'object',
          doc: 'One deployment.',
          fields: {
            id: { kind: 'string', doc: 'Deployment id from treaty.yaml.', required: true },
            concurrency: { kind: 'number', doc: 'Real requests in flight it accepts.', integer: true, min: 1, example: 60 },
            tokensPerMinute: { kind: 'number', doc: 'Real prompt + completion tokens per minute it accepts.', integer: true, min: 1, example: 400000 },
            ...behaviour,
          },
        },
      },
    },
  },
  events: {
    kind: 'list',
    doc: 'Things that happen to deployments: outages, capacity crunches, slowdowns.',
    items: {
      kind: 'object',
      doc: 'One event.',
      fields: {
        kind: { kind: 'enum', doc: 'outage: every attempt fails; crunch: capacity drops; slowdown: latency grows.', values: ['outage', 'crunch', 'slowdown'], required: true },
        deployments: ids('The deployments it hits.'),
        start: date('When it starts (UTC).', '2026-03-10T08:00Z'),
        end: date('When it ends (a bare date: the end of that day).', '2026-03-11'),
        failure: { kind: 'enum', doc: 'outage: how attempts fail.', values: ['server_error', 'connect', 'timeout', 'overloaded', 'rate_limited'], default: 'server_error' },
        capacityPercent: { kind: 'number', doc: 'crunch: capacity left, in percent.', min: 0, max: 100 },
        latencyFactor: { kind: 'number', doc: 'slowdown: latency multiplied by this.', min: 1 },
        note: { kind: 'string', doc: 'Free text.' },
      },
    },
  },
};
