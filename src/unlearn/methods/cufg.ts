// UFG and CUFG: fine-tuning on D_r whose gradient is corrected by the forgetting gradient; CUFG adds the
// easy-to-hard curriculum over D_f (research/cufg.md §2–4; reference coolpaperman/CUFG trainer/untrain.py).
//
// Every retain step: g_r = ∇ CE(retain batch) (train mode); g_f = mean over the current forget subset's batches
// of ∇ −CE (eval mode, a full pass, as the reference does; refreshEvery > 1 reuses it for that many steps, a
// labelled deviation that cuts the cost); the corrector gates and mixes them; then the optimizer steps.
// BatchNorm: the reference switches to eval mode for the forget pass (after the step's retain pass) and never
// switches back, so only the first retain pass of each epoch runs in train mode. Default: the paper's intent (train mode
// restored after each forget pass); bnLeak=true reproduces the reference.
import { autograd, crossEntropy, noGrad, tidy, type Tensor } from '../../torch/index.js';
import { type CommonOptions, type MethodContext, type MethodDefinition } from '../method.js';
import { oneOf } from '../../util/options.js';
import { registerMethod } from '../registry.js';
import { NonFiniteLossError } from '../trainer.js';
import { accumulateGradients, disposeGradients, type Gradients } from '../blocks/gradients.js';
import { correctGradients, CORRECTOR_DEFAULTS, forgetWeight, gateThreshold } from '../blocks/corrector.js';
import type { Module } from '../../nn/module.js';

/**
 * Options of UFG and CUFG: the common ones, the corrector's (CorrectorOptions; defaults CORRECTOR_DEFAULTS) and the
 * loop's.
 */
export interface CufgOptions extends CommonOptions {
  /** τ0, the gate threshold at stage 0 (default 0.45). */
  tau0: number;
  /** How much τ drops per stage (default 0.05). */
  tauStep: number;
  /** β = decay^epoch weights the forgetting direction (default 0.9). */
  decay: number;
  /** 'reference' (default) or 'weighted'; see CorrectorOptions. */
  normalization: string;
  /** a corrected step's length per tensor: 'unit' (reference) or 'retain' (‖g_r‖, a labelled deviation) */
  stepNorm: string;
  /** what the gate compares with τ: 'tensor' (reference: any tensor's cosine) or 'model' (the whole model's, a labelled deviation) */
  gate: string;
  /** epochs per τ stage when no curriculum is set (reference: 10, tied to ⌊e/10⌋); with one, τ follows the curriculum's stage (and stays at the last stage's value past K·E_s epochs) */
  stageEpochs: number;
  /** reproduce the reference's BatchNorm mode leak (default false) */
  bnLeak: boolean;
  /** recompute the forgetting gradient every N retain steps (reference: 1) */
  refreshEvery: number;
  /** batch size of the forget-gradient pass (reference: 256) */
  forgetBatchSize: number;
}

/** The corrector's settings from the options, every one checked (UFG and CUFG share them). */
function correctorSettings(name: string, options: CufgOptions) {
  if (!Number.isInteger(options.refreshEvery) || options.refreshEvery < 1) throw new RangeError(`${name}: refreshEvery must be a positive integer`);
  if (!Number.isInteger(options.stageEpochs) || options.stageEpochs < 1) throw new RangeError(`${name}: stageEpochs must be a positive integer, got ${options.stageEpochs}`);
  if (!Number.isInteger(options.forgetBatchSize) || options.forgetBatchSize < 1) throw new RangeError(`${name}: forgetBatchSize must be a positive integer, got ${options.forgetBatchSize}`);
  return {
    tau0: options.tau0,
    tauStep: options.tauStep,
    decay: options.decay,
    normalization: oneOf(name, 'normalization', options.normalization, ['reference', 'weighted'] as const),
    stepNorm: oneOf(name, 'stepNorm', options.stepNorm, ['unit', 'retain'] as const, { unit: 'the reference' }),
    gate: oneOf(name, 'gate', options.gate, ['tensor', 'model'] as const, { tensor: 'the reference' }),
  };
}

