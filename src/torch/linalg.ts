// torch.linalg: decompositions and norms (LAPACK through libtorch; OpenBLAS where installed).
import { aten } from './aten.js';
import { call, callMany, type Tensor } from './tensor.js';

/** Reduced SVD by default (fullMatrices=false): A = U diag(S) Vh, batched over leading dims. */
function svd(a: Tensor, fullMatrices = false): { U: Tensor; S: Tensor; Vh: Tensor } {
  const [U, S, Vh] = callMany(aten('linalg_svd'), a, fullMatrices, null) as [Tensor, Tensor, Tensor];
  return { U, S, Vh };
}
/** Singular values only (cheaper than svd). */
function svdvals(a: Tensor): Tensor {
  return call(aten('linalg_svdvals'), a, null);
}
/** QR decomposition; mode 'reduced' (default), 'complete' or 'r'. */
function qr(a: Tensor, mode: 'reduced' | 'complete' | 'r' = 'reduced'): { Q: Tensor; R: Tensor } {
  const [Q, R] = callMany(aten('linalg_qr'), a, mode) as [Tensor, Tensor];
  return { Q, R };
}
/**
 * torch.linalg.norm: with dim omitted, the 2-norm of the flattened tensor (ord omitted) or the matrix norm
 * `ord` ('fro', 'nuc', ...) of a 2-d tensor.
 */
function norm(a: Tensor, ord: number | 'fro' | 'nuc' | null = null, dim?: number | readonly number[], keepdim = false): Tensor {
  const dims = dim === undefined ? null : typeof dim === 'number' ? [dim] : dim;
  if (typeof ord === 'string') return call(aten('linalg_norm', 'ord_str'), a, ord, dims, keepdim, null);
  return call(aten('linalg_norm'), a, ord, dims, keepdim, null);
}
/** Vector `ord`-norm (default 2) over all elements or the given dims; same as Tensor.norm. */
function vectorNorm(a: Tensor, ord = 2, dim?: number | readonly number[], keepdim = false): Tensor {
  return a.norm(ord, dim, keepdim);
}
/** Inverse of a square matrix (batched); libtorch throws when it is singular. */
function inv(a: Tensor): Tensor {
  return call(aten('linalg_inv'), a);
}
/** The X with A X = B (batched); libtorch throws when A is singular. */
function solve(a: Tensor, b: Tensor): Tensor {
  return call(aten('linalg_solve'), a, b, true);
}

/** Matrix norm over the last two dims (or `dim`): 'fro' (default), 'nuc', or a number (1, -1, 2, -2, Infinity, -Infinity). */
function matrixNorm(a: Tensor, ord: number | 'fro' | 'nuc' = 'fro', dim: readonly [number, number] = [-2, -1], keepdim = false): Tensor {
  if (typeof ord === 'string') return call(aten('linalg_matrix_norm', 'str_ord'), a, ord, dim, keepdim, null);
  return call(aten('linalg_matrix_norm'), a, ord, dim, keepdim, null);
}
/** Determinant of a square matrix (batched). */
function det(a: Tensor): Tensor {
  return call(aten('linalg_det'), a);
}
/** sign and log|det| (stable for large or tiny determinants). */
function slogdet(a: Tensor): { sign: Tensor; logabsdet: Tensor } {
  const [sign, logabsdet] = callMany(aten('linalg_slogdet'), a) as [Tensor, Tensor];
  return { sign, logabsdet };
}
/** Eigen-decomposition of a symmetric matrix: ascending eigenvalues and orthonormal eigenvectors (columns). */
function eigh(a: Tensor, uplo: 'L' | 'U' = 'L'): { eigenvalues: Tensor; eigenvectors: Tensor } {
  const [eigenvalues, eigenvectors] = callMany(aten('linalg_eigh'), a, uplo) as [Tensor, Tensor];
  return { eigenvalues, eigenvectors };
}
/** Ascending eigenvalues of a symmetric matrix (cheaper than eigh). */
function eigvalsh(a: Tensor, uplo: 'L' | 'U' = 'L'): Tensor {
  return call(aten('linalg_eigvalsh'), a, uplo);
}
/** Lower Cholesky factor L with A = L Lᴴ (upper: U with A = Uᴴ U). */
function cholesky(a: Tensor, upper = false): Tensor {
  return call(aten('linalg_cholesky'), a, upper);
}
/** Moore-Penrose pseudo-inverse (singular values below rtol·σmax count as zero; PyTorch's default rtol when omitted). */
function pinv(a: Tensor, o: { atol?: number; rtol?: number; hermitian?: boolean } = {}): Tensor {
  return call(aten('linalg_pinv', 'atol_rtol_float'), a, o.atol ?? null, o.rtol ?? null, o.hermitian ?? false);
}
/** Numerical rank: the number of singular values above max(atol, rtol·σmax) (PyTorch's defaults when omitted). */
function matrixRank(a: Tensor, o: { atol?: number; rtol?: number; hermitian?: boolean } = {}): Tensor {
  return call(aten('linalg_matrix_rank', 'atol_rtol_float'), a, o.atol ?? null, o.rtol ?? null, o.hermitian ?? false);
}
/** A @ B @ C ... with the cheapest multiplication order. */
function multiDot(tensors: readonly Tensor[]): Tensor {
  return call(aten('linalg_multi_dot'), tensors);
}

/** torch.linalg's decompositions and norms. Every returned tensor is new and owned by the caller. */
export const linalg = { svd, svdvals, qr, norm, vectorNorm, matrixNorm, inv, solve, det, slogdet, eigh, eigvalsh, cholesky, pinv, matrixRank, multiDot };
