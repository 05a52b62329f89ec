// The attempt loop. Picks a deployment, runs one attempt, and on a failure before the first
// downstream byte decides (from the one classification table) whether to try another
// deployment, the same one after a wait, the next fallback model, or to answer the client.

import type { ChatRequest, ChatResponse, EmbeddingsRequest, EmbeddingsResponse, StreamEvent } from '../domain/chat.js';
import type { Deployment, ModelPool } from '../domain/deployment.js';
import { GatewayError } from '../domain/errors.js';
import type { UpstreamFailure } from '../domain/upstream-failure.js';
import { requirementsOf, unmetRequirement } from '../policy/capabilities.js';
import { policyFor } from '../routing/classification.js';
import type { BoundAdapter, EncodeOptions, UpstreamHttpRequest } from '../upstreams/adapter.js';
import { runAttempt, runUnaryAttempt, type Failed, type Settle } from './attempt.js';
import { spliceContinuation } from './continuation.js';
import { allOutError, finalError } from './final-error.js';
import type { AttemptTrace, ProxyPorts, RequestContext, RouteFacts, RouteVerdict } from './ports.js';
import { chooseDeployment, type Exhausted } from './selection.js';

export interface Served {
  deployment: Deployment;
  /** The contract decision that picked it, in one line (absent without contracts). */
  decision?: string;
  /** The public model that served (differs from the request's when a fallback served). */
  model: string;
  attempts: number;
  traces: AttemptTrace[];
}

export type ChatResult =
  | ({ kind: 'complete'; response: ChatResponse } & Served)
  | ({ kind: 'stream'; events: AsyncIterable<StreamEvent> } & Served);

export class ClientGoneError extends Error {}

/** What every chat attempt asks of the encoder (the ledger needs usage even when the client did not). */
const ENCODE: EncodeOptions = Object.freeze({ wantUsage: true });

/** Each pool's member ids, computed once (pools are frozen config). */
const memberIds = new WeakMap<ModelPool, readonly string[]>();
function membersOf(pool: ModelPool): readonly string[] {
  let ids = memberIds.get(pool);
  if (!ids) memberIds.set(pool, (ids = pool.deployments.map((d) => d.id)));
  return ids;
}

function defaultFacts(ctx: RequestContext): RouteFacts {
  return { tenantId: ctx.tenantId, keyId: ctx.keyId, tags: [], trafficClass: null, promptTokens: ctx.estimatedPromptTokens, completionTokens: 256 };
}

type Outcome<T> = { ok: true; value: T } | Failed;

interface AttemptSpec<T> {
  /** Why a deployment cannot serve this request, or undefined. */
  unfit(dep: Deployment): string | undefined;
  encode(adapter: BoundAdapter, pool: ModelPool): Promise<UpstreamHttpRequest>;
  run(dep: Deployment, adapter: BoundAdapter, httpReq: UpstreamHttpRequest, trace: AttemptTrace, settle: Settle): Promise<Outcome<T>>;
  onFailure?(dep: Deployment, failure: UpstreamFailure): void;
}

export class ChatProxy {
  /** Each model's failover chain (only models that exist: an unknown one throws first). */
  private readonly chains = new Map<string, readonly ModelPool[]>();

  constructor(private readonly ports: ProxyPorts) {}

  async chat(req: ChatRequest, ctx: RequestContext, resuming?: { traces: AttemptTrace[]; unfit: (d: Deployment) => string | undefined }): Promise<ChatResult> {
    const traces = resuming?.traces ?? [];
    const extraUnfit = resuming?.unfit;
    const needs = requirementsOf(req);
    let minContextAbove = 0;
    type R = { kind: 'complete'; response: ChatResponse } | { kind: 'stream'; events: AsyncIterable<StreamEvent> };
    const out = await this.failover<R>(req.model, req.stream, ctx, traces, {
      unfit: (d) => extraUnfit?.(d) ?? unmetRequirement(d, needs) ?? (d.capabilities.contextWindow <= minContextAbove ? 'context window too small for this prompt' : undefined),
      // A fallback model's attempt carries that model's name; the first pool's needs no copy.
      encode: (adapter, pool) => adapter.encodeChat(pool.name === req.model ? req : { ...req, model: pool.name }, ENCODE),
      run: async (dep, adapter, httpReq, trace, settle) => {
        const r = await runAttempt(this.ports, dep, adapter, req, httpReq, ctx, trace, settle);
        if (!r.ok) return r;
        return { ok: true, value: r.kind === 'complete' ? { kind: 'complete', response: r.response } : { kind: 'stream', events: r.events } };
      },
      onFailure: (dep, f) => {
        if (policyFor(f.kind).needsLargerContext) minContextAbove = Math.max(minContextAbove, dep.capabilities.contextWindow);
      },
    });
    const { value, served } = out;
    if (value.kind === 'complete') return { kind: 'complete', response: value.response, ...served };
    const first = this.ports.model(req.model);
    // A continuation is not itself continued: its prefill would lose the first part.
    if (first?.continueStreams && !resuming) {
      const broken = served.deployment.id;
      const events = spliceContinuation(value.events, (prefill) => this.resume(req, prefill, broken, ctx, served.traces));
      return { kind: 'stream', events, ...served };
    }
    return { kind: 'stream', events: value.events, ...served };
  }

