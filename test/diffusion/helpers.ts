// Stub noise predictors with closed-form outputs, for hand-checked loss and sampler tests.
import { tensor, type Tensor } from '../../src/index.js';
import type { NoisePredictor } from '../../src/diffusion/index.js';

/** ε̂(x, t, y) = scale · x · (y + 1): depends on the label (so guidance and c′ matter), not on t. */
export function labelScaledStub(nullClass: number, scale = 0.5, param: Tensor | null = null): NoisePredictor & { calls: number[][] } {
  const calls: number[][] = [];
  return {
    nullClass,
    calls,
    forward(x: Tensor, _t: Tensor, y: Tensor): Tensor {
      calls.push((y.toArray() as number[]).map(Number));
      const factor = y.to('float32').add(1).mul(scale).reshape(-1, 1, 1, 1);
      const out = x.mul(factor);
      return param === null ? out : out.mul(param);
    },
  };
}

/** ε̂ = (y + 1) everywhere, whatever x is. */
export function constantStub(nullClass: number): NoisePredictor {
  return {
    nullClass,
    forward(x: Tensor, _t: Tensor, y: Tensor): Tensor {
      return x.mul(0).add(y.to('float32').add(1).reshape(-1, 1, 1, 1));
    },
  };
}

export const px = (values: number[][]): Tensor => tensor(values).reshape(values.length, 1, 1, values[0]!.length);
