// The attempt loop. Picks a deployment, runs one attempt, and on a failure before the first
// downstream byte decides (from the one classification table) whether to try another
// deployment, the next fallback model, or to answer the client now.

import type { ChatRequest, ChatResponse, EmbeddingsRequest, EmbeddingsResponse, StreamEvent } from '../domain/chat.js';
import type { Deployment, ModelPool } from '../domain/deployment.js';
import { GatewayError } from '../domain/errors.js';
import type { UpstreamFailure } from '../domain/upstream-failure.js';
import { requirementsOf, unmetRequirement } from '../policy/capabilities.js';
import { pickP2C } from '../routing/balancer.js';
import { policyFor } from '../routing/classification.js';
import { runAttempt, runUnaryAttempt } from './attempt.js';
import { finalError } from './final-error.js';
import type { AttemptTrace, ProxyPorts, RequestContext } from './ports.js';

export interface Served {
  deployment: Deployment;
  /** The public model that served (differs from the request's when a fallback served). */
  model: string;
  attempts: number;
  traces: AttemptTrace[];
}

export type ChatResult =
  | ({ kind: 'complete'; response: ChatResponse } & Served)
  | ({ kind: 'stream'; events: AsyncIterable<StreamEvent> } & Served);

export class ClientGoneError extends Error {}

export class ChatProxy {
  constructor(private readonly ports: ProxyPorts) {}

  async chat(req: ChatRequest, ctx: RequestContext): Promise<ChatResult> {
    const chain = this.modelChain(req.model);
    const needs = requirementsOf(req);
    const failures: UpstreamFailure[] = [];
    const traces: AttemptTrace[] = [];
    const tried = new Set<string>();
    const filtered: string[] = [];
    let encodeError: GatewayError | undefined;
    let minContextAbove = 0;

    for (const pool of chain) {
      while (traces.length < this.ports.maxAttempts) {
        if (ctx.signal.aborted) throw new ClientGoneError('client disconnected');
        const candidates = pool.deployments.filter((d) => {
          if (tried.has(d.id)) return false;
          const why = unmetRequirement(d, needs) ?? (d.capabilities.contextWindow <= minContextAbove ? 'context window too small for this prompt' : undefined);
          if (why) filtered.push(`${d.id}: ${why}`);
          return !why;
        });
        const dep = this.pick(candidates);
        if (!dep) break;
        tried.add(dep.id);
        const adapter = this.ports.adapter(dep);
        let httpReq;
        try {
          httpReq = await adapter.encodeChat({ ...req, model: pool.name }, { wantUsage: true });
        } catch (err) {
          // This deployment cannot express the request (e.g. a parameter its API lacks); another may.
          if (err instanceof GatewayError) {
            encodeError ??= err;
            continue;
          }
          throw err;
        }
        httpReq.headers['x-request-id'] = ctx.requestId;
        const trace: AttemptTrace = { requestId: ctx.requestId, attemptNo: traces.length + 1, deploymentId: dep.id, model: pool.name, stream: req.stream, startedAt: this.ports.now() };
        traces.push(trace);
        const r = await runAttempt(this.ports, dep, adapter, req, httpReq, ctx, trace);
        if (r.ok) {
          const served: Served = { deployment: dep, model: pool.name, attempts: traces.length, traces };
          return r.kind === 'complete' ? { kind: 'complete', response: r.response, ...served } : { kind: 'stream', events: r.events, ...served };
        }
        if (r.cancelled) throw new ClientGoneError('client disconnected');
        failures.push(r.failure);
        this.ports.log.warn('upstream attempt failed', { requestId: ctx.requestId, deployment: dep.id, attempt: trace.attemptNo, kind: r.failure.kind, status: r.failure.status, providerCode: r.failure.providerCode });
        const policy = policyFor(r.failure.kind);
        if (policy.action === 'stop') throw finalError(req.model, failures);
        if (policy.needsLargerContext) minContextAbove = Math.max(minContextAbove, dep.capabilities.contextWindow);
      }
    }
    if (failures.length === 0 && encodeError) throw encodeError;
    if (failures.length === 0 && filtered.length) {
      throw new GatewayError('TREATY_UNSUPPORTED_PARAMETER', `No deployment of model "${req.model}" can serve this request: ${[...new Set(filtered)].join('; ')}.`);
    }
    throw finalError(req.model, failures);
  }

  /** Embeddings: the same failover over deployments that serve embeddings; no streaming. */
  async embeddings(req: EmbeddingsRequest, ctx: RequestContext): Promise<{ response: EmbeddingsResponse } & Served> {
    const failures: UpstreamFailure[] = [];
    const traces: AttemptTrace[] = [];
    const tried = new Set<string>();
    for (const pool of this.modelChain(req.model)) {
      while (traces.length < this.ports.maxAttempts) {
        if (ctx.signal.aborted) throw new ClientGoneError('client disconnected');
        const dep = this.pick(pool.deployments.filter((d) => !tried.has(d.id) && d.capabilities.embeddings));
        if (!dep) break;
        tried.add(dep.id);
        const adapter = this.ports.adapter(dep);
        if (!adapter.encodeEmbeddings || !adapter.decodeEmbeddings) continue;
        const httpReq = await adapter.encodeEmbeddings(req);
        httpReq.headers['x-request-id'] = ctx.requestId;
        const trace: AttemptTrace = { requestId: ctx.requestId, attemptNo: traces.length + 1, deploymentId: dep.id, model: pool.name, stream: false, startedAt: this.ports.now() };
        traces.push(trace);
        const r = await runUnaryAttempt(this.ports, dep, httpReq, ctx, trace, (head, body) => adapter.decodeEmbeddings!(head, body), (head, body) => adapter.decodeError(head, body));
        if (r.ok) return { response: r.value, deployment: dep, model: pool.name, attempts: traces.length, traces };
        if (r.cancelled) throw new ClientGoneError('client disconnected');
        failures.push(r.failure);
        if (policyFor(r.failure.kind).action === 'stop') throw finalError(req.model, failures);
      }
    }
    if (failures.length === 0) throw new GatewayError('TREATY_UNSUPPORTED_PARAMETER', `Model "${req.model}" has no deployment that serves embeddings.`, { param: 'model' });
    throw finalError(req.model, failures);
  }

  /** The requested model's pool, then its fallbacks (and theirs), each once. */
  private modelChain(name: string): ModelPool[] {
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

  private pick(candidates: Deployment[]): Deployment | undefined {
    const withStats = candidates.map((d) => ({ id: d.id, weight: d.weight, ...this.ports.stats.view(d.id), dep: d }));
    return pickP2C(withStats, this.ports.random)?.dep;
  }
}
