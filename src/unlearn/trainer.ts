// One optimizer step of an unlearning method, inside whatever "space" the run restricts training to:
// all weights, the salient weights of a saliency mask (SalUn), or the cores of an SVD subspace (SEMU).
// Methods call step(loss) (or write .grad themselves and call applyGradients()), so every method composes
// with every block without knowing about it.
import type { Module } from '../nn/module.js';
import { SGD } from '../optim/sgd.js';
import { Adam } from '../optim/adam.js';
import { clipGradNorm } from '../optim/clip.js';
import type { Optimizer, BaseOptions, MaskMode } from '../optim/optimizer.js';
import type { Tensor } from '../torch/index.js';
import type { SaliencyMask } from './blocks/saliency.js';
import type { SvdSubspace } from './blocks/subspace.js';
import type { ParallelHooks } from '../train/parallel.js';

/** The optimizer an UnlearnTrainer builds: SGD by default, or Adam (which has no momentum option; maximize applies to both). */
export interface OptimRecipe {
  /** default 'sgd' (every classification reference); 'adam' for the diffusion ones */
  optimizer?: 'sgd' | 'adam';
  /** Learning rate; must be positive (RangeError otherwise). */
  lr: number;
  /** SGD momentum (default 0.9, the references' value) */
  momentum?: number;
  /** L2 weight decay (default 5e-4, the references' value) */
  weightDecay?: number;
  /** ascend instead of descend (SGD and Adam) */
  maximize?: boolean;
  /**
   * clip the global L2 norm of the trained tensors' gradients before each step (the diffusion references clip to
   * 1.0); in a subspace the cores' gradients are clipped, in a masked space all weights' (the mask acts after)
   */
  clipNorm?: number;
}

/** Where training happens. At most one of mask and subspace. */
export interface TrainingSpace {
  /** Train only the salient weights of this mask. */
  mask?: SaliencyMask;
  /** 'update' (default): non-salient weights exactly frozen; 'grad': the reference's leaky gradient masking */
  maskMode?: MaskMode;
  /** Train only this subspace's cores (the weights are rewritten from them after every step). */
  subspace?: SvdSubspace;
}

/** Thrown when a loss becomes NaN or infinite: the run stops and the original model is untouched. */
export class NonFiniteLossError extends Error {
  constructor(value: number, where: string) {
    super(`${where}: the loss became ${value}; training diverged. Lower the learning rate (the lr option, --lr on the command line) or check the data; the original model is unchanged.`);
    this.name = 'NonFiniteLossError';
  }
}

/** Callbacks around every optimizer step (e.g. SalUn-soft's proximal step after each update). */
export interface StepHooks {
  /** after the gradients are in place, before the weights change */
  beforeStep?: () => void;
  /** after the weights changed */
  afterStep?: () => void;
}

/**
 * One optimizer step at a time inside a run's training space (all weights, a saliency mask's salient weights, or an SVD
 * subspace's cores), with optional gradient clipping and data-parallel gradient averaging. Methods get one from
 * ctx.trainer(); it owns its optimizer, so dispose() it when done.
 */
export class UnlearnTrainer {
  /** The optimizer over the trained tensors (the cores in a subspace). */
  readonly optimizer: Optimizer<BaseOptions>;
  private readonly params: Tensor[];
  private readonly hooks: StepHooks[] = [];
  private readonly clipNorm: number | undefined;

  constructor(
    /** The model it trains, in place (not owned). */
    readonly model: Module,
    recipe: OptimRecipe,
    /** Where training happens: all weights, a mask's salient weights, or a subspace's cores. */
    readonly space: TrainingSpace = {},
    /** Names the run in error messages (e.g. the method's name). */
    readonly where = 'unlearning',
    /** data-parallel runs: gradients of the trained tensors are averaged over ranks before every step */
    readonly parallel?: Pick<ParallelHooks, 'syncGradients'>,
  ) {
    if (space.mask && space.subspace) throw new Error('a run can restrict training to a saliency mask or to an SVD subspace, not both');
    if (!(recipe.lr > 0)) throw new RangeError(`${where}: the learning rate must be positive, got ${recipe.lr}`);
    if (recipe.clipNorm !== undefined && !(recipe.clipNorm > 0)) throw new RangeError(`${where}: clipNorm must be positive, got ${recipe.clipNorm}`);
    this.clipNorm = recipe.clipNorm;
    const named = [...model.namedParameters()].filter(([, p]) => p.requiresGrad);
    this.params = space.subspace ? space.subspace.params() : named.map(([, p]) => p);
    const masks = space.mask ? named.map(([name]) => space.mask!.require(name)) : null;
    const maskMode = space.maskMode ?? 'update';
    const common = { lr: recipe.lr, weightDecay: recipe.weightDecay ?? 5e-4, maskMode, maximize: recipe.maximize ?? false };
    const group = { params: this.params, masks };
    this.optimizer =
      (recipe.optimizer ?? 'sgd') === 'adam'
        ? (new Adam([group], common) as unknown as Optimizer<BaseOptions>)
        : (new SGD([group], { ...common, momentum: recipe.momentum ?? 0.9 }) as unknown as Optimizer<BaseOptions>);
  }

  /** Backpropagates `loss` (a scalar) and takes one step; returns the loss value. */
  step(loss: Tensor): number {
    const value = loss.item();
    if (!Number.isFinite(value)) throw new NonFiniteLossError(value, this.where);
    this.model.zeroGrad();
    loss.backward();
    this.applyGradients();
    return value;
  }

  /** Takes one step with the gradients already in the parameters' .grad (for methods that build them). */
  applyGradients(): void {
    for (const h of this.hooks) h.beforeStep?.();
    if (this.space.subspace) this.space.subspace.pullGradients();
    // after pulling: in a subspace only the small cores travel between ranks
    this.parallel?.syncGradients({ params: this.params });
    if (this.clipNorm !== undefined) clipGradNorm(this.params, this.clipNorm);
    this.optimizer.step();
    if (this.space.subspace) this.space.subspace.pushWeights();
    this.optimizer.zeroGrad();
    for (const h of this.hooks) h.afterStep?.();
  }

  /** Registers callbacks around every step; returns this trainer. */
  addHooks(hooks: StepHooks): this {
    this.hooks.push(hooks);
    return this;
  }

  /** The learning rate (the first group's); setting it sets every group's for the next steps. */
  get lr(): number {
    return this.optimizer.paramGroups[0]!.lr;
  }
  set lr(value: number) {
    for (const g of this.optimizer.paramGroups) (g as { lr: number }).lr = value;
  }

  /** Number of trainable degrees of freedom in this space. */
  trainableCount(): number {
    if (this.space.subspace) return this.space.subspace.trainableCount();
    if (this.space.mask) return this.space.mask.count();
    return this.params.reduce((n, p) => n + p.numel(), 0);
  }

  /** Frees the optimizer's state. The model and the space's mask or subspace are not touched. */
  dispose(): void {
    this.optimizer.dispose();
  }
}