async function correctedFineTuning(ctx: MethodContext<CufgOptions>, name: string): Promise<Module> {
  const { model, options } = ctx;
  const corrector = correctorSettings(name, options);
  const params = [...model.namedParameters()].filter(([, p]) => p.requiresGrad);
  const curriculum = ctx.blocks.curriculum;
  const trainer = ctx.trainer();
  let forgetGrad: Gradients | null = null;
  let fired = 0;
  let steps = 0;
  try {
    for (let e = 0; e < options.epochs; e++) {
      const stage = curriculum ? curriculum.stageAt(e) : Math.floor(e / options.stageEpochs);
      const subset = curriculum?.subsetAt(e);
      model.train();
      let n = 0;
      const firedBefore = fired;
      const retain = ctx.retainLoader(e);
      for (const batch of retain) {
        try {
          // the reference's order: the retain pass first (in train mode it also moves BatchNorm's running statistics),
          // then the forget pass at the same weights (eval mode), then the corrected step
          const gr = tidy(() => {
            const loss = crossEntropy(model.forward(batch.x), batch.y);
            const value = loss.item();
            if (!Number.isFinite(value)) throw new NonFiniteLossError(value, name);
            const g = autograd.grad(loss, params.map(([, p]) => p), { allowUnused: true });
            // the corrector is non-linear: in data-parallel runs it must see the global g_r, not this rank's
            ctx.parallel?.averageTensors_(g.filter((t): t is Tensor => t !== null));
            return g;
          });
          try {
            if (forgetGrad === null || n % options.refreshEvery === 0) {
              if (forgetGrad) disposeGradients(forgetGrad);
              forgetGrad = forgetGradient(ctx, params, subset, e * 100003 + n);
              if (!options.bnLeak) model.train();
            }
            const gf = forgetGrad;
            tidy(() => {
              const out = correctGradients(gr, params.map(([k]) => gf.get(k) ?? null), corrector, e, stage);
              if (out.fired) fired++;
              noGrad(() => params.forEach(([, p], i) => (p.grad = out.grads[i] ?? null)));
              trainer.applyGradients();
              steps++;
            });
          } finally {
            for (const t of gr) t?.dispose();
          }
        } finally {
          batch.dispose();
        }
        n++;
        await ctx.tick({ phase: name, epoch: e, epochs: options.epochs, batch: n, batches: retain.length, message: `gate fired ${fired}/${steps}` });
      }
      // one line per epoch in plain logs: how often the correction (a unit-norm step per tensor) replaced the small
      // fine-tuning gradient is what decides how far the model moves at a given lr
      const tau = gateThreshold(corrector, stage);
      await ctx.tick({ phase: name, epoch: e, epochs: options.epochs, message: `epoch ${e + 1}/${options.epochs}: gate fired ${fired - firedBefore}/${n} steps (τ ${tau.toFixed(2)}, β ${forgetWeight(corrector, e).toFixed(3)}${subset ? `, stage ${stage + 1} with ${subset.length} forget samples` : ''})` });
    }
  } finally {
    if (forgetGrad) disposeGradients(forgetGrad);
    trainer.dispose();
    model.train();
  }
  return model;
}

/** Mean over forget batches of ∇ −CE, eval mode, the parameters untouched. */
function forgetGradient(ctx: MethodContext<CufgOptions>, params: [string, Tensor][], subset: Int32Array | undefined, salt: number): Gradients {
  const { model } = ctx;
  model.eval();
  const loader = ctx.loader(ctx.forget, 'cufg-forget', salt, { batchSize: ctx.options.forgetBatchSize, ...(subset ? { indices: subset } : {}) });
  const average = ctx.parallel;
  return accumulateGradients(model, loader, (b) => crossEntropy(model.forward(b.x), b.y).neg(), {
    params,
    reduce: 'mean',
    ...(average ? { allReduce: (sums: Tensor[]) => average.averageTensors_(sums) } : {}),
  });
}

/** 2: each step in the reference's order, the retain pass before the forget pass (BatchNorm's statistics move first) */
const REVISION = 2;

const DEFAULTS: CufgOptions = {
  epochs: 10,
  lr: 0.01,
  batchSize: 256,
  momentum: 0.9,
  weightDecay: 5e-4,
  augment: false,
  ...CORRECTOR_DEFAULTS,
  stageEpochs: 10,
  bnLeak: false,
  refreshEvery: 1,
  forgetBatchSize: 256,
};

export const ufg: MethodDefinition<CufgOptions> = {
  name: 'ufg',
  summary: 'UFG: fine-tuning on D_r with the gated, normalised forgetting-gradient corrector (no curriculum)',
  reference:
    'coolpaperman/CUFG untrain.py: tau0 0.45, tau step 0.05 per 10 epochs, beta 0.9^epoch, SGD momentum 0.9, wd 5e-4, lr 0.01 (SalUn default), batch 256, forget gradient recomputed every step. ' +
    'Default BN: train mode restored after the forget pass (reference leak: bnLeak=true). ' +
    'stepNorm=retain (a deviation) keeps the retain gradient\u2019s length for the corrected step, so lr stays a fine-tuning lr. ' +
    'gate=model (a deviation) compares one whole-model cosine with tau instead of any tensor\u2019s (small tensors open the reference\u2019s gate by chance).',
  defaults: DEFAULTS,
  usesRetain: true,
  revision: REVISION,
  check: (o) => void correctorSettings('ufg', o),
  run: (ctx) => correctedFineTuning(ctx, 'ufg'),
};
registerMethod(ufg);

export const cufg: MethodDefinition<CufgOptions> = {
  name: 'cufg',
  summary: 'CUFG: UFG with an easy-to-hard curriculum over loss-ranked forget subsets',
  reference:
    'UFG plus the curriculum: K stages of D_f ranked by the original model\u2019s per-sample loss, easiest (highest loss) first; tau drops per stage. ' +
    'The subset construction is a documented reconstruction (the reference does not publish it): K=3, 2 epochs per stage by default (reference code: 10).',
  defaults: { ...DEFAULTS, epochs: 6 },
  defaultBlocks: { curriculum: true },
  usesRetain: true,
  revision: REVISION,
  check: (o) => void correctorSettings('cufg', o),
  run: (ctx) => correctedFineTuning(ctx, 'cufg'),
};
registerMethod(cufg);
