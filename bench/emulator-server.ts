// The benchmark's upstream: the project's own OpenAI-compatible emulator (src/emulators) in a
// process of its own, with one deployment per timing mode. Prints one JSON line
// {"url": ...} on stdout when listening; exits on SIGTERM or when its parent goes away.
//
// Three adjustments, all made from outside the emulator (src/ is not changed):
//  - answers: the engine caps an answer at 8–16 words; the bench lengthens each answer plan to
//    the request's max_tokens (or the deployment's defaultMaxTokens), so the body is ~1 KB;
//  - capacity bookkeeping: with no rpm/tpm/concurrency limits the engine still keeps a
//    one-minute window of every request and filters it on each one (O(window) per request,
//    so a long benchmark would slow the floor down as it runs); it is bypassed, which is
//    exactly what an unlimited deployment means;
//  - the attempt log: one record per request, never trimmed, and filtered in full on every
//    answer to compute rate-limit headers (O(log) per request, though an unlimited deployment
//    sends none). Nobody reads it here, so queries answer empty and it is cleared every 250 ms.

import { EmulatorEngine } from '../src/emulators/core/engine.js';
import { startEstate } from '../src/emulators/estate.js';
import type { Plan } from '../src/emulators/core/types.js';
import { generateTokens } from '../src/emulators/core/generator.js';
import { BENCH_DEPLOYMENTS, UPSTREAM_KEY } from './setup.js';

const engine = new EmulatorEngine();

type Begin = EmulatorEngine['begin'];
const begin: Begin = engine.begin.bind(engine);
engine.begin = ((provider, input, requestId) => {
  const out = begin(provider, input, requestId);
  lengthen(out.plan, input.maxTokens ?? engine.deployment(provider, input.deployment)?.defaultMaxTokens ?? 0, input.promptText);
  return out;
}) as Begin;

// See the header: an unlimited deployment needs no capacity window and no attempt log.
const internals = engine as unknown as { capacityCheck?: unknown };
if (typeof internals.capacityCheck === 'function') internals.capacityCheck = () => undefined;
engine.attempts = () => [];

/** Word pool per prompt, cached: the bench sends few distinct prompts. */
const words = new Map<string, string[]>();
function lengthen(plan: Plan, want: number, prompt: string): void {
  if (plan.type !== 'answer' || plan.toolCall || plan.tokens.length >= want) return;
  let pool = words.get(prompt);
  if (!pool) {
    pool = generateTokens(prompt, 32).slice(1);
    if (words.size < 64) words.set(prompt, pool);
  }
  const tokens = plan.tokens.slice();
  for (let i = tokens.length; i < want; i++) tokens.push(pool[i % pool.length]!);
  plan.tokens = tokens;
  plan.completionTokens = tokens.length;
  plan.finishReason = 'length';
}

const port = Number(process.env.BENCH_EMULATOR_PORT ?? 0);
const estate = await startEstate(
  [{ name: 'bench-openai', provider: 'openai', port, apiKey: UPSTREAM_KEY, deployments: BENCH_DEPLOYMENTS.map((d) => ({ ...d })) }],
  engine,
);
const clearLog = setInterval(() => engine.clearAttempts(), 250);
clearLog.unref();

process.stdout.write(`${JSON.stringify({ url: estate.clouds[0]!.url, pid: process.pid })}\n`);

const stop = (): void => {
  void estate.close().then(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
// The orchestrator holds our stdin open; when it dies, stdin ends and so do we.
process.stdin.resume();
process.stdin.on('end', stop);
