// Seeded randomness for the simulator. Every random draw of a run comes from a stream made
// here, so one seed reproduces a run exactly. Traffic and routing draw from separate streams:
// the variants of a comparison then see the very same arrivals, and differ only in routing.

/** mulberry32: small, fast, good enough for simulation (not for secrets). */
export function mulberry32(seed: number): () => number {
  let s = seed | 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A stream for one purpose (`traffic`, `routing:<variant>`, …): FNV-1a of the label, mixed with the seed. */
export function stream(seed: number, label: string): () => number {
  let h = 0x811c9dc5 ^ (seed | 0);
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193);
  return mulberry32(h ^ Math.imul(seed | 0, 0x9e3779b1));
}

/** A standard normal draw (Box–Muller); `1 - u` keeps the log away from 0. */
export function normal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** A log-normal size given its median and 95th percentile (p95 ≤ median means no spread). */
export interface SizeDistribution {
  median: number;
  p95: number;
  max?: number;
}

export function drawSize(d: SizeDistribution, random: () => number): number {
  const sigma = d.p95 > d.median ? Math.log(d.p95 / d.median) / 1.6449 : 0;
  const x = Math.round(d.median * Math.exp(sigma * normal(random)));
  return Math.max(1, d.max !== undefined ? Math.min(d.max, x) : x);
}
