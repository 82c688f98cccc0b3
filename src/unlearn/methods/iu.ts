// IU: influence unlearning, the one-shot WoodFisher update of the reference (Unlearn-Saliency / Unlearn-Sparse
// unlearn/Wfisher.py; research/salun.md §2 "IU step by step"). No training loop, no optimizer.
//
// With the model in eval mode and every parameter flattened into one vector (in namedParameters order):
//   g_f = Σ over D_f of per-sample gradients of CE (computed as per-batch-mean gradient × batch size)
//   g_r = the same over D_r;  n = |D_f| + |D_r|
//   v   = g_f / n − |D_f| / (n·|D_r|) · g_r
//   k = v; o = ∇ of the first retain sample; for each later retain sample g (batch 1, dataset order):
//       t = o·g;  k ← k − (k·g / (N + t))·o;  o ← o − (t / (N + t))·o
//   and stop once N + 2 samples were read (the reference's `if idx > N: return`), N = 1000.
//   θ ← θ + α·k
// The reference's quirk is kept: o is only ever rescaled, so it stays parallel to the first sample's gradient
// (an inverse-Fisher estimate of rank one). The order of the float32 operations follows the reference's.
import { autograd, cat, crossEntropy, keep, noGrad, tidy, zeros, zerosLike, type Tensor } from '../../torch/index.js';
import { DataLoader } from '../../data/loader.js';
import type { TensorDataset } from '../../data/dataset.js';
import type { Module } from '../../nn/module.js';
import type { CommonOptions, MethodContext, MethodDefinition } from '../method.js';
import { registerMethod } from '../registry.js';

/**
 * Options of influence unlearning ('iu'). It takes no training steps: epochs, lr, momentum and weightDecay stay at 0
 * (another value is an error).
 */
export interface IuOptions extends CommonOptions {
  /** step size of θ ← θ + α·k (reference default 0.2; the papers tune it in 1..20, Scissorhands uses 10) */
  alpha: number;
  /** WoodFisher N: the damping constant and the number of retain samples read (N + 2), reference 1000 */
  woodfisherN: number;
}

const DEFAULTS: IuOptions = {
  // IU takes no training steps: these four are fixed (changing them is an error, not silently ignored)
  epochs: 0,
  lr: 0,
  momentum: 0,
  weightDecay: 0,
  /** batch size of the two gradient sums (reference 256; the sums do not depend on it in eval mode) */
  batchSize: 256,
  augment: false,
  alpha: 0.2,
  woodfisherN: 1000,
};

type Named = [string, Tensor][];

/** The flattened gradient of `loss` w.r.t. `params` (zeros for a parameter the loss does not use). */
function flatGrad(loss: Tensor, params: Named): Tensor {
  return tidy(() => {
    const grads = autograd.grad(loss, params.map(([, p]) => p), { allowUnused: true });
    return noGrad(() => cat(grads.map((g, i) => (g ?? zerosLike(params[i]![1])).reshape(-1))));
  });
}

/** Σ over `data` of per-sample gradients, as Σ_batches (batch-mean gradient × batch size). */
async function gradientSum(ctx: MethodContext<IuOptions>, data: TensorDataset, params: Named, numel: number, phase: string): Promise<Tensor> {
  const { model, options } = ctx;
  const sum = keep(zeros([numel]));
  try {
    const loader = new DataLoader(data, { batchSize: options.batchSize, ...(options.augment ? { augment: { cropPadding: 4, flip: true } } : {}) });
    let b = 0;
    for (const batch of loader) {
      try {
        tidy(() => {
          const loss = crossEntropy(model.forward(batch.x), batch.y);
          const value = loss.item();
          if (!Number.isFinite(value)) throw new Error(`iu: the loss is ${value} on a ${phase} batch; the model or data is broken (NaN/Inf)`);
          const g = flatGrad(loss, params);
          noGrad(() => sum.add_(g.mul(batch.indices.length)));
        });
      } finally {
        batch.dispose();
      }
      b++;
      await ctx.tick({ phase: `iu ${phase} gradient`, batch: b, batches: loader.length });
    }
    return sum;
  } catch (e) {
    sum.dispose();
    throw e;
  }
}

