// Boundary unlearning (Chen et al., CVPR 2023), two variants that move D_f across the decision boundary using
// D_f only. Reference: Unlearn-Saliency unlearn/boundary_sh.py and boundary_ex.py (research/salun.md §2).
//
// BS, boundary shrink: the frozen original θ_o (eval mode) takes one FGSM step per forget batch in pixel space,
//   x′ = round(255 · clip(x + ε·sign(∇_x CE(θ_o(x), y)), 0, 1)) / 255,   ε = 0.1,
// and its prediction on x′ — the nearest wrong class, or y itself when the attack fails — becomes the label the
// working model is fine-tuned on, for the CLEAN x.
// BE, boundary expanding: the head gets one extra "shadow" output (old rows copied, the new row initialised like
// a fresh Linear), every forget sample is trained towards the shadow class C, and the shadow output is pruned
// before the model is returned, so it predicts over the original C classes again. The reference release never
// prunes (its evaluation takes the argmax over C + 1 logits); keepShadow=true reproduces that.
import { autograd, crossEntropy, fullLike, noGrad, tidy, type Tensor } from '../../torch/index.js';
import { Linear } from '../../nn/linear.js';
import type { Module } from '../../nn/module.js';
import { ImageClassifier } from '../../models/classifier.js';
import { expandClasses } from '../../models/expand.js';
import type { CommonOptions, MethodContext, MethodDefinition } from '../method.js';
import { registerMethod } from '../registry.js';
import { bnModeOf, trainEpochs, trainMode, trainPass, type BatchNormOption } from './loop.js';
import { deepFreeze } from '../../util/options.js';

/** Options of boundary shrinking ('bs'): the common ones, bnMode, and the FGSM step epsilon in (0, 1] (default 0.1). */
export interface BoundaryShrinkOptions extends CommonOptions, BatchNormOption {
  /** FGSM step in pixel units of [0, 1] (reference: 0.1, hard-coded) */
  epsilon: number;
}

/** Options of boundary expanding ('be'): the common ones, bnMode, and keepShadow. */
export interface BoundaryExpandOptions extends CommonOptions, BatchNormOption {
  /** return the model with the C + 1-way head, as the reference release does (default false: pruned to C) */
  keepShadow: boolean;
}

/**
 * One FGSM step of `model` on (x, y) in [0, 1] pixel space, quantised to 1/255 (the reference's discretize).
 * The model's parameters get no gradient (only ∇_x is computed).
 */
export function fgsm(model: Module, x: Tensor, y: Tensor, epsilon: number): Tensor {
  return tidy(() => {
    const xa = noGrad(() => x.detach()).requiresGrad_(true);
    const [g] = autograd.grad(crossEntropy(model.forward(xa), y), [xa]);
    return noGrad(() => x.add(g!.sign().mul(epsilon)).clamp(0, 1).mul(255).round().div(255));
  });
}

/** BS's labels for a batch: argmax of the frozen model on the FGSM-perturbed images. */
export function nearestWrongLabels(original: Module, x: Tensor, y: Tensor, epsilon: number): Tensor {
  return tidy(() => {
    const adv = fgsm(original, x, y, epsilon);
    return noGrad(() => original.forward(adv).argmax(1));
  });
}

export const boundaryShrink: MethodDefinition<BoundaryShrinkOptions> = {
  name: 'bs',
  summary: 'boundary shrink: relabel each forget sample with the original model\u2019s prediction after one FGSM step (the nearest wrong class) and fine-tune on D_f',
  reference:
    'Unlearn-Saliency boundary_sh.py: FGSM epsilon 0.1 (hard-coded) in [0, 1] pixel space, quantised to 1/255, attacker = frozen copy of the original in eval mode; ' +
    'training on the clean images with the new labels, D_f only, BatchNorm in train mode (option bnMode=eval keeps the original statistics: a deviation); ' +
    'SGD momentum 0.9, wd 5e-4, batch 256, 10 epochs, lr 1e-5 (range 1e-6..1e-4).',
  defaults: { epochs: 10, lr: 1e-5, batchSize: 256, momentum: 0.9, weightDecay: 5e-4, augment: false, epsilon: 0.1, bnMode: 'train' },
  usesRetain: false,
  check(o) {
    if (!(o.epsilon > 0 && o.epsilon <= 1)) throw new RangeError(`bs: epsilon must be in (0, 1] (pixel units of [0, 1] images), got ${o.epsilon}`);
    bnModeOf('bs', o);
  },
  async run(ctx) {
    const { model, original, options: o } = ctx;
    const originalWasTraining = original.training;
    const trainer = ctx.trainer();
    try {
      trainMode(model, bnModeOf('bs', o));
      for (let e = 0; e < o.epochs; e++) {
        // counted per epoch: the attacker is the frozen original, so this is how many of D_f's labels the epoch moved
        let flipped = 0;
        let seen = 0;
        await trainPass(
          ctx,
          trainer,
          ctx.forgetLoader(e),
          (b) => {
            original.eval();
            const label = nearestWrongLabels(original, b.x, b.y, o.epsilon);
            flipped += noGrad(() => label.ne(b.y).sum().item());
            seen += b.indices.length;
            return crossEntropy(model.forward(b.x), label);
          },
          'bs',
          e,
          o.epochs,
        );
        await ctx.tick({ phase: 'bs', epoch: e, epochs: o.epochs, message: `epoch ${e + 1}: FGSM moved ${flipped}/${seen} forget samples to another class` });
      }
    } finally {
      trainer.dispose();
      original.train(originalWasTraining);
      model.train();
    }
    return model;
  },
};
registerMethod(boundaryShrink);

