// A comparison's variants on worker threads: each variant is independent (its own gateway
// core, estate and seeded streams), so running them side by side changes nothing in the
// result but the time it takes. The input is plain data and crosses to the workers as is.

import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { assemble, simulate, type VariantOutput } from './engine.js';
import type { SimulationInput, SimulationResult } from './types.js';

/** Runs the variants on up to `threads` workers (one thread: simulate() right here). */
export async function simulateParallel(input: SimulationInput, threads = availableParallelism()): Promise<SimulationResult> {
  const n = Math.min(threads, input.variants.length);
  if (n <= 1) return simulate(input);
  const wall0 = performance.now();
  const cpu0 = process.cpuUsage();
  // Built, the worker is a .js file next to this one. From source (tsx, vitest) it is .ts,
  // which a Node 20 worker cannot load by itself: it is loaded through tsx's API instead.
  const source = import.meta.url.endsWith('.ts');
  const url = new URL(`./variant-worker.${source ? 'ts' : 'js'}`, import.meta.url);
  const outs: VariantOutput[] = new Array(input.variants.length);
  await Promise.all(Array.from({ length: n }, (_, w) => new Promise<void>((resolve, reject) => {
    const indices = input.variants.map((_v, i) => i).filter((i) => i % n === w);
    const data = { workerData: { input, indices } };
    const worker = source ? new Worker(`import('tsx/esm/api').then(({ tsImport }) => tsImport(${JSON.stringify(url.href)}, ${JSON.stringify(import.meta.url)}))`, { eval: true, ...data }) : new Worker(url, data);
    worker.on('message', (m: { index: number; out: VariantOutput }) => void (outs[m.index] = m.out));
    worker.on('error', reject);
    worker.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`simulator worker exited with code ${code}`))));
  })));
  // process.cpuUsage counts every thread of the process: the workers' CPU is in it.
  const cpu = process.cpuUsage(cpu0);
  return assemble(input, outs, performance.now() - wall0, (cpu.user + cpu.system) / 1000);
}
