// Treaty's own time on a request, as a Server-Timing header: from the route taking the request
// to the response head going out, minus the time spent waiting on upstreams (every attempt's,
// failed ones included). Retry back-off and the ledger's write-ahead count as Treaty's time.

import { performance } from 'node:perf_hooks';
import type { AttemptTrace } from '../proxy/ports.js';

/** `gateway;dur=<ms>, upstream;dur=<ms>`: the gateway's figure first, for tools that read one. */
export function serverTiming(startedAt: number, traces: readonly AttemptTrace[]): string {
  let upstream = 0;
  for (const t of traces) upstream += t.upstreamMs ?? 0;
  const gateway = Math.max(0, performance.now() - startedAt - upstream);
  return `gateway;dur=${gateway.toFixed(3)}, upstream;dur=${upstream.toFixed(3)}`;
}
