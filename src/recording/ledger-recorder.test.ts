// The write-ahead row gates the upstream call: when the ledger cannot take it, the attempt is
// refused with a 503 the client can retry (and the cause logged), whichever way the store
// fails; when the store has it durable already, nothing is awaited.

import { describe, expect, it } from 'vitest';
import { GatewayError } from '../domain/errors.js';
import type { AttemptStart, LedgerStore } from '../ledger/store.js';
import type { Logger } from '../observability/logger.js';
import type { AttemptTrace } from '../proxy/ports.js';
import { LedgerRecorder } from './ledger-recorder.js';

const trace = (): AttemptTrace => ({
  requestId: 'req-1', attemptNo: 1, tenantId: 't', keyId: 'k', estimatedPromptTokens: 12,
  deploymentId: 'dep-a', model: 'm', stream: false, startedAt: 1_700_000_000_000, decision: { ranked: ['dep-a'] },
});

function recorder(beginAttempt: (s: AttemptStart) => Promise<void> | undefined, decisionJson?: (d: unknown) => string) {
  const errors: string[] = [];
  const log = { error: (msg: string) => void errors.push(msg) } as unknown as Logger;
  const store = { beginAttempt, finishAttempt: async () => true } as Pick<LedgerStore, 'beginAttempt' | 'finishAttempt'>;
  const r = new LedgerRecorder({ store, deployment: () => undefined, price: () => undefined, log, now: () => 0, ...(decisionJson ? { decisionJson } : {}) });
  return { r, errors };
}

describe('ledger recorder: the write-ahead row', () => {
  it('durable at once: nothing to wait for, and the row carries the decision as JSON', () => {
    const seen: AttemptStart[] = [];
    const { r } = recorder((s) => void seen.push(s));
    expect(r.started(trace())).toBeUndefined();
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ requestId: 'req-1', attemptNo: 1, decision: '{"ranked":["dep-a"]}', account: 'unknown' });
  });

  it('writes the decision with the writer it is given (the policy\'s own), not JSON.stringify', () => {
    const seen: AttemptStart[] = [];
    const given: unknown[] = [];
    const { r } = recorder((s) => void seen.push(s), (d) => (given.push(d), '{"written":"by the policy"}'));
    const t = trace();
    r.started(t);
    expect(given).toEqual([t.decision]);
    expect(seen[0]!.decision).toBe('{"written":"by the policy"}');
  });

  it('a store that rejects, or throws, refuses the attempt with TREATY_LEDGER_UNAVAILABLE and logs why', async () => {
    for (const begin of [() => Promise.reject(new Error('disk full')), () => { throw new Error('disk full'); }]) {
      const { r, errors } = recorder(begin);
      const p = r.started(trace());
      expect(p).toBeInstanceOf(Promise);
      const err = await p!.then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(GatewayError);
      expect((err as GatewayError).code).toBe('TREATY_LEDGER_UNAVAILABLE');
      expect(errors).toEqual(['ledger write failed; refusing the attempt']);
    }
  });

  it('a store that is still writing is waited for', async () => {
    let done!: () => void;
    const { r } = recorder(() => new Promise<void>((res) => (done = res)));
    let settled = false;
    void r.started(trace())!.then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    done();
    await new Promise((res) => setImmediate(res));
    expect(settled).toBe(true);
  });
});
