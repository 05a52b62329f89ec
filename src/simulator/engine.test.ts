// The simulator over a small scenario on the demo estate (test-support/scenario.ts): four
// days around the amendment's effective date, a partner outage on the second day.

import { describe, expect, it } from 'vitest';
import { simulate } from './engine.js';
import { SMALL_TRAFFIC, smallInput } from './test-support/scenario.js';
import type { SimulationResult, VariantResult } from './types.js';

/** A result without its timings, which are the only thing allowed to differ between runs. */
const stable = (r: SimulationResult) => ({ ...r, perf: undefined, variants: r.variants.map((v) => ({ ...v, perf: { simulatedRequests: v.perf.simulatedRequests } })) });
const variant = (r: SimulationResult, name: string): VariantResult => r.variants.find((v) => v.name === name)!;
const round2 = (x: number): number => Math.round(x * 100) / 100;

describe('simulate() over the demo estate', () => {
  const run = simulate(smallInput({ compare: 'contracts,contracts@examples/contracts-no-amendment.yaml,cheapest' }));
  const contracts = variant(run, 'contracts');
  const noAmendment = variant(run, 'contracts@contracts-no-amendment');
  const cheapest = variant(run, 'cheapest');

  it('is reproducible: the same seed gives the same result, another seed another', () => {
    expect(stable(simulate(smallInput({ compare: 'contracts,contracts@examples/contracts-no-amendment.yaml,cheapest' })))).toEqual(stable(run));
    expect(stable(simulate(smallInput({ seed: 8 }))).variants[0]!.cost).not.toEqual(contracts.cost);
  });

  it('pins the key outputs of seed 7', () => {
    expect({
      simulated: contracts.perf.simulatedRequests,
      real: contracts.requests.real,
      served: contracts.requests.served,
      onDemandUsd: round2(contracts.cost.onDemandEffectiveUsd),
      feesUsd: round2(contracts.cost.reservationFeesUsd),
      commitmentUsd: round2(contracts.commitments[0]!.spendUsd),
      ptuPercent: round2(contracts.reservations[0]!.utilisationPercent!),
      exceptions: contracts.exceptions,
      shares: contracts.shares[0]!.periods.map((p) => [p.key, p.minPercent, round2(p.percent!)]),
    }).toEqual(PINNED);
  });

  it('gives every request an outcome: served or failed, weighted', () => {
    for (const v of run.variants) {
      const failed = Object.values(v.requests.failed).reduce((a, b) => a + b, 0);
      expect(v.requests.served + failed, v.name).toBe(v.requests.real);
      expect(v.requests.real).toBe(v.perf.simulatedRequests * 100);
    }
  });

  it('keeps every clause under the contract policy, and breaks them under a contract-blind one', () => {
    expect(contracts.breaches).toEqual([]);
    expect(noAmendment.breaches).toEqual([]);
    expect(cheapest.breaches.map((b) => b.clause)).toEqual(['customer-dpa/eu-residency', 'partner-msa/frontier-exclusivity']);
  });

  it('serves elsewhere (with exceptions) only while the exclusivity holds and the partner cannot serve', () => {
    const day = (v: VariantResult, d: string) => v.daily.find((x) => x.day === d)!;
    // The outage day: the partner is down from 06:00 to 12:00, so the commit cloud serves.
    expect(day(contracts, '2026-05-31').byParty['commit-cloud']).toBeGreaterThan(day(contracts, '2026-05-30').byParty['commit-cloud'] ?? 0);
    expect(contracts.exceptions.map((e) => e.clause)).toEqual(['partner-msa/frontier-exclusivity']);
    // After the amendment waives the exclusivity, the commit cloud gets ordinary traffic.
    expect(day(contracts, '2026-06-02').byParty['commit-cloud']).toBeGreaterThan(3 * (day(noAmendment, '2026-06-02').byParty['commit-cloud'] ?? 0));
  });

  it('fills the reservation before paying on demand, where the price-only baseline leaves it idle', () => {
    expect(contracts.reservations[0]!.utilisationPercent!).toBeGreaterThan(cheapest.reservations[0]!.utilisationPercent! + 15);
    expect(cheapest.shares[0]!.periodsBelowFloor).toBe(2);
    expect(contracts.shares[0]!.periodsBelowFloor).toBe(0);
  });

  it('refuses EU traffic it cannot keep in region, and only while the partner is down', () => {
    const eu = contracts.classes.find((c) => c.id === 'eu')!;
    const ent = contracts.classes.find((c) => c.id === 'enterprise')!;
    expect(eu.availabilityPercent!).toBeLessThan(100);
    expect(contracts.daily.find((d) => d.day === '2026-06-02')!.availabilityPercent!).toBeGreaterThan(eu.availabilityPercent!);
    expect(ent.latencyMs.p50).toBeGreaterThan(1000);
  });

  it('gives about the same answer whatever the weight (a weighted request stands for many real ones)', () => {
    const coarse = simulate(smallInput({ days: 2, traffic: SMALL_TRAFFIC.replace('weight: 100', 'weight: 250') })).variants[0]!;
    const fine = simulate(smallInput({ days: 2, traffic: SMALL_TRAFFIC.replace('weight: 100', 'weight: 10') })).variants[0]!;
    expect(coarse.perf.simulatedRequests * 20).toBeLessThan(fine.perf.simulatedRequests);
    expect(Math.abs(coarse.cost.onDemandEffectiveUsd / fine.cost.onDemandEffectiveUsd - 1)).toBeLessThan(0.08);
    expect(Math.abs(coarse.reservations[0]!.utilisationPercent! - fine.reservations[0]!.utilisationPercent!)).toBeLessThan(5);
    expect(Math.abs(coarse.availabilityPercent! - fine.availabilityPercent!)).toBeLessThan(1);
    expect(Math.abs(coarse.shares[0]!.periods[0]!.percent! - fine.shares[0]!.periods[0]!.percent!)).toBeLessThan(3);
  });
});

// Re-pinned after the latency term was capped (a full reservation can no longer outrank
// on-demand under load): slightly fewer 429s, so a few more served requests.
const PINNED = {
  simulated: 20810,
  real: 2081000,
  served: 2045537,
  onDemandUsd: 4666.99,
  feesUsd: 4722.58,
  commitmentUsd: 251425.6,
  ptuPercent: 67.28,
  exceptions: [{ clause: 'partner-msa/frontier-exclusivity', requests: 51947 }],
  // The amendment raises the floor from 60 % to 70 % on 2026-06-01; the controller settles just above it.
  shares: [['2026-05', 60, 88.67], ['2026-06', 70, 70.84]],
};
