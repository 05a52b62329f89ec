// The treaty.yaml schema. Every field's doc line is the reference documentation
// (`treaty config docs` prints docs/config-reference.md from it), so write them for users.

import type { FieldSpec } from './schema-dsl.js';

const ID = /^[a-z0-9][a-z0-9._-]{0,62}$/i;
const ID_HINT = 'must be 1–63 letters, digits, ".", "_" or "-", starting with a letter or digit';

const capabilities: FieldSpec = {
  kind: 'object',
  doc: 'What the deployment can do; requests needing a capability it lacks never go to it.',
  fields: {
    contextWindow: { kind: 'number', doc: 'Context window in tokens (prompt + completion).', integer: true, min: 1, default: 128_000, example: 200000 },
    tools: { kind: 'boolean', doc: 'Accepts tool / function definitions.', default: true },
    vision: { kind: 'boolean', doc: 'Accepts image inputs.', default: false },
    jsonMode: { kind: 'boolean', doc: 'Honours response_format json_object / json_schema.', default: true },
    prefill: { kind: 'boolean', doc: 'Continues from a trailing assistant message (needed for mid-stream continuation).', default: false },
    chat: { kind: 'boolean', doc: 'Serves chat completions.', default: true },
    embeddings: { kind: 'boolean', doc: 'Serves embeddings.', default: false },
  },
};

const prices: FieldSpec = {
  kind: 'object',
  doc: 'List prices in US dollars per million tokens. Leave out when unknown: cost is then unreported, never zero.',
  fields: {
    usdPerMTokIn: { kind: 'number', doc: 'Prompt tokens.', min: 0, required: true, example: 2.5 },
    usdPerMTokOut: { kind: 'number', doc: 'Completion tokens.', min: 0, required: true, example: 10 },
    usdPerMTokCachedIn: { kind: 'number', doc: 'Cached prompt tokens (when the provider reports them).', min: 0, example: 1.25 },
  },
};

export const deploymentSpec: FieldSpec = {
  kind: 'object',
  doc: 'One concrete upstream endpoint.',
  fields: {
    id: { kind: 'string', doc: 'Treaty\'s name for this deployment, unique; appears in headers, logs and the ledger.', required: true, pattern: ID, patternHint: ID_HINT, example: 'partner-eastus-ptu' },
    provider: { kind: 'string', doc: 'Which adapter speaks to it; the providers and their options are listed at the end of this reference.', required: true, example: 'openai-compatible' },
    baseUrl: { kind: 'string', doc: 'Origin (and base path) of the endpoint, e.g. http://10.0.0.5:8000/v1 (a provider section below says what its endpoints look like).', required: true, pattern: /^https?:\/\/[^\s/]+/, patternHint: 'must be an http:// or https:// URL', example: 'http://127.0.0.1:8000/v1' },
    model: { kind: 'string', doc: 'The upstream model id or deployment name sent to the provider.', required: true, example: 'gpt-4o' },
    region: { kind: 'string', doc: 'Cloud region (used by residency rules and request signing).', default: 'unspecified', example: 'eastus' },
    account: { kind: 'string', doc: 'Cloud account / subscription this deployment bills to (used by contracts).', default: 'default', example: 'partner-main' },
    accelerator: { kind: 'string', doc: 'Accelerator family, for the estate view and contracts.', default: 'unspecified', example: 'nvidia-h100' },
    weight: { kind: 'number', doc: 'Relative share of traffic in its pool when all else is equal.', min: 0.001, default: 1, example: 2 },
    capabilities,
    prices,
    options: { kind: 'map', doc: 'Provider-specific settings (credentials, API version, …); see the provider\'s section below. Secrets are written env:VARIABLE_NAME.' },
  },
};

export const modelSpec: FieldSpec = {
  kind: 'object',
  doc: 'A public model name clients ask for, served by a pool of deployments.',
  fields: {
    name: { kind: 'string', doc: 'The name clients put in "model".', required: true, pattern: /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/, patternHint: 'must be 1–128 letters, digits or . _ : / -', example: 'frontier' },
    deployments: { kind: 'list', doc: 'Ids of the deployments in the pool.', items: { kind: 'string', doc: 'A deployment id.' }, required: true, minItems: 1 },
    fallbacks: { kind: 'list', doc: 'Other public models to try, in order, once this pool is exhausted.', items: { kind: 'string', doc: 'A model name.' } },
    ownedBy: { kind: 'string', doc: 'Shown as owned_by in GET /v1/models.', default: 'treaty' },
    continueStreams: { kind: 'boolean', doc: 'When a stream breaks after tokens were sent, resume it on a deployment that declares capabilities.prefill, sending the text so far as an assistant prefill and splicing the rest into the same stream. Off by default: the continuation comes from another model instance and may differ in style.', default: false },
  },
};

