// Sequential: children named "0", "1", ... run in order, as torch.nn.Sequential.
import { tidy } from '../torch/scope.js';
import type { Tensor } from '../torch/tensor.js';
import { Module } from './module.js';

/** Runs its layers in order, as torch.nn.Sequential; children are named "0", "1", … and own their tensors. */
export class Sequential extends Module {
  constructor(...layers: Module[]) {
    super();
    for (const m of layers) this.append(m);
  }

  /** Adds a layer at the end under the next index name. */
  append(m: Module): this {
    this.registerModule(String(this._modules.size), m);
    return this;
  }

  /** The number of layers. */
  get length(): number {
    return this._modules.size;
  }

  /** The i-th layer (negative i counts from the end). */
  at(i: number): Module {
    const n = this._modules.size;
    const j = i < 0 ? i + n : i;
    const m = this._modules.get(String(j));
    if (m === undefined) throw new RangeError(`Sequential.at(${i}): index out of range for ${n} layer(s)`);
    return m;
  }

  [Symbol.iterator](): IterableIterator<Module> {
    return this._modules.values();
  }

  /** Runs the layers in order; intermediate outputs are freed, only the result survives. */
  forward(x: Tensor): Tensor {
    if (this._modules.size === 0) return x.view(x.shape); // a fresh handle, like Identity
    return tidy(() => {
      let h = x;
      for (const m of this._modules.values()) h = m.forward(h);
      return h;
    });
  }
}
