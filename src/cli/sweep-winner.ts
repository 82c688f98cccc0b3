// How a sweep picks its winner, apart from the sweep itself so the command line (which loads no libtorch to show its
// help) and the recipe checks can use it: the criterion over the seeds, and where the winner sits in its grid.

/**
 * A grid value: a number for numeric options (lr, alpha, mask.ratio), a boolean for switches (bnLeak), a string for
 * categorical ones (normalization).
 */
export type GridValue = number | string | boolean;

/**
 * What a sweep minimises over its seeds: each value's mean Avg.Gap, or its worst seed's. The worst is the safer rule
 * for the methods whose lr has a cliff that moves with the seed (CUFG, UFG, GA, SEMU): the mean can pick the edge of
 * the cliff, where one seed's large gain hides another seed's fall, while the worst seed's gap shows the cliff as soon
 * as one tuning seed falls off it. With one seed the two are the same.
 */
export const SWEEP_BY = ['avg-gap', 'worst-gap'] as const;
export type SweepBy = (typeof SWEEP_BY)[number];

/** A trial as a sweep scores it: its mean Avg.Gap and, with several seeds, each seed's. */
interface ScoredTrial {
  value: GridValue;
  avgGap: number;
  perSeed?: readonly { avgGap: number }[];
}

/** A value's score under `by`: NaN (it cannot win) when any seed diverged. */
export function sweepScore(t: ScoredTrial, by: SweepBy): number {
  if (by === 'avg-gap' || t.perSeed === undefined || t.perSeed.length === 0) return t.avgGap;
  return Math.max(...t.perSeed.map((r) => r.avgGap));
}

/** The trials that can win (a finite score) and the winner, the first of the smallest score; null when none can. */
export function sweepWinner<T extends ScoredTrial>(trials: readonly T[], by: SweepBy): { best: T; finite: T[] } | null {
  const finite = trials.filter((t) => Number.isFinite(sweepScore(t, by)));
  if (finite.length === 0) return null;
  return { best: finite.reduce((a, b) => (sweepScore(b, by) < sweepScore(a, by) ? b : a)), finite };
}

/**
 * Where the winner sits in a numeric grid: 'lowest' or 'highest' when it is the smallest or largest value tried
 * (of at least two), so the optimum may lie beyond the grid and the sweep should be extended before its recipe is
 * trusted; null when a tried value lies on each side of it, or the option is categorical.
 */
export function gridEdge(values: readonly GridValue[], best: GridValue): 'lowest' | 'highest' | null {
  const nums = values.filter((v): v is number => typeof v === 'number');
  if (typeof best !== 'number' || nums.length !== values.length || new Set(nums).size < 2) return null;
  if (best === Math.min(...nums)) return 'lowest';
  if (best === Math.max(...nums)) return 'highest';
  return null;
}
