// A worker thread of simulateParallel: runs the variants it is given and posts each result.

import { parentPort, workerData } from 'node:worker_threads';
import { runVariant } from './engine.js';
import type { SimulationInput } from './types.js';

const { input, indices } = workerData as { input: SimulationInput; indices: number[] };
for (const index of indices) parentPort!.postMessage({ index, out: runVariant(input, index) });
