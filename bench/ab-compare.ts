// How bench/ab.ts compares source trees. Each tree can run as more than one process (--mirror
// launches A, B, B, A), and a round measures every process once, in a rotating order. On the
// 2-vCPU VMs this runs on, which process a tree runs in moves its reading by itself: an A/A run
// (one tree twice) read 0.97 for the second process, and an A/B read 0.92 with the change in
// the second process and 1.03 with it in the first (2026-12-01), so an unmirrored A/B can show
// a gain that is only the position. Per round, a tree's figure is the geometric mean of its
// processes; each tree is then compared with the first, round by round.

import { spread } from './stats.js';

export interface TreeComparison {
  tree: string;
  /** Median over rounds of this tree's figure ÷ the first tree's, in the same round. */
  medianRatio: number;
  /** Geometric mean of the same per-round ratios. */
  geoMeanRatio: number;
  /** Rounds in which this tree read lower than the first. */
  lower: number;
  rounds: number;
}

const geoMean = (xs: readonly number[]): number => Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);

/**
 * `rounds[r]` holds, per process in that round, its tree and its reading (µs per request or
 * per chunk). Trees compare in order of first appearance; the first is the baseline.
 */
export function compareTrees(rounds: readonly { tree: string; value: number }[][]): TreeComparison[] {
  const trees: string[] = [];
  for (const round of rounds) for (const { tree } of round) if (!trees.includes(tree)) trees.push(tree);
  const perRound = rounds.map((round) => {
    const by = new Map<string, number[]>();
    for (const { tree, value } of round) by.set(tree, [...(by.get(tree) ?? []), value]);
    return new Map([...by].map(([t, xs]) => [t, geoMean(xs)]));
  });
  return trees.map((tree) => {
    const ratios = perRound.filter((m) => m.has(tree) && m.has(trees[0]!)).map((m) => m.get(tree)! / m.get(trees[0]!)!);
    return { tree, medianRatio: spread(ratios).median, geoMeanRatio: geoMean(ratios), lower: ratios.filter((x) => x < 1).length, rounds: ratios.length };
  });
}

/** The roots to launch, in order: as given, or mirrored (A, B, B, A) so each tree holds both ends. */
export function launchOrder(roots: readonly string[], mirror: boolean): string[] {
  return mirror ? [...roots, ...[...roots].reverse()] : [...roots];
}

/** One tree as --roots names it: `DIR[+flag…][@variant]`. */
export interface TreeSpec {
  dir: string;
  /** Node flags added after the launch flags. */
  flags: string[];
  /** A variant of bench/variants.yaml (its overlay, and its node flags instead of the bin's). */
  variant: string | undefined;
}

export function parseTreeSpec(spec: string): TreeSpec {
  const at = spec.indexOf('@');
  const variant = at === -1 ? undefined : spec.slice(at + 1);
  const [dir, ...flags] = (at === -1 ? spec : spec.slice(0, at)).split('+');
  if (!dir || variant === '') throw new Error(`--roots: '${spec}' is not DIR[+flag…][@variant]`);
  return { dir, flags, variant };
}
