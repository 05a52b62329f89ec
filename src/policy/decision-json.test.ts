import { describe, expect, it } from 'vitest';
import { ALL, compiled, facts, healthy, T } from '../contracts/test-support/policy-fixture.js';
import { decide, type Decision } from './contracts-decide.js';
import { decisionJson } from './decision-json.js';
import type { ContractState } from './contracts-state.js';

const state = (spent: number, share: [number, number], inFlight: number): ContractState => ({
  commitmentSpendUsd: () => spent,
  shareCounts: () => ({ toParty: share[0], total: share[1] }),
  reservationUsage: () => ({ inFlight, tokensLastMinute: inFlight * 1000 }),
});

describe('decisionJson: the ledger row of a decision', () => {
  it('writes exactly what JSON.stringify writes, over every shape decide() makes (exceptions, blockedBy, filtered, no class, empty pool)', () => {
    const down = { available: false };
    const healths = [healthy(), healthy({ 'p-ptu': down }), healthy({ 'p-ptu': down, 'p-std': down }), healthy({ 'p-ptu': down, 'p-std': down, 'c-1': down, 's-1': down }), healthy({ 's-1': { latencyMs: 9000, outstanding: 40 } })];
    const factsList = [facts(), facts({ model: 'x-model' }), facts({ model: 'launch' }), facts({ tenantId: 'eu-1' }), facts({ tags: ['batch'], expectedTokens: { prompt: 3, completion: 1e6 } }), facts({ keyId: 'k"\\\u2028' })];
    const states = [state(0, [0, 0], 0), state(600, [70, 100], 3), state(1e9, [1, 3], 1000)];
    const times = [T, Date.parse('2026-07-01T00:00:00Z'), Date.parse('2031-01-01T00:00:00Z')];
    const seen = new Set<string>();
    let n = 0;
    for (const f of factsList) for (const h of healths) for (const s of states) for (const t of times) {
      for (const pool of [ALL, ALL.slice(2), []]) {
        const d = decide(compiled, f, pool, s, t, h);
        const json = decisionJson(d);
        expect(json).toBe(JSON.stringify(d));
        seen.add(Object.keys(d).join(',') + (d.candidates.some((c) => c.exceptions) ? '+cand-exceptions' : ''));
        n++;
      }
    }
    expect(n).toBe(810);
    // The grid reached the optional fields, so the comparison above covered them.
    expect([...seen].some((k) => k.includes('blockedBy'))).toBe(true);
    expect([...seen].some((k) => k.includes('+cand-exceptions'))).toBe(true);
  });

  it('escapes strings and writes numbers as JSON does, including ones decide() would not make', () => {
    const d: Decision = {
      version: 'v"1\\\n', at: -0, model: 'm\u0000\u2028é', class: null,
      candidates: [{ deploymentId: 'a"b', score: -0.009045, parts: { cost: 1e-7, pacing: -1e21, share: Number.NaN, latency: Infinity }, flags: ['x:"y"', ''], exceptions: [] }],
      filtered: [{ deploymentId: 'c', clauseId: null, reason: 'unavailable' }, { deploymentId: 'd', clauseId: 'msa/"q"', reason: 'tab\there' }],
      exceptions: [{ clauseId: 'e', reason: '\ud800 lone surrogate' }], blockedBy: [], ranked: ['a"b'],
    };
    expect(decisionJson(d)).toBe(JSON.stringify(d));
    expect(JSON.parse(decisionJson(d))).toEqual(JSON.parse(JSON.stringify(d)));
  });
});