  /** A continuation of a broken stream: the same request plus the text so far, on a prefill-capable deployment. */
  private async resume(req: ChatRequest, prefill: string, broken: string, ctx: RequestContext, traces: AttemptTrace[]): Promise<AsyncIterable<StreamEvent> | undefined> {
    // Providers reject a prefill that ends in whitespace; the continuation supplies it.
    const prefilled: ChatRequest = { ...req, messages: [...req.messages, { role: 'assistant', content: prefill.trimEnd() }] };
    this.ports.log.info('resuming a broken stream', { requestId: ctx.requestId, broken, chars: prefill.length });
    const r = await this.chat(prefilled, ctx, { traces, unfit: (d) => (d.id === broken ? 'its stream just broke' : d.capabilities.prefill ? undefined : 'does not support prefill') });
    return r.kind === 'stream' ? r.events : undefined;
  }

  async embeddings(req: EmbeddingsRequest, ctx: RequestContext): Promise<{ response: EmbeddingsResponse } & Served> {
    const out = await this.failover<EmbeddingsResponse>(req.model, false, ctx, [], {
      unfit: (d) => (d.capabilities.embeddings ? undefined : 'does not serve embeddings'),
      encode: (adapter) => {
        if (!adapter.encodeEmbeddings) throw new GatewayError('TREATY_UNSUPPORTED_PARAMETER', 'this provider does not serve embeddings');
        return adapter.encodeEmbeddings(req);
      },
      run: (dep, adapter, httpReq, trace, settle) =>
        runUnaryAttempt(this.ports, dep, httpReq, ctx, trace, (h, b) => adapter.decodeEmbeddings!(h, b), (h, b) => adapter.decodeError(h, b), settle),
    });
    return { response: out.value, ...out.served };
  }

  /** `traces` may already hold earlier attempts of the same request (a continuation): numbering goes on from them. */
  private async failover<T>(model: string, stream: boolean, ctx: RequestContext, traces: AttemptTrace[], spec: AttemptSpec<T>): Promise<{ value: T; served: Served }> {
    const { ports } = this;
    const chain = this.modelChain(model);
    const failures: UpstreamFailure[] = [];
    const before = traces.length;
    /** Deployments this request must not use again (silent, wrong credentials, too small…); made on the first. */
    let excluded: Set<string> | undefined;
    /** Attempts per deployment; its keys are also what the contracts take as tried here. */
    const tries = new Map<string, number>();
    /** Why deployments could not serve it (for the error when none could); made on the first. */
    let unfit: Set<string> | undefined;
    let encodeError: GatewayError | undefined;
    let exhausted: Exhausted | undefined;
    let budgetDenied = false;
    ports.budget.requestStarted();
    try {
      chain: for (const pool of chain) {
        const members = membersOf(pool);
        for (;;) {
          if (traces.length - before >= ports.maxAttempts) break chain;
          if (ctx.signal.aborted) throw new ClientGoneError('client disconnected');
          const eligible: Deployment[] = [];
          for (const d of pool.deployments) {
            if (excluded?.has(d.id)) continue;
            const why = spec.unfit(d);
            if (why) (unfit ??= new Set()).add(`${d.id}: ${why}`);
            else eligible.push(d);
          }
          // The contracts filter and rank at every hop: first try, retries, fallbacks, continuations.
          if (ports.governance && ctx.pinned === undefined) ctx.pinned = ports.governance.pin() ?? null;
          const verdict = ports.governance?.route(ctx.pinned, pool.name, ctx.facts ?? defaultFacts(ctx), eligible, ports.now(), tries);
          if (verdict?.blocked && !verdict.allowed.length) {
            throw new GatewayError('TREATY_CONTRACT_BLOCKED', `No deployment of "${pool.name}" may serve this request under the contracts in force: ${verdict.blocked}.`);
          }
          const choice = await chooseDeployment(ports, verdict ? verdict.allowed : eligible, tries, ctx, verdict?.preferred);
          if (choice.kind === 'none') {
            exhausted = choice.exhausted ?? exhausted;
            break;
          }
          const dep = choice.dep;
          const isRetry = traces.length > before;
          if (isRetry && !ports.budget.tryAcquire()) {
            budgetDenied = true;
            break chain;
          }
          try {
            const adapter = ports.adapter(dep);
            let httpReq: UpstreamHttpRequest;
            try {
              httpReq = await spec.encode(adapter, pool);
            } catch (err) {
              // This deployment cannot express the request (e.g. a parameter its API lacks); another may.
              if (!(err instanceof GatewayError)) throw err;
              encodeError ??= err;
              (excluded ??= new Set()).add(dep.id);
              continue;
            }
            httpReq.headers['x-request-id'] = ctx.requestId;
            const trace = newTrace(ctx, traces.length + 1, dep.id, pool.name, stream, ports.now(), verdict);
            traces.push(trace);
            tries.set(dep.id, (tries.get(dep.id) ?? 0) + 1);
            ports.health.onAttemptStart(dep.id, ports.now());
            const r = await spec.run(dep, adapter, httpReq, trace, this.settler(dep.id, members));
            if (r.ok) {
              const served: Served = { deployment: dep, model: pool.name, attempts: traces.length - before, traces };
              if (verdict) served.decision = verdict.summary;
              return { value: r.value, served };
            }
            if (r.cancelled) throw new ClientGoneError('client disconnected');
            failures.push(r.failure);
            ports.log.warn('upstream attempt failed', { requestId: ctx.requestId, deployment: dep.id, attempt: trace.attemptNo, kind: r.failure.kind, status: r.failure.status, providerCode: r.failure.providerCode });
            const policy = policyFor(r.failure.kind);
            if (policy.action === 'stop') throw finalError(model, failures);
            // A deployment that went silent, or cannot serve us at all, is not tried again for this request.
            if (policy.action === 'failover' || r.failure.kind === 'timeout') (excluded ??= new Set()).add(dep.id);
            spec.onFailure?.(dep, r.failure);
          } finally {
            if (isRetry) ports.budget.release();
          }
        }
      }
    } catch (err) {
      // The caller settles what every attempt cost, failed requests included.
      if (err instanceof GatewayError) err.options.traces = traces;
      throw err;
    } finally {
      ports.budget.requestEnded();
    }
    const fail = (err: GatewayError): never => {
      err.options.traces = traces;
      throw err;
    };
    if (failures.length === 0) {
      if (exhausted) fail(allOutError(model, exhausted, ports.now()));
      if (encodeError) fail(encodeError);
      if (unfit?.size) fail(new GatewayError('TREATY_UNSUPPORTED_PARAMETER', `No deployment of model "${model}" can serve this request: ${[...unfit].join('; ')}.`));
    }
    return fail(finalError(model, failures, { budgetDenied, exhausted, now: ports.now() }));
  }

