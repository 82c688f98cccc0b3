// The Fréchet distance between two sets of feature vectors, each summarised by a Gaussian (mean, covariance):
//   d² = ‖μ₁ − μ₂‖² + Tr(Σ₁ + Σ₂ − 2 (Σ₁^{½} Σ₂ Σ₁^{½})^{½})
// This is the formula of FID, but Lethe applies it to the penultimate features of its own Fashion-MNIST
// classifier, not to Inception-v3 pool features: the numbers are NOT comparable with published FIDs.
//
// Both square roots come from symmetric eigendecompositions (linalg.eigh) in float64, with negative eigenvalues
// (round-off) clamped to 0. Σ₁^{½} Σ₂ Σ₁^{½} is symmetric PSD and has the same eigenvalues as Σ₁Σ₂, so its trace
// square root equals Tr((Σ₁Σ₂)^{½}) of the usual formula, without a non-symmetric matrix square root.
import { linalg, noGrad, tidy, type Tensor } from '../torch/index.js';

/** A Gaussian summary of feature vectors, as gaussianStats returns it; the caller owns both tensors. */
export interface GaussianStats {
  /** float64 [D] */
  mean: Tensor;
  /** float64 [D, D], unbiased (N − 1), as numpy.cov */
  cov: Tensor;
}

/** Mean and unbiased covariance of the rows of `features` [N, D] (N ≥ 2). The caller owns the result. */
export function gaussianStats(features: Tensor): GaussianStats {
  if (features.ndim !== 2) throw new Error(`gaussianStats: expected features [N, D], got [${features.shape.join(', ')}]`);
  const n = features.shape[0]!;
  if (n < 2) throw new RangeError(`gaussianStats: need at least 2 feature vectors, got ${n}`);
  return tidy(() =>
    noGrad(() => {
      const f = features.to('float64');
      const mean = f.mean(0);
      const centered = f.sub(mean);
      const cov = centered.t().mm(centered).div(n - 1);
      return { mean, cov };
    }),
  );
}

/** Symmetric PSD square root via eigh: V diag(√max(λ, 0)) Vᵀ. */
export function sqrtmPsd(a: Tensor): Tensor {
  return tidy(() => {
    const sym = a.add(a.t()).div(2);
    const { eigenvalues, eigenvectors } = linalg.eigh(sym);
    return eigenvectors.mul(eigenvalues.clampMin(0).sqrt().unsqueeze(0)).mm(eigenvectors.t());
  });
}

/** Fréchet distance between two Gaussians. */
export function frechetFromStats(a: GaussianStats, b: GaussianStats): number {
  if (a.mean.shape[0] !== b.mean.shape[0]) throw new Error(`frechetDistance: feature sizes differ (${a.mean.shape[0]} vs ${b.mean.shape[0]})`);
  return tidy(() =>
    noGrad(() => {
      const diff = a.mean.sub(b.mean).square().sum();
      const s1 = sqrtmPsd(a.cov);
      const m = s1.mm(b.cov).mm(s1);
      const traceSqrt = linalg.eigvalsh(m.add(m.t()).div(2)).clampMin(0).sqrt().sum();
      const d = diff.add(a.cov.trace()).add(b.cov.trace()).sub(traceSqrt.mul(2)).item();
      return Math.max(0, d); // round-off can push identical sets a hair below 0
    }),
  );
}

/** Fréchet distance between the feature sets a [N, D] and b [M, D]. */
export function frechetDistance(a: Tensor, b: Tensor): number {
  const sa = gaussianStats(a);
  const sb = gaussianStats(b);
  try {
    return frechetFromStats(sa, sb);
  } finally {
    for (const t of [sa.mean, sa.cov, sb.mean, sb.cov]) t.dispose();
  }
}