const overload: FieldSpec = {
  kind: 'object',
  doc: 'Overload shedding. When Treaty\'s event loop falls behind (more work arrives than one core can do), requests queue inside the process, every answer gets slower and clients time out. Instead, Treaty then answers the excess with an immediate 503 (code no_deployment_available, with Retry-After), before reading the body, authenticating or touching the ledger, and keeps serving what it can at full speed. Health endpoints (/healthz, /readyz) are never shed; requests already admitted and open streams are never cut. Shedding needs both signals: the event loop persistently behind (lagTargetMs, intervalMs) and enough requests in progress (minActive).',
  fields: {
    lagTargetMs: { kind: 'number', doc: 'Event-loop lag, in ms, above which Treaty counts as behind. Once shedding, a new request is admitted only while fewer than a limit are in progress; each lag sample over this target cuts the limit by a tenth, each under half of it raises the limit by a sixty-fourth (never below minActive), so the queue of admitted work settles at the depth that keeps the loop busy without falling behind. Lower keeps latency lower under overload; higher tolerates longer bursts. 0 turns shedding off (only maxInFlight then limits load).', integer: true, min: 0, max: 1000, default: 5 },
    intervalMs: { kind: 'number', doc: 'The lag is averaged over about this long (each sample capped at twice lagTargetMs): shedding starts when the average exceeds lagTargetMs, so one garbage-collection pause sheds nothing, and stops once, for this long, it has stayed under half of lagTargetMs and no request was refused (demand fits under the admission limit again). Shorter reacts faster to a sudden surge (less backlog is admitted before shedding starts).', integer: true, min: 10, max: 60_000, default: 50 },
    minActive: { kind: 'number', doc: 'Treaty never sheds while fewer requests than this are being worked on (received, answer not started; an open stream stops counting at its first token): so few form a short queue whatever the lag says (a lagging loop with little work is not helped by refusing it), and while shedding, these keep the loop busy. Fewer in progress under overload means each costs less (shorter-lived objects, less garbage collection).', integer: true, min: 0, default: 80 },
    startBudgetMs: { kind: 'number', doc: 'While shedding, admitted requests start (key check, body, policy, ledger, the upstream call) at most this many milliseconds\' worth per event-loop turn, in arrival order, and the loop then polls its sockets again: a turn stays short, so the excess is refused within milliseconds of arriving instead of waiting behind a whole turn of admitted work. How long the oldest admitted request has waited to start counts as event-loop lag. The CPU stays fully used, so capacity is unchanged. 0 starts every admitted request at once, in the turn it arrived.', integer: true, min: 0, max: 1000, default: 2 },
    retryAfterMs: { kind: 'number', doc: 'The wait suggested to shed clients, sent as Retry-After (seconds, rounded up) and retry-after-ms.', integer: true, min: 0, default: 1000 },
  },
};

