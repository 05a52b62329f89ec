// OpenTelemetry traces over OTLP/HTTP: a span per request and per attempt, with GenAI
// semantic-convention attributes, received by a collector on 127.0.0.1.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { DEPLOYMENTS, KEYS, startHarness } from './support/harness.js';

interface OtlpSpan { traceId: string; spanId: string; parentSpanId?: string; name: string; attributes: { key: string; value: Record<string, string | number | boolean> }[] }

describe('OTLP traces', () => {
  it('exports the request span and one child span per attempt, with gen_ai attributes', async () => {
    const received: OtlpSpan[] = [];
    const collector = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const doc = JSON.parse(body) as { resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] };
        for (const rs of doc.resourceSpans) for (const ss of rs.scopeSpans) received.push(...ss.spans);
        res.writeHead(200).end('{}');
      });
    });
    await new Promise<void>((r) => collector.listen(0, '127.0.0.1', () => r()));
    const port = (collector.address() as AddressInfo).port;
    const h = await startHarness({ extraYaml: `telemetry:\n  otlpEndpoint: "http://127.0.0.1:${port}/v1/traces"\n  serviceName: treaty-test`, resilienceYaml: '  backoffBaseMs: 1\n  backoffMaxMs: 2' });
    let treatyId = '';
    try {
      const d = DEPLOYMENTS.vllm!;
      h.estate.engine.setFaults(d.provider, d.name, [{ fault: 'server_error', count: 1 }]);
      const r = await request(`${h.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${KEYS.client}`, 'content-type': 'application/json', 'x-request-id': 'otel-1' }, body: JSON.stringify({ model: 'only-vllm', messages: [{ role: 'user', content: 'trace me' }] }) });
      treatyId = String(r.headers['x-treaty-request-id']);
      await r.body.dump();
    } finally {
      await h.close(); // flushes the exporter
      collector.close();
    }
    const val = (s: OtlpSpan, k: string) => { const v = s.attributes.find((a) => a.key === k)?.value; return v ? Object.values(v)[0] : undefined; };
    // Spans carry Treaty's own id (the ledger's key), which the response names.
    const root = received.find((s) => val(s, 'treaty.request_id') === treatyId)!;
    expect(root.name).toBe('chat only-vllm');
    expect(val(root, 'gen_ai.operation.name')).toBe('chat');
    const children = received.filter((s) => s.parentSpanId === root.spanId);
    expect(children).toHaveLength(2);
    expect(children.every((c) => c.traceId === root.traceId)).toBe(true);
    expect(children.map((c) => val(c, 'treaty.outcome'))).toEqual(['failed', 'ok']);
    expect(val(children[1]!, 'gen_ai.system')).toBe('openai-compatible');
    expect(Number(val(children[1]!, 'gen_ai.usage.output_tokens'))).toBeGreaterThan(0);
  });
});
