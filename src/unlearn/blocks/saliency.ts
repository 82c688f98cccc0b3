// SalUn's weight-saliency mask (research/salun.md §1.1).
//
// G = Σ over forget batches of ∇θ ℓ_f (per-batch mean CE, model in eval mode), S = |G|; the mask keeps the
// k = floor(ratio · N) entries with the largest saliency over ALL parameters at once (a global ranking, not per
// layer), exactly k ones (ties broken by sort order, as torch.topk does), as 0/1 float tensors named like the
// parameters. Buffers (BatchNorm statistics) are not masked.
import type { Module } from '../../nn/module.js';
import { cat, keep, noGrad, tidy, zeros, zerosLike, type Tensor } from '../../torch/index.js';
import { disposeGradients, type Gradients } from './gradients.js';

/** A 0/1 float mask per parameter name; 1 = salient = trainable. */
export class SaliencyMask {
  constructor(
    /** The masks by parameter name, owned by this object (dispose() frees them). */
    readonly masks: Map<string, Tensor>,
    /** fraction of all parameter entries that are salient */
    readonly ratio: number,
  ) {}

  /** The mask of a parameter, or null when the parameter is not covered (it stays frozen). */
  get(name: string): Tensor | null {
    return this.masks.get(name) ?? null;
  }

  /** The mask of a parameter; every parameter of the model the mask was built for has one. */
  require(name: string): Tensor {
    const m = this.masks.get(name);
    if (m === undefined) throw new Error(`saliency mask: no entry for parameter '${name}' (was the mask built for another model?)`);
    return m;
  }

  /** Number of salient (trainable) entries. */
  count(): number {
    let n = 0;
    for (const m of this.masks.values()) n += tidy(() => m.sum().item());
    return n;
  }

  /**
   * Throws unless the mask can drive a run: disposed (its tensors gone), or selecting no weight (the run would train
   * nothing and hand back the original). `what` starts the message, e.g. 'saliency mask'.
   */
  checkUsable(what: string): void {
    if (this.disposed) throw new Error(`${what}: the precomputed mask was disposed; pass a live one`);
    if (this.count() === 0) throw new RangeError(`${what}: the precomputed mask selects no weight; nothing could change`);
  }

  /** True once dispose() has run: its tensors are gone. */
  get isDisposed(): boolean {
    return this.disposed;
  }

  private disposed = false;

  /** Frees every mask tensor and empties `masks`. Idempotent. */
  dispose(): void {
    this.disposed = true;
    for (const m of this.masks.values()) m.dispose();
    this.masks.clear();
  }
}

/** Builds the mask from accumulated gradients (consumed: the caller keeps ownership of `grads`). */
export function maskFromGradients(grads: Gradients, ratio: number): SaliencyMask {
  if (!(ratio > 0 && ratio <= 1)) throw new RangeError(`saliency mask: ratio must be in (0, 1], got ${ratio}`);
  const names = [...grads.keys()];
  const sizes = names.map((n) => grads.get(n)!.numel());
  const total = sizes.reduce((a, b) => a + b, 0);
  const k = Math.floor(total * ratio);
  if (k < 1) throw new RangeError(`saliency mask: ratio ${ratio} of ${total} parameters keeps no entry`);
  const flatMask = tidy(() =>
    noGrad(() => {
      const flat = cat(names.map((n) => grads.get(n)!.abs().flatten()));
      const [, idx] = flat.topk(k, 0, true, false);
      return zeros([total]).scatter(0, idx, 1);
    }),
  );
  const masks = new Map<string, Tensor>();
  let offset = 0;
  names.forEach((name, i) => {
    const shape = grads.get(name)!.shape;
    masks.set(name, keep(tidy(() => flatMask.narrow(0, offset, sizes[i]!).reshape(shape).contiguous())));
    offset += sizes[i]!;
  });
  flatMask.dispose();
  return new SaliencyMask(masks, k / total);
}

/**
 * Checks a list of mask ratios for one gradient pass (saliencyMasks, diffusionSaliencyMasks): at least one, each in
 * (0, 1], none repeated. `what` starts the message.
 */
export function checkMaskRatios(ratios: readonly number[], what: string): void {
  if (ratios.length === 0) throw new RangeError(`${what}: give at least one ratio`);
  for (const r of ratios) if (!(r > 0 && r <= 1)) throw new RangeError(`${what}: every ratio must be in (0, 1], got ${r}`);
  if (new Set(ratios).size !== ratios.length) throw new RangeError(`${what}: ratios repeat (${ratios.join(', ')})`);
}

/** The masks of several ratios from one set of gradients (left to the caller), all or none: on an error none is kept. */
export function masksFromGradients(grads: Gradients, ratios: readonly number[]): SaliencyMask[] {
  const masks: SaliencyMask[] = [];
  try {
    for (const r of ratios) masks.push(maskFromGradients(grads, r));
    return masks;
  } catch (e) {
    for (const m of masks) m.dispose();
    throw e;
  }
}

/**
 * Loads a mask from named tensors (e.g. a safetensors file), checking it against the model. Parameters the
 * file does not mention get an all-zero mask: they stay frozen.
 */
export function maskFromTensors(model: Module, tensors: ReadonlyMap<string, Tensor>): SaliencyMask {
  const params = new Map(model.namedParameters());
  const masks = new Map<string, Tensor>();
  let ones = 0;
  let total = 0;
  try {
    for (const [name, m] of tensors) {
      const p = params.get(name);
      if (p === undefined) throw new Error(`saliency mask: '${name}' is not a parameter of the model`);
      if (m.shape.join(',') !== p.shape.join(',')) {
        throw new Error(`saliency mask: '${name}' has shape [${m.shape}] but the parameter has [${p.shape}]`);
      }
      const f = keep(tidy(() => m.ne(0).to('float32')));
      masks.set(name, f);
      ones += tidy(() => f.sum().item());
      total += f.numel();
    }
    for (const [name, p] of params) {
      if (!masks.has(name)) {
        masks.set(name, keep(tidy(() => zerosLike(p, { dtype: 'float32' }))));
        total += p.numel();
      }
    }
  } catch (e) {
    for (const t of masks.values()) t.dispose();
    throw e;
  }
  return new SaliencyMask(masks, total === 0 ? 0 : ones / total);
}

export { disposeGradients };