export const configSpec: Record<string, FieldSpec> = {
  server: {
    kind: 'object',
    doc: 'The downstream (client-facing) listener.',
    fields: {
      host: { kind: 'string', doc: 'Interface to bind.', default: '127.0.0.1', example: '0.0.0.0' },
      port: { kind: 'number', doc: 'Port to bind (0 picks a free one).', integer: true, min: 0, max: 65535, default: 8080 },
      maxBodyBytes: { kind: 'number', doc: 'Largest request body accepted; larger gets 413.', integer: true, min: 1024, default: 4 * 1024 * 1024 },
      maxMessages: { kind: 'number', doc: 'Most messages accepted in one chat request.', integer: true, min: 1, default: 2048 },
      requestTimeoutMs: { kind: 'number', doc: 'Overall deadline for one request, all attempts included. Clients may shorten it with the x-treaty-timeout-ms header.', integer: true, min: 100, default: 600_000 },
      maxAttempts: { kind: 'number', doc: 'Most upstream attempts for one request.', integer: true, min: 1, max: 10, default: 3 },
      maxInFlight: { kind: 'number', doc: 'Most requests in progress at once (open streams included); beyond it Treaty answers 503 with Retry-After at once, before reading the body. A hard cap for memory; overload of the CPU is handled by server.overload.', integer: true, min: 1, default: 4096 },
      shutdownGraceMs: { kind: 'number', doc: 'On SIGTERM/SIGINT: how long requests in progress (streams included) may run to their end. Meanwhile /readyz answers 503 so balancers stop sending, the listener accepts no new connections, and a request arriving on a kept-alive connection is answered 503 with Connection: close. Past it the rest are cut (each attempt recorded as cancelled, its usage estimated), then the ledger is flushed and closed. Keep it under the orchestrator\'s own grace period (Kubernetes: 30 s by default).', integer: true, min: 0, default: 20_000 },
      maxConnections: { kind: 'number', doc: "Most client connections open at once. With Treaty's own listener a connection beyond it is answered 503 (Retry-After, Connection: close) before anything is read, then closed; node:http's server closes it without an answer. Either way it is counted in treaty_connections_refused_total. Each open connection holds a socket and its buffers whether or not it carries a request (about 6 KB of the process's memory for an idle keep-alive connection, measured: the default is ~90 MB, kernel socket buffers aside), so this bounds memory against a flood of idle or slow connections; raise it (and the process's open-file limit) for many clients that each keep a pool of keep-alive connections.", integer: true, min: 1, default: 16_384 },
      overload,
      upstreamConnections: { kind: 'number', doc: 'Most open connections to one upstream origin (keep-alive pool). Streams hold one each for their whole length.', integer: true, min: 1, default: 8192 },
      upstreamClient: { kind: 'enum', doc: "The HTTP/1.1 client for upstream calls. treaty: Treaty's own (about half undici's CPU per call; keep-alive per origin, TLS with session resumption, the server's Keep-Alive timeout honoured, no retries of its own). undici: the undici Pool, kept as a fallback should an upstream's HTTP trip the first.", values: ['treaty', 'undici'], default: 'treaty' },
      downstreamServer: { kind: 'enum', doc: "The HTTP/1.1 server clients connect to (plain HTTP either way: terminate TLS in front). treaty: Treaty's own (one socket write per whole answer, refusals from prebuilt bytes; strict parsing: CRLF only, no Content-Length with Transfer-Encoding, no line folding, malformed requests answered 400/417/431 and counted in treaty_requests_unreadable_total; a body that goes 66 s without a byte is cut). node: node:http's server, kept as a fallback should a client's HTTP trip the first.", values: ['treaty', 'node'], default: 'treaty' },
    },
  },
  admin: {
    kind: 'object',
    doc: 'The admin listener (dashboard, admin API, metrics). Off unless a key is set; bound to loopback by default.',
    fields: {
      host: { kind: 'string', doc: 'Interface to bind.', default: '127.0.0.1' },
      port: { kind: 'number', doc: 'Port to bind.', integer: true, min: 0, max: 65535, default: 8081 },
      key: { kind: 'string', doc: 'Admin key, written env:VARIABLE_NAME. There is no default key.', secret: true, example: 'env:TREATY_ADMIN_KEY' },
      simulationsDir: { kind: 'string', doc: 'Where the dashboard finds simulation runs: each `treaty simulate --out <this folder>/<name>` shows up as a run.', default: '.treaty/simulations' },
    },
  },
  auth: {
    kind: 'object',
    doc: 'Who may call the downstream API.',
    fields: {
      disabled: { kind: 'boolean', doc: 'Accept requests without a key. Only for local development.', default: false },
      keys: {
        kind: 'list',
        doc: 'Static virtual keys (tenants and keys issued through the admin API are stored in the ledger).',
        items: {
          kind: 'object',
          doc: 'One key.',
          fields: {
            name: { kind: 'string', doc: 'Label for logs (never the key itself).', required: true, example: 'demo' },
            key: { kind: 'string', doc: 'The key, written env:VARIABLE_NAME, or its hash written sha256:<hex>.', required: true, secret: true, example: 'env:TREATY_DEMO_KEY' },
          },
        },
      },
    },
  },
  resilience: {
    kind: 'object',
    doc: 'How Treaty waits, retries, times out and takes deployments out of rotation.',
    fields: {
      firstTokenTimeoutMs: { kind: 'number', doc: 'Streams: longest wait from sending to the first token; then the attempt fails over to another deployment (the silent one is not retried for this request).', integer: true, min: 50, default: 30_000 },
      idleTimeoutMs: { kind: 'number', doc: 'Streams: longest silence between two chunks once tokens flow; then the stream ends with an error event.', integer: true, min: 50, default: 30_000 },
      attemptTimeoutMs: { kind: 'number', doc: 'Non-streaming: longest one attempt may take before Treaty tries elsewhere (capped by the time left).', integer: true, min: 50, default: 120_000 },
      minAttemptMs: { kind: 'number', doc: 'No attempt starts with less time than this left before the deadline.', integer: true, min: 0, default: 250 },
      maxRetryWaitMs: { kind: 'number', doc: 'Longest Treaty will wait for a rate-limited deployment to cool down within a request, when no other deployment can serve; longer waits answer 429 with Retry-After at once.', integer: true, min: 0, default: 2_000 },
      backoffBaseMs: { kind: 'number', doc: 'Base of the capped exponential back-off (full jitter) before retrying a failed deployment.', integer: true, min: 1, default: 100 },
      backoffMaxMs: { kind: 'number', doc: 'Cap of that back-off.', integer: true, min: 1, default: 2_000 },
      retryBudgetPercent: { kind: 'number', doc: 'Retries in flight may be at most this percent of active requests (Envoy retry budget).', min: 0, max: 100, default: 20 },
      minRetryConcurrency: { kind: 'number', doc: 'Retries always allowed in flight, whatever the budget says.', integer: true, min: 0, default: 3 },
      consecutiveFailures: { kind: 'number', doc: 'Consecutive failures (5xx, resets, timeouts, broken streams) that eject a deployment.', integer: true, min: 1, default: 5 },
      ejectionBaseMs: { kind: 'number', doc: 'An ejection lasts this × the number of times the deployment has been ejected…', integer: true, min: 1, default: 30_000 },
      ejectionMaxMs: { kind: 'number', doc: '…capped at this…', integer: true, min: 1, default: 300_000 },
      ejectionJitterMs: { kind: 'number', doc: '…plus up to this much random time.', integer: true, min: 0, default: 1_000 },
      maxEjectionPercent: { kind: 'number', doc: 'Never eject more than this share of a pool (one member may always go).', min: 0, max: 100, default: 50 },
      panicThresholdPercent: { kind: 'number', doc: 'When fewer than this share of a pool is healthy, route to every member not rate-limited (0 turns panic routing off: when all are out, answer 503 at once with Retry-After).', min: 0, max: 100, default: 0 },
      throttleK: { kind: 'number', doc: 'Client-side adaptive throttling (SRE): reject locally with probability (requests − K·accepts)/(requests + 1) over the last minute, so a deployment refusing most work is mostly not sent it. Lower throttles harder; 0 turns it off.', min: 0, default: 2 },
      rateLimitCooldownMs: { kind: 'number', doc: 'Cooldown after a 429 that carried no retry hint; doubles per consecutive 429.', integer: true, min: 1, default: 1_000 },
    },
  },
  contracts: {
    kind: 'object',
    doc: 'The agreements routing must honour (docs/contracts.md). Without a file, routing ignores contracts.',
    fields: {
      enabled: { kind: 'boolean', doc: 'false switches the policy engine off: the file is neither loaded nor watched, routing is by health, weight and latency only, no x-treaty-decision header, attempts are priced at list price, and nothing is booked toward commitments, shares or reservations. Exclusivity, early-access and residency are then NOT enforced. For measuring what the contracts cost (the benchmark\'s policy-off row) or an emergency; never under live contracts.', default: true },
      file: { kind: 'string', doc: 'Path to the contracts YAML, relative to this config file.', example: 'contracts.yaml' },
      watchMs: { kind: 'number', doc: 'How often to check the file for changes and reload it (0: only on POST /admin/contracts/reload). An invalid new version is rejected; the old one stays in force.', integer: true, min: 0, default: 2_000 },
    },
  },
  ledger: {
    kind: 'object',
    doc: 'Where every attempt, tenant, key and budget is recorded.',
    fields: {
      url: { kind: 'string', doc: 'sqlite:<path> (embedded, the default), sqlite::memory: (tests), or postgres://user@host:5432/db (scale-out; write env:VARIABLE_NAME when it carries a password).', default: 'sqlite:.treaty/treaty.db', example: 'postgres://treaty@db:5432/treaty' },
      recordAttempts: { kind: 'boolean', doc: 'false stops writing upstream attempts to the ledger (no write-ahead row before each call, no final row after), which saves a row write and an update per attempt but gives up the exactly-once attempt record: spend and compliance reports, /admin/requests and the commitment burn-down miss this traffic (commitment pacing restarts from what the ledger holds at each start and contract reload), and an attempt cut short by a crash leaves no trace. Rate limits and budgets still hold (they settle from each attempt\'s computed cost, not from its row), and tenants, keys, budgets and Idempotency-Key still live in the ledger. For measuring what the ledger costs (the benchmark\'s ledger-off row); not for production.', default: true },
      durability: { kind: 'enum', doc: 'process: a committed row survives the gateway being killed (SQLite WAL, synchronous=NORMAL); power: it also survives power loss (synchronous=FULL; slower).', values: ['process', 'power'], default: 'process' },
      writeAheadJournal: { kind: 'boolean', doc: 'SQLite only: acknowledge each attempt write once it is appended to a journal file beside the database (one write() per event-loop turn, as durable as a commit at the chosen durability), and commit the rows to SQLite in batches (every ~50 ms or 128 writes), an attempt\'s begin held back until its finish (for at most 10 s) so that most attempts are stored as one row write; the next start replays what a crash left in the journal. Cuts the ledger\'s CPU per request by about half and takes the SQLite commit off the path before each upstream call. Other processes reading the file (treaty report, the admin CLI) see a finished attempt up to ~50 ms later and one still in progress only once it finishes or has run 10 s; the gateway\'s own admin API always sees its writes. false commits every write to SQLite before acknowledging it (one transaction per event-loop turn). The journal is locked to one gateway process: a second one on the same file refuses to start.', default: true },
    },
  },
  telemetry: {
    kind: 'object',
    doc: 'OpenTelemetry traces (GenAI semantic conventions): a span per request and one per upstream attempt.',
    fields: {
      otlpEndpoint: { kind: 'string', doc: 'OTLP/HTTP traces endpoint (JSON encoding); off when absent.', pattern: /^https?:\/\//, patternHint: 'must be an http:// or https:// URL', example: 'http://127.0.0.1:4318/v1/traces' },
      serviceName: { kind: 'string', doc: 'service.name on the exported resource.', default: 'treaty' },
    },
  },
  cluster: {
    kind: 'object',
    doc: 'Cluster mode (docs/cluster.md): replicas behind a load balancer share rate limits, deployment health (ejections, cooldowns), contract counters (commitment spend, preferred shares, reservation use), contract reloads and key revocations through Redis. Off unless redisUrl is set; needs a postgres:// ledger.',
    fields: {
      redisUrl: { kind: 'string', doc: 'redis://host:6379[/db] or rediss://… (write env:VARIABLE_NAME when it carries a password). Setting it turns cluster mode on; so does `treaty serve --cluster <url>`, which overrides it (the other settings here still apply).', pattern: /^(rediss?:\/\/|env:)/, patternHint: 'must be a redis:// or rediss:// URL, or env:VARIABLE_NAME', example: 'redis://10.0.0.7:6379' },
      keyPrefix: { kind: 'string', doc: 'Prefix of every Redis key and channel Treaty uses, so several clusters can share one Redis.', default: 'treaty:' },
      failMode: { kind: 'enum', doc: 'Rate limits while Redis is unreachable: each replica enforces its share of every cap on its own. open: ⌈cap ÷ N⌉ each, counted from zero (errs toward serving: the window in which Redis went away can admit up to about twice the cap). closed: ⌊cap ÷ N⌋ each, less its part of what Redis had already counted in the window (errs toward the limit; a cap below N refuses everything until Redis returns).', values: ['open', 'closed'], default: 'open' },
      replicas: { kind: 'number', doc: 'N for those shares. By default, the number of live replicas seen through heartbeats before Redis went away.', integer: true, min: 1, example: 3 },
      commandTimeoutMs: { kind: 'number', doc: 'Longest a Redis command may take. A late reply sends that check to the local share; two in a row (or a closed connection) put the replica on local state until Redis answers again. So a dead or hung Redis holds a request for at most two of these.', integer: true, min: 5, default: 100 },
      sweepIntervalMs: { kind: 'number', doc: 'How often one replica (holding a Redis lock) settles ledger rows left open by a replica that died.', integer: true, min: 100, default: 30_000 },
      contractSyncMs: { kind: 'number', doc: 'How often each replica sends its contract bookings (commitment spend, preferred-share counts, reservation use) to Redis and reads back the cluster totals the router ranks with; every replica sees every booking within about two of these.', integer: true, min: 50, max: 60_000, default: 500 },
      orphanMarginMs: { kind: 'number', doc: 'A ledger row still open this long after server.requestTimeoutMs belongs to a dead replica and is settled from its estimate (the margin covers write batching and clock skew).', integer: true, min: 0, default: 60_000 },
    },
  },
  logging: {
    kind: 'object',
    doc: 'Structured JSON logs on stdout.',
    fields: {
      level: { kind: 'enum', doc: 'Least severe level written.', values: ['debug', 'info', 'warn', 'error', 'silent'], default: 'info' },
    },
  },
  deployments: { kind: 'list', doc: 'Every upstream endpoint.', items: deploymentSpec, required: true, minItems: 1 },
  models: { kind: 'list', doc: 'Public model names and their pools.', items: modelSpec, required: true, minItems: 1 },
};
