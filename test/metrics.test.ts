// Prometheus /metrics on the admin listener: parses as the text format, and its numbers agree
// with the ledger.

// @ts-expect-error — the parser ships no type declarations.
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { connect, type Socket } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOYMENTS, KEYS, startHarness, type Harness } from './support/harness.js';

interface Family { name: string; type: string; metrics: { labels?: Record<string, string>; value?: string; buckets?: Record<string, string>; count?: string }[] }

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ resilienceYaml: '  backoffBaseMs: 1\n  backoffMaxMs: 2' });
});
afterAll(async () => h?.close());

async function scrape(key = KEYS.admin): Promise<{ status: number; families: Family[] }> {
  const r = await request(`${h.gateway.adminUrl}/metrics`, { headers: { authorization: `Bearer ${key}` } });
  const text = await r.body.text();
  return { status: r.statusCode, families: r.statusCode === 200 ? (parsePrometheusTextFormat(text) as Family[]) : [] };
}

describe('/metrics', () => {
  it('needs the admin key', async () => {
    expect((await scrape(KEYS.client)).status).toBe(403);
  });

  it('parses, and attempts, tokens and cost per deployment agree with the ledger', async () => {
    const d = DEPLOYMENTS.vllm!;
    h.estate.engine.setFaults(d.provider, d.name, [{ fault: 'server_error', count: 2 }]);
    for (let i = 0; i < 8; i++) {
      const r = await request(`${h.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${KEYS.client}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: i % 2 ? 'only-vllm' : 'only-bedrock', stream: i % 3 === 0, messages: [{ role: 'user', content: `metrics ${i}` }] }) });
      await r.body.dump();
    }
    await new Promise((r) => setTimeout(r, 50));
    const { status, families } = await scrape();
    expect(status).toBe(200);
    const fam = (n: string) => families.find((f) => f.name === n)!;
    const rows = await h.gateway.ledger.listAttempts({ limit: 10_000 });
    const sum = (n: string, pred: (l: Record<string, string>) => boolean) => fam(n).metrics.filter((m) => pred(m.labels ?? {})).reduce((s, m) => s + Number(m.value), 0);

    for (const dep of ['vllm', 'br-a']) {
      const mine = rows.filter((r) => r.deploymentId === dep);
      expect(sum('treaty_upstream_attempts_total', (l) => l.deployment === dep)).toBe(mine.length);
      expect(sum('treaty_upstream_attempts_total', (l) => l.deployment === dep && l.outcome === 'failed')).toBe(mine.filter((r) => r.status === 'failed').length);
      expect(sum('treaty_tokens_total', (l) => l.deployment === dep && l.kind === 'completion')).toBe(mine.reduce((s, r) => s + (r.completionTokens ?? 0), 0));
      expect(sum('treaty_cost_usd_total', (l) => l.deployment === dep)).toBeCloseTo(mine.reduce((s, r) => s + (r.effectiveCostUsd ?? 0), 0), 9);
    }
    expect(sum('treaty_requests_total', (l) => l.model === 'only-vllm' && l.status_class === '2xx')).toBe(4);
    expect(fam('treaty_upstream_attempt_duration_seconds').type).toBe('HISTOGRAM');
    expect(fam('treaty_upstream_time_to_first_byte_seconds').metrics.length).toBeGreaterThan(0);
    // The ledger's write path: every attempt's write-ahead row and finish committed, none waiting.
    const ledger = (await scrape()).families;
    const one = (n: string): number => Number(ledger.find((f) => f.name === n)!.metrics[0]!.value);
    expect(one('treaty_ledger_attempt_writes_total')).toBe(2 * rows.length);
    expect(one('treaty_ledger_attempt_writes_waiting')).toBe(0);
    expect(one('treaty_ledger_attempt_write_failures_total')).toBe(0);
    expect(one('treaty_ledger_transactions_total')).toBeGreaterThan(0);
    // Bounded cardinality: the deployment label only ever takes configured ids.
    const deps = new Set(fam('treaty_upstream_attempts_total').metrics.map((m) => m.labels!.deployment));
    for (const x of deps) expect(Object.keys(DEPLOYMENTS)).toContain(x);
  });

  it('keeps the process metrics, and reports event-loop lag from the overload sampler instead of a timer of its own', async () => {
    const names = new Set((await scrape()).families.map((f) => f.name));
    for (const n of ['treaty_process_process_cpu_user_seconds_total', 'treaty_process_process_resident_memory_bytes', 'treaty_process_process_start_time_seconds', 'treaty_process_nodejs_heap_space_size_used_bytes', 'treaty_process_nodejs_version_info', 'treaty_process_nodejs_gc_duration_seconds', 'treaty_process_process_open_fds']) {
      expect(names).toContain(n);
    }
    // prom-client's lag histogram woke the process 10 times a second, busy or idle.
    expect([...names].filter((n) => n.includes('eventloop'))).toEqual([]);
    const r = await request(`${h.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${KEYS.client}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'only-vllm', messages: [{ role: 'user', content: 'lag' }] }) });
    await r.body.dump();
    const fams = (await scrape()).families;
    const value = (n: string): number => Number(fams.find((f) => f.name === n)!.metrics[0]!.value);
    expect(value('treaty_event_loop_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(value('treaty_event_loop_lag_max_seconds')).toBeGreaterThanOrEqual(0);
    expect(value('treaty_event_loop_lag_max_seconds')).toBeLessThan(5);
  });

  it('counts requests refused at server.maxInFlight, and shows what is in progress', async () => {
    const g = await startHarness({ serverYaml: '  maxInFlight: 2' });
    try {
      const d = DEPLOYMENTS.vllm!;
      g.estate.engine.patchDeployment(d.provider, d.name, { ttftMs: 300 });
      const call = () => request(`${g.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'only-vllm', messages: [{ role: 'user', content: 'x' }] }), headers: { authorization: `Bearer ${KEYS.client}`, 'content-type': 'application/json' } });
      // Answered once the test is done; a failed assertion closes the harness under them (caught, so that is not a second error).
      const slow = [call(), call()].map((p) => p.then((r) => r.body.dump()).catch(() => undefined));
      await new Promise((r) => setTimeout(r, 100));
      for (let i = 0; i < 3; i++) {
        const r = await call();
        expect(r.statusCode).toBe(503);
        await r.body.dump();
      }
      const r = await request(`${g.gateway.adminUrl}/metrics`, { headers: { authorization: `Bearer ${KEYS.admin}` } });
      const families = parsePrometheusTextFormat(await r.body.text()) as Family[];
      const fam = (n: string) => families.find((f) => f.name === n);
      const shed = (reason: string) => Number(fam('treaty_requests_shed_total')!.metrics.find((m) => m.labels?.reason === reason)?.value);
      expect(fam('treaty_requests_shed_total')!.type).toBe('COUNTER');
      expect(shed('in_flight_cap')).toBe(3);
      expect(shed('overloaded')).toBe(0);
      expect(Number(fam('treaty_requests_in_progress')!.metrics[0]!.value)).toBe(2);
      expect(Number(fam('treaty_overload_shedding')!.metrics[0]!.value)).toBe(0);
      // Not shedding: no limit on what may be in progress.
      expect(fam('treaty_overload_admit_limit')!.metrics[0]!.value).toBe('+Inf');
      // Nothing unreadable was sent yet: the family is there, with no series.
      expect(fam('treaty_requests_unreadable_total')?.metrics ?? []).toEqual([]);
      await Promise.all(slow);
    } finally {
      await g.close();
    }
  });

  it('counts requests the listener could not read, by status', async () => {
    const g = await startHarness();
    try {
      const { hostname, port } = new URL(g.url);
      const send = (bytes: string): Promise<void> =>
        new Promise((resolve) => {
          const socket = connect(Number(port), hostname, () => socket.end(bytes));
          socket.on('data', () => undefined);
          socket.on('close', () => resolve());
        });
      await send('GET / HTTP/1.1\r\nBad Header: x\r\n\r\n');
      await send('GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n');
      await send(`GET / HTTP/1.1\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
      const r = await request(`${g.gateway.adminUrl}/metrics`, { headers: { authorization: `Bearer ${KEYS.admin}` } });
      const families = parsePrometheusTextFormat(await r.body.text()) as Family[];
      const fam = families.find((f) => f.name === 'treaty_requests_unreadable_total')!;
      expect(fam.type).toBe('COUNTER');
      const by = Object.fromEntries(fam.metrics.map((m) => [m.labels?.status, Number(m.value)]));
      expect(by).toEqual({ 400: 2, 431: 1 });
    } finally {
      await g.close();
    }
  });

  it('counts connections refused at server.maxConnections, and shows how many are open', async () => {
    const g = await startHarness({ serverYaml: '  maxConnections: 2' });
    const held: Socket[] = [];
    try {
      const { hostname, port } = new URL(g.url);
      const connectAnd = (bytes: string): Promise<{ socket: Socket; got: () => string; closed: Promise<void> }> =>
        new Promise((resolve) => {
          let got = '';
          const socket = connect(Number(port), hostname, () => {
            socket.write(bytes);
            resolve({ socket, got: () => got, closed });
          });
          socket.on('data', (d: Buffer) => (got += d.toString('latin1')));
          const closed = new Promise<void>((r) => socket.on('close', () => r()));
        });
      // Two keep-alive connections, each answered once so the listener holds both.
      for (let i = 0; i < 2; i++) {
        const c = await connectAnd('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
        while (!c.got().includes('\r\n\r\n')) await new Promise((r) => setImmediate(r));
        held.push(c.socket);
      }
      for (let i = 0; i < 3; i++) {
        const c = await connectAnd('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
        await c.closed;
        expect(c.got()).toMatch(/^HTTP\/1\.1 503 /);
      }
      const r = await request(`${g.gateway.adminUrl}/metrics`, { headers: { authorization: `Bearer ${KEYS.admin}` } });
      const families = parsePrometheusTextFormat(await r.body.text()) as Family[];
      const fam = (n: string) => families.find((f) => f.name === n);
      expect(fam('treaty_connections_refused_total')!.type).toBe('COUNTER');
      expect(Number(fam('treaty_connections_refused_total')!.metrics[0]!.value)).toBe(3);
      expect(Number(fam('treaty_connections_open')!.metrics[0]!.value)).toBe(2);
    } finally {
      for (const s of held) s.destroy();
      await g.close();
    }
  });
});
