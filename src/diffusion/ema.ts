// Exponential moving average of a model's parameters (the weights DDPM samples with).
//
// shadow ← d·shadow + (1 − d)·θ after every optimizer step, with d = min(decay, (1 + n)/(10 + n)) at update n: the
// warm-up keeps a short CPU run (a few thousand steps) from sampling with weights still close to the random
// initialisation, which a fixed 0.9999 (the reference's value for 800k steps) would do. `warmup: false` gives the
// reference's fixed d from the first update. Buffers are not averaged.
import type { Module } from '../nn/module.js';
import { keep, noGrad, tidy, type Tensor } from '../torch/index.js';

/**
 * Exponential moving average of a model's parameters, the weights DDPM samples with: shadow ← d·shadow + (1 − d)·θ at
 * each update, d = min(decay, (1 + n)/(10 + n)) at update n. Owns its shadow tensors: dispose() frees them. Throws a
 * RangeError unless decay is in [0, 1).
 */
export class Ema {
  /** The averaged weights by parameter name, owned by the Ema. */
  readonly shadow = new Map<string, Tensor>();
  /** number of updates so far */
  updates = 0;

  /** Whether the decay warms up as min(decay, (1 + n)/(10 + n)) (default true) or is `decay` from the first update. */
  readonly warmup: boolean;

  constructor(
    model: Module,
    /** The decay d, reached after the warm-up. */
    readonly decay: number,
    o: { warmup?: boolean } = {},
  ) {
    this.warmup = o.warmup ?? true;
    if (!(decay >= 0 && decay < 1)) throw new RangeError(`EMA: decay must be in [0, 1), got ${decay}`);
    noGrad(() => {
      for (const [name, p] of model.namedParameters()) this.shadow.set(name, keep(tidy(() => p.detach().clone())));
    });
  }

  /** The decay used by the next update (with warm-up). */
  currentDecay(): number {
    return this.warmup ? Math.min(this.decay, (1 + this.updates) / (10 + this.updates)) : this.decay;
  }

  /**
   * Moves the averages towards the model's current parameters (call after each optimizer step); throws on a parameter
   * it does not know.
   */
  update(model: Module): void {
    const d = this.currentDecay();
    noGrad(() => {
      for (const [name, p] of model.namedParameters()) {
        const s = this.shadow.get(name);
        if (s === undefined) throw new Error(`EMA: the model has a parameter '${name}' the average does not know`);
        s.lerp_(p, 1 - d); // s + (1 − d)(p − s) = d·s + (1 − d)·p
      }
    });
    this.updates++;
  }

  /** Writes the averaged weights into a model of the same architecture (e.g. a clone used for sampling). */
  copyTo(model: Module): void {
    noGrad(() => {
      for (const [name, p] of model.namedParameters()) {
        const s = this.shadow.get(name);
        if (s === undefined) throw new Error(`EMA: no average for parameter '${name}'`);
        p.copy_(s);
      }
    });
  }

  /** Replaces the averages with the given tensors (copied), e.g. from a checkpoint. */
  load(tensors: ReadonlyMap<string, Tensor>, updates: number): void {
    noGrad(() => {
      for (const [name, s] of this.shadow) {
        const t = tensors.get(name);
        if (t === undefined) throw new Error(`EMA.load: no tensor for '${name}'`);
        s.copy_(t);
      }
    });
    this.updates = updates;
  }

  /** Frees the averaged weights. */
  dispose(): void {
    for (const t of this.shadow.values()) t.dispose();
    this.shadow.clear();
  }
}
