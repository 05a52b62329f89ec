// Weighted power-of-two-choices: draw two distinct candidates with probability proportional
// to weight, keep the one with the lower expected wait (outstanding requests × latency EWMA,
// divided by weight). Pure: randomness is passed in.

export interface BalancerCandidate {
  id: string;
  weight: number;
  /** Requests this replica has in flight to the deployment. */
  outstanding: number;
  /** Exponentially weighted moving average of attempt latency, ms; undefined until measured. */
  ewmaMs: number | undefined;
}

/** Latency assumed for a deployment never measured: optimistic, so new ones get tried. */
const UNMEASURED_MS = 1;

export function score(c: BalancerCandidate): number {
  return ((c.outstanding + 1) * (c.ewmaMs ?? UNMEASURED_MS)) / c.weight;
}

export function pickP2C<T extends BalancerCandidate>(candidates: readonly T[], random: () => number): T | undefined {
  if (candidates.length <= 1) return candidates[0];
  const first = weightedDraw(candidates, random, -1);
  const second = weightedDraw(candidates, random, first);
  const a = candidates[first]!;
  const b = candidates[second]!;
  return score(b) < score(a) ? b : a;
}

function weightedDraw(cs: readonly BalancerCandidate[], random: () => number, exclude: number): number {
  let total = 0;
  for (let i = 0; i < cs.length; i++) if (i !== exclude) total += cs[i]!.weight;
  let r = random() * total;
  let last = -1;
  for (let i = 0; i < cs.length; i++) {
    if (i === exclude) continue;
    last = i;
    r -= cs[i]!.weight;
    if (r < 0) return i;
  }
  return last;
}

/** EWMA update with a fixed smoothing factor; the first sample seeds it. */
export function updateEwma(prev: number | undefined, sampleMs: number, alpha = 0.3): number {
  return prev === undefined ? sampleMs : prev + alpha * (sampleMs - prev);
}
