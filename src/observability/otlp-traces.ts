// OpenTelemetry traces over OTLP/HTTP (JSON encoding), without the SDK on the hot path: one
// span per request and one child span per upstream attempt, named and attributed by the GenAI
// semantic conventions (gen_ai.operation.name, gen_ai.request.model, gen_ai.usage.*). Spans are
// batched and posted off the request path; an unreachable collector drops batches, never blocks.

import { randomBytes } from 'node:crypto';
import type { AttemptTrace } from '../proxy/ports.js';
import type { Logger } from './logger.js';

interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: { key: string; value: Record<string, unknown> }[];
  status: { code: number; message?: string };
}

const SPAN_KIND_SERVER = 2;
const SPAN_KIND_CLIENT = 3;
const nanos = (ms: number): string => `${BigInt(Math.round(ms * 1000)) * 1000n}`;
const attr = (key: string, v: string | number | boolean | undefined | null): Span['attributes'] =>
  v === undefined || v === null ? [] : [{ key, value: typeof v === 'string' ? { stringValue: v } : typeof v === 'boolean' ? { boolValue: v } : Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v } }];

export interface RequestSpan {
  requestId: string;
  model: string;
  stream: boolean;
  startedAt: number;
  endedAt: number;
  status: number;
  attempts: AttemptTrace[];
  /** Deployment id → provider name, for gen_ai.system. */
  providerOf: (deploymentId: string) => string | undefined;
}

export class OtlpTraceExporter {
  private queue: Span[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly endpoint: string,
    private readonly serviceName: string,
    private readonly log: Logger,
    private readonly flushMs = 1_000,
    private readonly maxQueue = 10_000,
  ) {}

  record(r: RequestSpan): void {
    const traceId = randomBytes(16).toString('hex');
    const root = randomBytes(8).toString('hex');
    const spans: Span[] = [
      {
        traceId,
        spanId: root,
        name: `chat ${r.model}`,
        kind: SPAN_KIND_SERVER,
        startTimeUnixNano: nanos(r.startedAt),
        endTimeUnixNano: nanos(r.endedAt),
        attributes: [...attr('gen_ai.operation.name', 'chat'), ...attr('gen_ai.request.model', r.model), ...attr('treaty.request_id', r.requestId), ...attr('http.response.status_code', r.status), ...attr('treaty.attempts', r.attempts.length), ...attr('gen_ai.request.stream', r.stream)],
        status: { code: r.status < 400 ? 1 : 2 },
      },
    ];
    for (const a of r.attempts) {
      spans.push({
        traceId,
        spanId: randomBytes(8).toString('hex'),
        parentSpanId: root,
        name: `chat ${a.deploymentId}`,
        kind: SPAN_KIND_CLIENT,
        startTimeUnixNano: nanos(a.startedAt),
        endTimeUnixNano: nanos(a.endedAt ?? r.endedAt),
        attributes: [
          ...attr('gen_ai.operation.name', 'chat'),
          ...attr('gen_ai.system', r.providerOf(a.deploymentId)),
          ...attr('gen_ai.request.model', a.model),
          ...attr('treaty.deployment', a.deploymentId),
          ...attr('treaty.attempt', a.attemptNo),
          ...attr('treaty.outcome', a.outcome),
          ...attr('gen_ai.usage.input_tokens', a.usage?.promptTokens),
          ...attr('gen_ai.usage.output_tokens', a.usage?.completionTokens),
          ...attr('error.type', a.failure?.kind),
          ...attr('http.response.status_code', a.status),
        ],
        status: { code: a.outcome === 'ok' ? 1 : 2, ...(a.failure ? { message: a.failure.kind } : {}) },
      });
    }
    // Bounded: under a dead collector the oldest spans go first, memory does not grow.
    if (this.queue.length + spans.length > this.maxQueue) this.queue.splice(0, spans.length);
    this.queue.push(...spans);
    this.timer ??= setTimeout(() => void this.flush(), this.flushMs).unref();
  }

  async flush(): Promise<void> {
    this.timer = undefined;
    await this.inFlight;
    if (!this.queue.length) return;
    const spans = this.queue;
    this.queue = [];
    const body = JSON.stringify({
      resourceSpans: [{ resource: { attributes: attr('service.name', this.serviceName) }, scopeSpans: [{ scope: { name: 'treaty' }, spans }] }],
    });
    this.inFlight = fetch(this.endpoint, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(5_000) })
      .then(async (res) => {
        if (!res.ok) this.log.warn('OTLP export refused', { status: res.status, spans: spans.length });
        await res.body?.cancel();
      })
      .catch((err: unknown) => this.log.warn('OTLP export failed; spans dropped', { spans: spans.length, err }));
    await this.inFlight;
  }
}
