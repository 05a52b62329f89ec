// Preloaded into a Treaty process (`node --import bench/alloc-sampler.mjs ...`) by bench/ab.ts
// --alloc: V8's sampling heap profiler, counting every sampled allocation including objects
// that died young (what a per-request allocation budget is about, and what `--heap-prof`
// leaves out). SIGUSR2 starts sampling; the second SIGUSR2 stops it and writes the profile to
// $TREATY_ALLOC_PROFILE (a .heapprofile, readable in Chrome DevTools).

import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import process from 'node:process';

const out = process.env.TREATY_ALLOC_PROFILE;
if (out) {
  const session = new Session();
  session.connect();
  let sampling = false;
  process.on('SIGUSR2', () => {
    if (!sampling) {
      sampling = true;
      session.post('HeapProfiler.startSampling', {
        samplingInterval: Number(process.env.TREATY_ALLOC_INTERVAL ?? 4096),
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: true,
      });
      return;
    }
    sampling = false;
    session.post('HeapProfiler.stopSampling', (err, r) => {
      if (err) process.stderr.write(`alloc-sampler: ${err.message}\n`);
      else writeFileSync(out, JSON.stringify(r.profile));
    });
  });
}