/** Replaces `model`'s head in place with a copy that has `extra` more outputs (rows copied; see expandClasses). */
function expandHeadInPlace(model: ImageClassifier, extra: number): void {
  const expanded = expandClasses(model, extra);
  try {
    // swap heads: the model takes the expanded one, the temporary copy takes the old one and frees it
    const old = model.setSubmodule(model.headName, expanded.head);
    expanded.setSubmodule(expanded.headName, old);
    model._spec = deepFreeze({ ...model._spec, numClasses: model.head.outFeatures });
  } finally {
    expanded.dispose();
  }
}

/** Replaces `model`'s head in place with its first `numClasses` outputs (BE's pruning of the shadow class). */
export function pruneHead(model: ImageClassifier, numClasses: number): void {
  const old = model.head;
  if (numClasses < 1 || numClasses > old.outFeatures) throw new RangeError(`pruneHead: numClasses must be in [1, ${old.outFeatures}], got ${numClasses}`);
  const head = new Linear(old.inFeatures, numClasses, { bias: old.bias !== null });
  try {
    head.to({ device: old.weight.device, dtype: old.weight.dtype });
    noGrad(() =>
      tidy(() => {
        head.weight.copy_(old.weight.narrow(0, 0, numClasses));
        const b = head.bias;
        if (b !== null && old.bias !== null) b.copy_(old.bias.narrow(0, 0, numClasses));
      }),
    );
    head.requiresGrad_(old.weight.requiresGrad);
    head.train(old.training);
  } catch (e) {
    head.dispose();
    throw e;
  }
  model.setSubmodule(model.headName, head).dispose();
  model._spec = deepFreeze({ ...model._spec, numClasses });
}

/** why be takes no mask or subspace: both are built for the original's C-way head */
const HEAD_RESHAPED = 'it changes the shape of the classifier head, which a block built for the original model cannot cover';

async function boundaryExpanding(ctx: MethodContext<BoundaryExpandOptions>): Promise<Module> {
  const { model, options: o, numClasses } = ctx;
  if (!(model instanceof ImageClassifier)) throw new TypeError('be: the model must be an image classifier with a Linear head (resnet18, resnet20, smallcnn, mlp)');
  if (model.numClasses !== numClasses) throw new Error(`be: the model has ${model.numClasses} outputs but the run has ${numClasses} classes`);
  // the working copy is the runner's to discard, so its head may be swapped in place; ctx.trainer() then covers the new head
  expandHeadInPlace(model, 1);
  await trainEpochs(ctx, 'be', ctx.forgetLoader, (b) => crossEntropy(model.forward(b.x), fullLike(b.y, numClasses)), { bnMode: bnModeOf('be', o) });
  if (!o.keepShadow) pruneHead(model, numClasses);
  // be trains every entry (it takes no mask or subspace): the count is the returned model's, without a pruned shadow row
  ctx.reportTrainable(model.numParameters());
  return model;
}

export const boundaryExpand: MethodDefinition<BoundaryExpandOptions> = {
  name: 'be',
  summary: 'boundary expanding: add a shadow class to the head, train D_f towards it, then prune the shadow output',
  reference:
    'Unlearn-Saliency boundary_ex.py: (C+1)-way head (old rows copied, new row default Linear init), every forget label = C, D_f only; SGD momentum 0.9, wd 5e-4, batch 256, ' +
    '10 epochs, lr 1e-5 (range 1e-6..1e-4; Scissorhands 5e-6). The shadow output is pruned before returning (the original paper and the third-party re-run); ' +
    'keepShadow=true reproduces the release, which never prunes it. BatchNorm in train mode (option bnMode=eval keeps the original statistics: a deviation).',
  defaults: { epochs: 10, lr: 1e-5, batchSize: 256, momentum: 0.9, weightDecay: 5e-4, augment: false, keepShadow: false, bnMode: 'train' },
  usesRetain: false,
  refusesBlocks: {
    mask: HEAD_RESHAPED,
    subspace: HEAD_RESHAPED,
  },
  check: (o) => void bnModeOf('be', o),
  run: boundaryExpanding,
};
registerMethod(boundaryExpand);
