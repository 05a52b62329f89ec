// The Redis and Postgres servers the cluster tests run against (TREATY_TEST_REDIS_URL,
// TREATY_TEST_PG_URL; default the local servers). Unreachable: the suite is skipped with a
// message, except under CI=true, where that is a failure.

import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { PG_URL, pgProblem } from '../../../src/ledger/test-support/postgres.js';
import { describe, it } from 'vitest';

export { dropSchema, PG_URL, withSchema } from '../../../src/ledger/test-support/postgres.js';

export const REDIS_URL = process.env.TREATY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function redisProblem(): Promise<string | undefined> {
  const r = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 1_000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  r.on('error', () => undefined);
  try {
    await r.connect();
    await r.ping();
    return undefined;
  } catch (err) {
    return (err as Error).message;
  } finally {
    r.disconnect();
  }
}


/**
 * `describe` when Redis (and Postgres, if `needsPg`) answer; otherwise a skipped suite with the
 * reason, or under CI=true a failing one.
 */
export async function describeWithServices(name: string, needsPg: boolean, body: () => void): Promise<void> {
  const problems = [await redisProblem().then((p) => p && `Redis at ${new URL(REDIS_URL).host}: ${p}`), needsPg ? await pgProblem(2_000).then((p) => p && `Postgres at ${new URL(PG_URL).host}: ${p}`) : undefined].filter(Boolean);
  if (!problems.length) {
    describe(name, body);
    return;
  }
  const why = `${problems.join('; ')}. Set TREATY_TEST_REDIS_URL / TREATY_TEST_PG_URL.`;
  if (process.env.CI === 'true') {
    describe(name, () => it('reaches Redis and Postgres (required under CI=true)', () => {
      throw new Error(why);
    }));
    return;
  }
  console.warn(`${name} SKIPPED: ${why} Under CI=true this fails.`);
  describe.skip(`${name} (skipped: ${why})`, () => it('needs Redis and Postgres', () => undefined));
}

/** A unique name for this run's Postgres schema and Redis key prefix. */
export function runId(what: string): string {
  return `treaty_cl_${what}_${process.pid}_${randomBytes(3).toString('hex')}`;
}

/** Deletes every key under a test run's prefix. */
export async function dropRedisPrefix(prefix: string): Promise<void> {
  const r = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    for (let cursor = '0'; ; ) {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length) await r.del(...keys);
      cursor = next;
      if (cursor === '0') break;
    }
  } finally {
    r.disconnect();
  }
}
