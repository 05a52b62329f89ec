// Test-only helpers for the OpenAI-wire emulators (imported by *.test.ts files only).

import type { EmulatorEngine } from '../core/engine.js';
import type { AttemptRecord } from '../core/types.js';

/** Resolves with the next attempt the engine finishes (so tests wait for events, not time). */
export function nextAttemptEnd(engine: EmulatorEngine): Promise<AttemptRecord> {
  return new Promise((resolve) => engine.once('attempt-end', (r: AttemptRecord) => resolve(r)));
}

export function lastAttempt(engine: EmulatorEngine): AttemptRecord {
  const all = engine.attempts();
  const last = all.at(-1);
  if (!last) throw new Error('no attempt logged');
  return last;
}
