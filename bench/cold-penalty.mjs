// How much slower this machine runs a short piece of code after the core has been idle: the
// "cold" cost every latency figure measured one request at a time pays (concurrency 1, a
// stream's first token after its upstream's 50 ms), and that the figures of issue 6's machine
// may not have paid to the same degree. Run pinned to the core the process under test uses;
// prints one JSON line: the median µs of the same ~10 µs snippet (JSON parse + stringify of a
// ~1.5 KB body) run back to back (warm) and after an idle gap of 1, 5, 20 and 50 ms.
// Plain JavaScript so the bench can run it without a build step.

import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';

const body = JSON.stringify({ messages: Array.from({ length: 20 }, (_, i) => ({ role: 'user', content: `${'hello world '.repeat(5)}${i}` })) });
const snippet = () => JSON.stringify(JSON.parse(body)).length;
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const timed = () => {
  const t = performance.now();
  snippet();
  return (performance.now() - t) * 1000;
};

const samples = Number(process.argv[2] ?? 60);
for (let i = 0; i < 5000; i++) snippet(); // optimised before anything is timed
const warm = [];
for (let i = 0; i < samples * 4; i++) warm.push(timed());
const afterGap = {};
for (const gapMs of [1, 5, 20, 50]) {
  const xs = [];
  for (let i = 0; i < samples; i++) {
    await sleep(gapMs);
    xs.push(timed());
  }
  afterGap[gapMs] = median(xs);
}
process.stdout.write(`${JSON.stringify({ warmUs: median(warm), afterGapUs: afterGap })}\n`);
