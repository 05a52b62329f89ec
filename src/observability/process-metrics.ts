// The process metrics prom-client's collectDefaultMetrics registers (CPU, memory, heap spaces,
// file descriptors, handles, GC, version), all but its event-loop lag: that one keeps a
// perf_hooks histogram whose timer wakes the process 10 times a second (at the 100 ms
// resolution Treaty asked for; 100 at prom-client's default) whether or not anything is
// happening. With it gone an idle gateway sleeps (bench/idle-cost.ts). The lag is reported by
// the overload sampler instead (treaty_event_loop_lag_seconds, _max_seconds), which measures it
// every 10 ms while requests are being worked on, and sleeps when there are none.
//
// prom-client has no switch for one default metric, so each is registered from its own module
// (the package has no "exports" map; these are the files collectDefaultMetrics itself requires).
// Same names, same prefix, as before.

import { createRequire } from 'node:module';
import type { Registry } from 'prom-client';

const require = createRequire(import.meta.url);

/** collectDefaultMetrics' list (prom-client 15), less eventLoopLag. */
export const PROCESS_METRIC_MODULES = [
  'processCpuTotal',
  'processStartTime',
  'osMemoryHeap',
  'processOpenFileDescriptors',
  'processMaxFileDescriptors',
  'processResources',
  'processHandles',
  'processRequests',
  'heapSizeAndUsed',
  'heapSpacesSizeAndUsed',
  'version',
  'gc',
] as const;

type Register = (registry: Registry, config: { prefix: string }) => void;

export function registerProcessMetrics(registry: Registry, prefix: string): void {
  for (const name of PROCESS_METRIC_MODULES) {
    // processResources needs process.getActiveResourcesInfo (Node >= 17), as prom-client checks too.
    if (name === 'processResources' && typeof process.getActiveResourcesInfo !== 'function') continue;
    (require(`prom-client/lib/metrics/${name}`) as Register)(registry, { prefix });
  }
}
