// Linear algebra: products, einsum, and torch.linalg (svd, qr, norms, solvers) against hand-computed values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bmm, dot, einsum, eye, linalg, manualSeed, matmul, mm, outer, randn, tensor, tidy, type Tensor } from '../../src/index.js';
import { assertClose, assertTensor, maxAbsDiff } from './helpers.js';

const f64 = { dtype: 'float64' } as const;

test('matmul in all its shapes, mm, bmm, dot, outer, einsum', () => {
  tidy(() => {
    const a = tensor([[1, 2], [3, 4]], f64);
    const b = tensor([[5, 6], [7, 8]], f64);
    assertTensor(matmul(a, b), [[19, 22], [43, 50]]);
    assertTensor(mm(a, b), [[19, 22], [43, 50]]);
    assertTensor(a.matmul(tensor([1, 1], f64)), [3, 7]); // matrix @ vector
    assertTensor(tensor([1, 1], f64).matmul(a), [4, 6]); // vector @ matrix
    assertTensor(tensor([1, 2], f64).matmul(tensor([3, 4], f64)), 11); // vector @ vector
    const batch = tensor([[[1, 0], [0, 1]], [[2, 0], [0, 2]]], f64);
    assertTensor(bmm(batch, b.unsqueeze(0).expand(2, 2, 2)), [[[5, 6], [7, 8]], [[10, 12], [14, 16]]]);
    assertTensor(batch.matmul(b), [[[5, 6], [7, 8]], [[10, 12], [14, 16]]]); // broadcast over the batch
    assertTensor(dot(tensor([1, 2, 3], f64), tensor([4, 5, 6], f64)), 32);
    assertTensor(outer(tensor([1, 2], f64), tensor([3, 4, 5], f64)), [[3, 4, 5], [6, 8, 10]]);
    assertTensor(einsum('ij,jk->ik', a, b), [[19, 22], [43, 50]]);
    assertTensor(einsum('ii->', a), 5);
    assertTensor(einsum('bij,bj->bi', batch, tensor([[1, 2], [3, 4]], f64)), [[1, 2], [6, 8]]);
    assertTensor(einsum('i,j->ij', tensor([1, 2], f64), tensor([1, 10], f64)), [[1, 10], [2, 20]]);
  });
});

function assertOrthonormalColumns(q: Tensor, tol = 1e-10): void {
  const k = q.shape.at(-1)!;
  tidy(() => assert.ok(maxAbsDiff(q.transpose(-2, -1).matmul(q), eye(k, undefined, f64).expand(q.transpose(-2, -1).matmul(q).shape)) < tol, 'QᵀQ = I'));
}

test('svd of a hand-computable matrix: singular values, reconstruction, orthogonality', () => {
  tidy(() => {
    // [[3, 0], [4, 5]] has AᵀA = [[25, 20], [20, 25]], eigenvalues 45 and 5: singular values √45 and √5.
    const a = tensor([[3, 0], [4, 5]], f64);
    const { U, S, Vh } = linalg.svd(a);
    assertClose(S, [Math.sqrt(45), Math.sqrt(5)], 1e-12);
    assertClose(U.mul(S.unsqueeze(0)).matmul(Vh), [[3, 0], [4, 5]], 1e-12);
    assertOrthonormalColumns(U);
    assertOrthonormalColumns(Vh.t());
    assertClose(linalg.svdvals(a), [Math.sqrt(45), Math.sqrt(5)], 1e-12);
  });
});

test('svd is reduced by default, full on request, and batched over leading dims', () => {
  tidy(() => {
    manualSeed(11);
    const a = randn([3, 5, 4], f64);
    const { U, S, Vh } = linalg.svd(a);
    assert.deepEqual([U.shape, S.shape, Vh.shape], [[3, 5, 4], [3, 4], [3, 4, 4]]);
    const rebuilt = U.mul(S.unsqueeze(1)).matmul(Vh);
    assert.ok(maxAbsDiff(rebuilt, a) < 1e-12, 'U diag(S) Vh = A for every batch element');
    assertOrthonormalColumns(U);
    assertOrthonormalColumns(Vh.transpose(-2, -1));
    const s = S.toTypedArray() as Float64Array;
    for (let b = 0; b < 3; b++) for (let i = 0; i < 3; i++) assert.ok(s[b * 4 + i]! >= s[b * 4 + i + 1]!, 'descending');
    const full = linalg.svd(a, true);
    assert.deepEqual([full.U.shape, full.Vh.shape], [[3, 5, 5], [3, 4, 4]]);
    assertOrthonormalColumns(full.U);
  });
});

