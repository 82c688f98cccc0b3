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
function vectorNorm(a: Tensor, ord = 2, dim?: number | readonly number[], keepdim = false): Tensor {
  return a.norm(ord, dim, keepdim);
}
function inv(a: Tensor): Tensor {
  return call(aten('linalg_inv'), a);
}
function solve(a: Tensor, b: Tensor): Tensor {
  return call(aten('linalg_solve'), a, b, true);
}

export const linalg = { svd, svdvals, qr, norm, vectorNorm, inv, solve };
