// The Fréchet distance: hand-computed 1-D and 2-D cases, a 3-D case against scipy, 0 for identical sets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memory, randn, manualSeed, tensor, tidy } from '../../src/index.js';
import { frechetDistance, sqrtmPsd } from '../../src/diffusion/index.js';
import { baselineMemory } from '../baseline.js';

const close = (a: number, b: number, tol: number, what: string): void => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

test('1-D: (μ₁ − μ₂)² + (σ₁ − σ₂)², with unbiased variances', () => {
  // a: mean 2, variance 1; b: mean 4, variance 8
  tidy(() => close(frechetDistance(tensor([[1], [2], [3]]), tensor([[2], [6]])), 13 - 4 * Math.SQRT2, 1e-9, '1-D'));
});

test('2-D with non-commuting covariances: Tr√(Σ₁Σ₂) = √(tr(Σ₁Σ₂) + 2√(det Σ₁ det Σ₂)) for 2×2', () => {
  const a = [[0, 0], [1, 2], [2, 1], [3, 5], [-1, 0.5]];
  const b = [[1, -1], [2, 0], [0, 1], [4, -2]];
  const stats = (pts: number[][]) => {
    const n = pts.length;
    const mu = [0, 1].map((j) => pts.reduce((s, p) => s + p[j]!, 0) / n);
    const cov = [0, 1].map((i) => [0, 1].map((j) => pts.reduce((s, p) => s + (p[i]! - mu[i]!) * (p[j]! - mu[j]!), 0) / (n - 1)));
    return { mu, cov };
  };
  const A = stats(a);
  const B = stats(b);
  const prod = [0, 1].map((i) => [0, 1].map((j) => A.cov[i]![0]! * B.cov[0]![j]! + A.cov[i]![1]! * B.cov[1]![j]!));
  const det = (m: number[][]) => m[0]![0]! * m[1]![1]! - m[0]![1]! * m[1]![0]!;
  const trSqrt = Math.sqrt(prod[0]![0]! + prod[1]![1]! + 2 * Math.sqrt(det(A.cov) * det(B.cov)));
  const want = (A.mu[0]! - B.mu[0]!) ** 2 + (A.mu[1]! - B.mu[1]!) ** 2 + A.cov[0]![0]! + A.cov[1]![1]! + B.cov[0]![0]! + B.cov[1]![1]! - 2 * trSqrt;
  tidy(() => close(frechetDistance(tensor(a), tensor(b)), want, 1e-9, '2-D'));
});

test('3-D matches scipy.linalg.sqrtm-based FID arithmetic', () => {
  const a = Array.from({ length: 20 }, (_, i) => [Math.sin(i), Math.cos(2 * i), Math.sin(3 * i) + i / 10]);
  const b = Array.from({ length: 15 }, (_, i) => [Math.cos(i) + 0.5, Math.sin(i) * Math.cos(i), i % 3]);
  // numpy.cov + scipy.linalg.sqrtm(s1 @ s2) on the same points
  tidy(() => close(frechetDistance(tensor(a, { dtype: 'float64' }), tensor(b, { dtype: 'float64' })), 0.5238725655226983, 1e-9, '3-D'));
});

test('identical sets are at distance 0; a shifted copy at ‖shift‖²', () => {
  const base = baselineMemory();
  manualSeed(0);
  tidy(() => {
    const f = randn([300, 16]);
    close(frechetDistance(f, f), 0, 1e-6, 'identical');
    close(frechetDistance(f, f.add(0.5)), 16 * 0.25, 1e-5, 'shifted');
  });
  assert.deepEqual(memory(), base);
});

test('sqrtmPsd squares back to the matrix; errors are clear', () => {
  tidy(() => {
    const m = tensor([[4, 1], [1, 3]], { dtype: 'float64' });
    const r = sqrtmPsd(m);
    assert.ok(r.mm(r).sub(m).abs().max().item() < 1e-12);
    assert.throws(() => frechetDistance(tensor([[1, 2]]), tensor([[1, 2], [3, 4]])), /at least 2 feature vectors/);
    assert.throws(() => frechetDistance(tensor([[1], [2]]), tensor([[1, 2], [3, 4]])), /feature sizes differ/);
  });
});