/** The WoodFisher recursion over the retain samples (batch 1, dataset order); returns k (owned by the caller). */
async function woodfisher(ctx: MethodContext<IuOptions>, v: Tensor, params: Named): Promise<Tensor> {
  const { model, options } = ctx;
  const N = options.woodfisherN;
  const k = keep(noGrad(() => v.clone()));
  let o: Tensor | null = null;
  try {
    const loader = new DataLoader(ctx.retain, { batchSize: 1, ...(options.augment ? { augment: { cropPadding: 4, flip: true } } : {}) });
    const total = Math.min(loader.length, N + 2);
    let idx = 0;
    for (const batch of loader) {
      try {
        tidy(() => {
          const g = flatGrad(crossEntropy(model.forward(batch.x), batch.y), params);
          noGrad(() => {
            if (o === null) {
              o = keep(g.clone());
            } else {
              const t = o.dot(g);
              k.sub_(o.mul(k.dot(g).div(t.add(N))));
              o.sub_(o.mul(t.div(t.add(N))));
            }
          });
        });
      } finally {
        batch.dispose();
      }
      if (idx % 16 === 0 || idx + 1 === total) await ctx.tick({ phase: 'iu woodfisher', batch: idx + 1, batches: total });
      if (idx > N) break;
      idx++;
    }
    if (!noGrad(() => tidy(() => k.isfinite().all().item()))) throw new Error('iu: the WoodFisher update is not finite (NaN/Inf); the model or data is broken');
    return k;
  } catch (e) {
    k.dispose();
    throw e;
  } finally {
    (o as Tensor | null)?.dispose();
  }
}

function checkIu(o: IuOptions): void {
  for (const key of ['epochs', 'lr', 'momentum', 'weightDecay'] as const) {
    if (o[key] !== DEFAULTS[key]) throw new Error(`iu is a one-shot update without training steps: option '${key}' has no effect (use alpha to scale the update)`);
  }
  if (!(o.alpha > 0)) throw new RangeError(`iu: alpha must be positive, got ${o.alpha}`);
  if (!Number.isInteger(o.woodfisherN) || o.woodfisherN < 1) throw new RangeError(`iu: woodfisherN must be a positive integer, got ${o.woodfisherN}`);
}

async function influenceUnlearn(ctx: MethodContext<IuOptions>): Promise<Module> {
  const { model, options: o, blocks } = ctx;

  const params: Named = [...model.namedParameters()].filter(([, p]) => p.requiresGrad);
  if (params.length === 0) throw new Error('iu: the model has no trainable parameter');
  const numel = params.reduce((n, [, p]) => n + p.numel(), 0);
  const wasTraining = model.training;
  model.eval();
  const owned: Tensor[] = [];
  try {
    const gf = await gradientSum(ctx, ctx.forget, params, numel, 'forget');
    owned.push(gf);
    const gr = await gradientSum(ctx, ctx.retain, params, numel, 'retain');
    owned.push(gr);
    const nf = ctx.forget.size;
    const nr = ctx.retain.size;
    // the reference scales both sums in place with Python floats, then subtracts
    const v = keep(
      noGrad(() => {
        gr.mul_(nf / ((nf + nr) * nr));
        gf.div_(nf + nr);
        return gf.sub(gr);
      }),
    );
    owned.push(v);
    const k = await woodfisher(ctx, v, params);
    owned.push(k);
    noGrad(() =>
      tidy(() => {
        const perturb = k.mul(o.alpha);
        let offset = 0;
        for (const [name, p] of params) {
          let step = perturb.narrow(0, offset, p.numel()).view(p.shape);
          if (blocks.mask) step = step.mul(blocks.mask.require(name));
          p.add_(step);
          offset += p.numel();
        }
      }),
    );
    ctx.reportTrainable(blocks.mask ? blocks.mask.count() : params.reduce((n, [, p]) => n + p.numel(), 0));
    return model;
  } finally {
    for (const t of owned) t.dispose();
    model.train(wasTraining);
  }
}

export const iu: MethodDefinition<IuOptions> = {
  name: 'iu',
  summary: 'influence unlearning: one WoodFisher (inverse-Fisher) step θ ← θ + α·k from the forget and retain gradients',
  reference:
    'Unlearn-Saliency/Unlearn-Sparse Wfisher.py: eval mode, gradient sums over D_f and D_r, WoodFisher recursion over the first N + 2 retain samples (batch 1, dataset order, N = 1000), ' +
    'o kept parallel to the first sample gradient (reference quirk, kept), alpha = 0.2 (repository default; the papers tune 1..20). A saliency mask restricts the update to salient entries, as the reference does.',
  defaults: DEFAULTS,
  usesRetain: true,
  refusesBlocks: {
    subspace: 'it updates the weights in one shot, not through the subspace\u2019s trained cores',
    curriculum: 'it has no epochs for a curriculum to schedule',
  },
  tunedOption: 'alpha',
  check: checkIu,
  run: influenceUnlearn,
};
registerMethod(iu);