test('qr: reduced and complete modes, Q orthonormal, R upper triangular, QR = A', () => {
  tidy(() => {
    const a = tensor([[3, 1], [4, 2], [0, 5]], f64);
    const { Q, R } = linalg.qr(a);
    assert.deepEqual([Q.shape, R.shape], [[3, 2], [2, 2]]);
    assertClose(Q.matmul(R), [[3, 1], [4, 2], [0, 5]], 1e-12);
    assertOrthonormalColumns(Q);
    assertClose(R.select(0, 0).select(0, 0).abs(), 5, 1e-12); // |r11| = ‖first column‖ = 5
    assertClose(R.select(1, 0).select(0, 1), 0);
    const c = linalg.qr(a, 'complete');
    assert.deepEqual([c.Q.shape, c.R.shape], [[3, 3], [3, 2]]);
    assertOrthonormalColumns(c.Q);
  });
});

test('norms: vector 2-norm by default, Frobenius, nuclear, spectral, 1 and inf matrix norms', () => {
  tidy(() => {
    const a = tensor([[3, 0], [4, 5]], f64); // singular values √45, √5
    assertClose(linalg.norm(a), Math.sqrt(50), 1e-12);
    assertClose(linalg.norm(a, 'fro'), Math.sqrt(50), 1e-12);
    assertClose(linalg.norm(a, 'nuc'), Math.sqrt(45) + Math.sqrt(5), 1e-12);
    assertClose(linalg.norm(a, 2), Math.sqrt(45), 1e-12);
    assertClose(linalg.norm(a, 1), 7, 1e-12); // max column sum
    assertClose(linalg.norm(a, Infinity), 9, 1e-12); // max row sum
    assertClose(linalg.matrixNorm(a), Math.sqrt(50), 1e-12);
    assertClose(linalg.matrixNorm(a, -2), Math.sqrt(5), 1e-12);
    assertClose(linalg.norm(tensor([3, 4], f64)), 5);
    assertClose(linalg.norm(a, null, 1), [3, Math.sqrt(41)], 1e-12);
    assertClose(linalg.vectorNorm(a, 1), 12);
  });
});

test('inv, solve, det, slogdet, eigh, cholesky, pinv, matrixRank, multiDot', () => {
  tidy(() => {
    const a = tensor([[4, 2], [2, 3]], f64); // symmetric positive definite, det 8
    assertClose(linalg.inv(a), [[3 / 8, -2 / 8], [-2 / 8, 4 / 8]], 1e-12);
    assertClose(linalg.solve(a, tensor([[2], [1]], f64)), [[0.5], [0]], 1e-12);
    assertClose(linalg.det(a), 8, 1e-12);
    const { sign, logabsdet } = linalg.slogdet(tensor([[0, 1], [1, 0]], f64));
    assertClose(sign, -1);
    assertClose(logabsdet, 0, 1e-12);
    const { eigenvalues, eigenvectors } = linalg.eigh(a); // (7 ± √17) / 2
    assertClose(eigenvalues, [(7 - Math.sqrt(17)) / 2, (7 + Math.sqrt(17)) / 2], 1e-12);
    assertClose(a.matmul(eigenvectors).sub(eigenvectors.mul(eigenvalues.unsqueeze(0))).abs().max(), 0, 1e-12);
    assertClose(linalg.eigvalsh(a), [(7 - Math.sqrt(17)) / 2, (7 + Math.sqrt(17)) / 2], 1e-12);
    const l = linalg.cholesky(a);
    assertClose(l, [[2, 0], [1, Math.SQRT2]], 1e-12);
    assertClose(linalg.pinv(tensor([[1, 2], [2, 4]], f64)), [[1 / 25, 2 / 25], [2 / 25, 4 / 25]], 1e-12);
    assertTensor(linalg.matrixRank(tensor([[1, 2], [2, 4]], f64)), 1, 'int64');
    assertClose(linalg.multiDot([tensor([[1, 2]], f64), a, tensor([[1], [0]], f64)]), [[8]], 1e-12);
    assert.throws(() => linalg.cholesky(tensor([[1, 2], [2, 1]], f64)), /not positive-definite/);
    assert.throws(() => linalg.inv(tensor([[1, 2], [2, 4]], f64)), /singular|not invertible/);
  });
});