  /** Feeds every attempt's end into the health tracker, including ends after the first byte. */
  private settler(id: string, members: readonly string[]): Settle {
    const { health, now, throttle } = this.ports;
    return (outcome, failure) => {
      if (outcome === 'cancelled') return;
      // For adaptive throttling, only load refusals count against the deployment.
      throttle.record(id, now(), !(failure && (failure.kind === 'rate_limited' || failure.kind === 'overloaded')));
      if (outcome === 'ok') return health.onSuccess(id);
      if (!failure) return;
      if (failure.kind === 'rate_limited') health.onRateLimited(id, failure.retryAfterMs, now());
      else if (policyFor(failure.kind).countsAgainstHealth) health.onFailure(id, failure.kind, now(), members);
    };
  }

  /** The requested model's pool, then its fallbacks (and theirs), each once; worked out once per model (pools are frozen config). */
  private modelChain(name: string): readonly ModelPool[] {
    let chain = this.chains.get(name);
    if (!chain) {
      chain = this.walkChain(name);
      this.chains.set(name, chain);
    }
    return chain;
  }

  private walkChain(name: string): ModelPool[] {
    const out: ModelPool[] = [];
    const seen = new Set<string>();
    const visit = (n: string): void => {
      if (seen.has(n)) return;
      seen.add(n);
      const pool = this.ports.model(n);
      if (!pool) return;
      out.push(pool);
      for (const f of pool.fallbacks) visit(f);
    };
    visit(name);
    if (out.length === 0) throw new GatewayError('TREATY_MODEL_NOT_FOUND', `The model \`${name}\` does not exist or you do not have access to it.`, { param: 'model' });
    return out;
  }
}

/**
 * A new attempt's trace, every field present from the start (undefined until known): one
 * object shape for all traces, so the writes as the attempt goes on stay cheap.
 */
function newTrace(ctx: RequestContext, attemptNo: number, deploymentId: string, model: string, stream: boolean, startedAt: number, verdict: RouteVerdict | undefined): AttemptTrace {
  return {
    requestId: ctx.requestId,
    clientRequestId: ctx.clientRequestId,
    attemptNo,
    tenantId: ctx.tenantId,
    keyId: ctx.keyId,
    estimatedPromptTokens: ctx.estimatedPromptTokens,
    decision: verdict?.record,
    contractVersion: verdict?.version,
    facts: ctx.facts,
    precisePromptTokens: ctx.precisePromptTokens,
    streamedChars: undefined,
    deploymentId,
    model,
    stream,
    startedAt,
    firstByteAt: undefined,
    firstTokenAt: undefined,
    endedAt: undefined,
    upstreamMs: undefined,
    outcome: undefined,
    failure: undefined,
    usage: undefined,
    status: undefined,
  };
}
