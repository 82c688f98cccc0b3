// The headline metrics and their distance to retraining.

/** The four numbers of the paper tables, each in percent. */
export interface HeadlineMetrics {
  /** unlearning accuracy = 100 - accuracy on D_f */
  UA: number;
  /** remaining accuracy = accuracy on D_r */
  RA: number;
  /** testing accuracy = accuracy on the test set (forgotten classes removed in class-wise runs) */
  TA: number;
  /** MIA-efficacy (confidence view) */
  MIA: number;
}

export const HEADLINE_KEYS: readonly (keyof HeadlineMetrics)[] = ['UA', 'RA', 'TA', 'MIA'];

/** One-line definitions of UA, RA, TA, MIA and AvgGap, as reports print them. */
export const HEADLINE_DEFINITIONS: Record<keyof HeadlineMetrics | 'AvgGap', string> = {
  UA: 'unlearning accuracy: 100 - top-1 accuracy on the forget set D_f',
  RA: 'remaining accuracy: top-1 accuracy on the retain set D_r',
  TA: 'testing accuracy: top-1 accuracy on the test set (forgotten classes excluded in class-wise forgetting)',
  MIA: 'MIA-efficacy: % of D_f that an RBF SVC (C=3, gamma=auto) on true-class confidence, trained on the first |test| retain samples (members) vs the test set (non-members), predicts as non-member',
  AvgGap: 'average gap: mean of |metric - retrain metric| over UA, RA, TA and MIA',
};

/** Mean absolute difference to the retrained model over UA, RA, TA, MIA. */
export function avgGap(m: HeadlineMetrics, retrain: HeadlineMetrics): number {
  let s = 0;
  for (const k of HEADLINE_KEYS) s += Math.abs(m[k] - retrain[k]);
  return s / HEADLINE_KEYS.length;
}

/** Mean and sample standard deviation (n-1), as the papers report "mean ± std" over seeds. */
export function meanStd(xs: readonly number[]): { mean: number; std: number } {
  if (xs.length === 0) throw new RangeError('meanStd: no values');
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  if (xs.length === 1) return { mean, std: 0 };
  const v = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1);
  return { mean, std: Math.sqrt(v) };
}
