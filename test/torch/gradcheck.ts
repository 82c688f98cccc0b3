// A small finite-difference gradient checker (float64), in the spirit of torch.autograd.gradcheck.
//
// The function may return a tensor of any shape; it is reduced to the scalar sum(f(x) · w) with a fixed
// pseudo-random weight w, so every output element contributes with a different weight (a plain sum would miss
// errors that cancel, e.g. in softmax whose outputs always sum to one). w is drawn from a JS generator, not
// libtorch's, so the check never disturbs the seeded torch RNG.
import assert from 'node:assert/strict';
import { autograd, fromBuffer, noGrad, Tensor, tidy } from '../../src/index.js';

export interface GradcheckOptions {
  /** step of the central difference */
  eps?: number;
  atol?: number;
  rtol?: number;
  /** indices of the inputs to check (default: all) */
  wrt?: readonly number[];
}

function projection(n: number, seed: number): Float64Array {
  let s = seed >>> 0;
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    w[i] = 0.5 + (s / 2 ** 32) * 1.5; // in [0.5, 2): no zero weights
    if (i % 2 === 1) w[i] = -w[i]!;
  }
  return w;
}

/**
 * Checks autograd against central differences for fn at `inputs` (float64 tensors; they are not modified).
 * Returns the largest absolute difference seen, and throws an AssertionError naming the first mismatch.
 */
export function gradcheck(fn: (...xs: Tensor[]) => Tensor, inputs: readonly Tensor[], o: GradcheckOptions = {}): number {
  const eps = o.eps ?? 1e-6;
  const atol = o.atol ?? 1e-6;
  const rtol = o.rtol ?? 1e-5;
  const wrt = o.wrt ?? inputs.map((_, i) => i);
  for (const i of wrt) assert.equal(inputs[i]!.dtype, 'float64', `gradcheck: input ${i} must be float64`);
  return tidy(() => {
    const xs = inputs.map((x, i) => {
      const c = x.detach().clone();
      return wrt.includes(i) ? c.requiresGrad_() : c;
    });
    const out = fn(...xs);
    const w = fromBuffer(projection(out.numel(), 12345), 'float64', out.shape);
    const objective = (t: Tensor): Tensor => t.mul(w).sum();
    const analytic = autograd.grad(objective(out), wrt.map((i) => xs[i]!));
    let worst = 0;
    noGrad(() => {
      wrt.forEach((inputIndex, k) => {
        const base = inputs[inputIndex]!.toTypedArray() as Float64Array;
        const gk = analytic[k];
        assert.ok(gk != null, `gradcheck: input ${inputIndex} does not influence the output`);
        const g = gk.toTypedArray() as Float64Array;
        const shape = inputs[inputIndex]!.shape;
        for (let j = 0; j < base.length; j++) {
          const value = (delta: number): number =>
            tidy(() => {
              const data = base.slice();
              data[j] = data[j]! + delta;
              const args = xs.map((x, i) => (i === inputIndex ? fromBuffer(data, 'float64', shape) : x));
              return objective(fn(...args)).item();
            });
          const numeric = (value(eps) - value(-eps)) / (2 * eps);
          const diff = Math.abs(numeric - g[j]!);
          worst = Math.max(worst, diff);
          if (diff > atol + rtol * Math.abs(numeric)) {
            assert.fail(`gradcheck: input ${inputIndex}, element ${j}: autograd ${g[j]} vs finite difference ${numeric} (|diff| ${diff})`);
          }
        }
      });
    });
    return worst;
  });
}
