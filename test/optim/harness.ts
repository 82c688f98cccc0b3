// Shared helpers for the optimizer tests: the same loop as the reference script in reference-values.ts.
import { tensor, type Tensor, type NestedArray } from '../../src/index.js';
import type { Optimizer, BaseOptions, MaskMode } from '../../src/optim/index.js';
import { P0, P1, G0, G1, M0 } from './reference-values.js';

export function makeParams(): [Tensor, Tensor] {
  return [tensor(P0, { dtype: 'float64', requiresGrad: true }), tensor(P1, { dtype: 'float64', requiresGrad: true })];
}

/** Gives p the gradient `values` (the parameter holds it; no JS handle stays alive). */
export function setGrad(p: Tensor, values: NestedArray): void {
  const g = tensor(values, { dtype: 'float64' });
  p.grad = g;
  g.dispose();
}

export interface RunOptions {
  steps?: number;
  /** steps at which p1 gets no gradient */
  skip1?: readonly number[];
  /** put M0 on p0 with this mode */
  maskMode?: MaskMode;
}

/** Runs the reference loop and returns [p0, p1] as nested arrays; disposes everything it made. */
export function runLikeTorch(make: (ps: [Tensor, Tensor], masks: (Tensor | null)[] | null) => Optimizer<BaseOptions>, o: RunOptions = {}): [NestedArray, NestedArray] {
  const ps = makeParams();
  const mask = o.maskMode === undefined ? null : tensor(M0, { dtype: 'float64' });
  const opt = make(ps, mask === null ? null : [mask, null]);
  for (let t = 0; t < (o.steps ?? 4); t++) {
    setGrad(ps[0], G0[t % 4]!);
    if (o.skip1?.includes(t)) ps[1].grad = null;
    else setGrad(ps[1], G1[t % 4]!);
    opt.step();
  }
  const out: [NestedArray, NestedArray] = [ps[0].toArray(), ps[1].toArray()];
  opt.dispose();
  mask?.dispose();
  ps.forEach((p) => p.dispose());
  return out;
}

/** Largest absolute elementwise difference of two equally shaped nested arrays. */
export function maxAbsDiff(a: NestedArray, b: NestedArray): number {
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return Infinity;
    return a.reduce<number>((m, x, i) => Math.max(m, maxAbsDiff(x, b[i]!)), 0);
  }
  return Math.abs(Number(a) - Number(b));
}
