// A load generator that spreads requests round robin over the replicas, as a load balancer
// would, and records what each client saw — including the ones whose replica died under them.

import { request } from 'undici';
import { CLIENT_KEY, type ClusterHarness } from './cluster-harness.js';

export interface Outcome {
  replica: number;
  /** HTTP status, or null when the connection failed. */
  status: number | null;
  requestId: string | undefined;
  deployment: string | undefined;
  decision: string | undefined;
  /** The error code in the body (OpenAI shape), for 4xx/5xx. */
  code: string | undefined;
  /** For a failed connection: undici's code and whether headers had arrived. */
  netError: { code: string; phase: 'connect-or-headers' | 'body' } | undefined;
  startedAt: number;
  ms: number;
}

export interface LoadSpec {
  /** Which replicas take requests (their indexes); round robin over them. */
  replicas: number[];
  total: number;
  concurrency: number;
  key?: string;
  stream?: (i: number) => boolean;
  maxTokens?: number;
  /** Stop early (e.g. when the test has seen what it needs). */
  stop?: () => boolean;
}

export async function runLoad(h: ClusterHarness, spec: LoadSpec): Promise<Outcome[]> {
  const out: Outcome[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < spec.total && !spec.stop?.(); i = next++) out.push(await one(h, spec, i));
  };
  await Promise.all(Array.from({ length: spec.concurrency }, worker));
  return out;
}

async function one(h: ClusterHarness, spec: LoadSpec, i: number): Promise<Outcome> {
  const replica = spec.replicas[i % spec.replicas.length]!;
  const startedAt = Date.now();
  const stream = spec.stream?.(i) ?? false;
  const base = { replica, requestId: undefined, deployment: undefined, decision: undefined, code: undefined, netError: undefined, startedAt };
  let status: number | null = null;
  let headers: Record<string, string | string[] | undefined> = {};
  try {
    const r = await request(`${h.replica(replica).url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${spec.key ?? CLIENT_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', stream, max_tokens: spec.maxTokens ?? 8, messages: [{ role: 'user', content: `load ${i}` }] }),
    });
    status = r.statusCode;
    headers = r.headers;
    const body = await r.body.text();
    const code = status >= 400 ? (JSON.parse(body) as { error?: { code?: string } }).error?.code : undefined;
    return { ...base, status, requestId: h1(headers['x-request-id']), deployment: h1(headers['x-treaty-deployment']), decision: h1(headers['x-treaty-decision']), code, ms: Date.now() - startedAt };
  } catch (err) {
    const code = (err as { code?: string }).code ?? (err as Error).message;
    return { ...base, status: null, requestId: h1(headers['x-request-id']), netError: { code, phase: status === null ? 'connect-or-headers' : 'body' }, ms: Date.now() - startedAt };
  }
}

const h1 = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/** Counts of a field's values, for logs. */
export function tally<T>(xs: readonly T[], f: (x: T) => string | number | null | undefined): Record<string, number> {
  const m: Record<string, number> = {};
  for (const x of xs) {
    const k = String(f(x));
    m[k] = (m[k] ?? 0) + 1;
  }
  return m;
}
