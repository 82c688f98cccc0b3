// SCRUB (Kurmanji et al., NeurIPS 2023, "Towards unbounded machine unlearning"): teacher–student distillation
// where the student (the working copy) moves away from the teacher (the original, eval mode, frozen) on D_f and
// stays close to it, and to the labels, on D_r. Reference: meghdadk/SCRUB small_scale_unlearning.ipynb with
// thirdparty/repdistiller/helper/loops.py train_distill and distiller_zoo/KD.py DistillKL.
//
// Epoch e = 1..E (lr × lrDecayRate for every lrDecayEpochs milestone m < e, repdistiller's adjust_learning_rate):
//   if e ≤ msteps: max pass over D_f, loss = −KL_T(teacher ‖ student)
//   then           min pass over D_r, loss = γ·CE(student(x), y) + α·KL_T(teacher ‖ student)
// KL_T(t ‖ s) = Σ softmax(t/T) · (log softmax(t/T) − log softmax(s/T)) · T² / batch (DistillKL: kl_div with sum, T²,
// divided by the batch size). One optimizer serves both passes; the student is in train mode throughout.
import { crossEntropy, klDiv, noGrad, tidy, type Tensor } from '../../torch/index.js';
import type { Module } from '../../nn/module.js';
import { type CommonOptions, type MethodContext, type MethodDefinition } from '../method.js';
import { oneOf } from '../../util/options.js';
import { registerMethod } from '../registry.js';
import { trainPass } from './loop.js';

/** Options of SCRUB ('scrub'); defaults follow the reference's small-scale notebook (Adam, lr 5e-4, batch 32). */
export interface ScrubOptions extends CommonOptions {
  /** 'adam' (small-scale notebook) or 'sgd' (large-scale notebook) */
  optimizer: string;
  /** epochs that start with a max step over D_f (reference msteps) */
  msteps: number;
  /** distillation temperature (reference kd_T) */
  kdT: number;
  /** weight of the KL term in the min step */
  alpha: number;
  /** weight of the cross-entropy term in the min step */
  gamma: number;
  /** batch size of the max pass over D_f (batchSize is the retain batch size) */
  forgetBatchSize: number;
  /** comma-separated 1-based epochs after which the lr is multiplied by lrDecayRate ('' = constant lr) */
  lrDecayEpochs: string;
  /** The lr factor at each of lrDecayEpochs (default 0.1). */
  lrDecayRate: number;
}

/** repdistiller's DistillKL: KL(softmax(teacher/T) ‖ softmax(student/T)) · T² / batch. */
export function distillKL(student: Tensor, teacher: Tensor, T: number): Tensor {
  return tidy(() => klDiv(student.div(T).logSoftmax(1), teacher.div(T).softmax(1), 'sum').mul(T * T).div(student.shape[0] ?? 1));
}

/** The lr of 1-based epoch `epoch`: base × rate^(number of milestones strictly below epoch). */
export function scrubLr(base: number, epoch: number, milestones: readonly number[], rate: number): number {
  const steps = milestones.filter((m) => epoch > m).length;
  return steps > 0 ? base * rate ** steps : base;
}

function parseEpochList(text: string, where: string): number[] {
  if (text.trim() === '') return [];
  const out = text.split(',').map((s) => Number(s.trim()));
  if (out.some((m) => !Number.isInteger(m) || m < 1)) throw new RangeError(`${where}: lrDecayEpochs must be comma-separated positive integers, got '${text}'`);
  return out;
}

function checkOptions(o: ScrubOptions): number[] {
  oneOf('scrub', 'optimizer', o.optimizer, ['adam', 'sgd'] as const);
  if (!Number.isInteger(o.msteps) || o.msteps < 0) throw new RangeError(`scrub: msteps must be a non-negative integer, got ${o.msteps}`);
  if (!(o.kdT > 0)) throw new RangeError(`scrub: kdT must be positive, got ${o.kdT}`);
  if (!(o.alpha >= 0)) throw new RangeError(`scrub: alpha must be ≥ 0, got ${o.alpha}`);
  if (!(o.gamma >= 0)) throw new RangeError(`scrub: gamma must be ≥ 0, got ${o.gamma}`);
  if (o.alpha === 0 && o.gamma === 0) throw new RangeError('scrub: alpha and gamma are both 0, so the min step would train nothing');
  if (!Number.isInteger(o.forgetBatchSize) || o.forgetBatchSize < 1) throw new RangeError(`scrub: forgetBatchSize must be a positive integer, got ${o.forgetBatchSize}`);
  if (!(o.lrDecayRate > 0 && o.lrDecayRate <= 1)) throw new RangeError(`scrub: lrDecayRate must be in (0, 1], got ${o.lrDecayRate}`);
  return parseEpochList(o.lrDecayEpochs, 'scrub');
}

async function scrub(ctx: MethodContext<ScrubOptions>): Promise<Module> {
  const { model, original: teacher, options: o } = ctx;
  const milestones = checkOptions(o);
  const teacherWasTraining = teacher.training;
  const trainer = ctx.trainer({ optimizer: o.optimizer as 'adam' | 'sgd' });
  const teacherLogits = (x: Tensor): Tensor => {
    teacher.eval();
    return noGrad(() => teacher.forward(x));
  };
  try {
    for (let e = 0; e < o.epochs; e++) {
      trainer.lr = scrubLr(o.lr, e + 1, milestones, o.lrDecayRate);
      model.train();
      if (e + 1 <= o.msteps) {
        const subset = ctx.blocks.curriculum?.subsetAt(e);
        const forget = ctx.loader(ctx.forget, 'scrub-forget', e, { batchSize: o.forgetBatchSize, ...(subset ? { indices: subset } : {}) });
        await trainPass(ctx, trainer, forget, (b) => distillKL(model.forward(b.x), teacherLogits(b.x), o.kdT).neg(), 'scrub max', e, o.epochs);
      }
      await trainPass(
        ctx,
        trainer,
        ctx.retainLoader(e),
        (b) => {
          const logits = model.forward(b.x);
          return crossEntropy(logits, b.y).mul(o.gamma).add(distillKL(logits, teacherLogits(b.x), o.kdT).mul(o.alpha));
        },
        'scrub min',
        e,
        o.epochs,
      );
    }
  } finally {
    trainer.dispose();
    teacher.train(teacherWasTraining);
  }
  return model;
}

export const scrubMethod: MethodDefinition<ScrubOptions> = {
  name: 'scrub',
  summary: 'SCRUB: the student moves away from the original (teacher) on D_f (max steps) and distils it on D_r (min steps)',
  reference:
    'meghdadk/SCRUB small_scale_unlearning.ipynb: Adam lr 5e-4 with weight decay 0.1, 10 epochs, msteps 3, kd_T 2, alpha 0.5, gamma 1, retain batch 32, forget batch 64, ' +
    'lr ×0.1 after epochs 5, 8, 9; KL = repdistiller DistillKL (T², batch mean). The large-scale notebook (CIFAR-10, ResNet) uses SGD momentum 0.9, wd 5e-4, ' +
    'lr 5e-4, 3 epochs, msteps 2, kd_T 4, alpha 0.001, gamma 0.99, retain batch 256 (batchSize), forget batch 512 (forgetBatchSize): set those options for that setting.',
  defaults: {
    epochs: 10,
    lr: 5e-4,
    batchSize: 32,
    momentum: 0.9,
    weightDecay: 0.1,
    augment: false,
    optimizer: 'adam',
    msteps: 3,
    kdT: 2,
    alpha: 0.5,
    gamma: 1,
    forgetBatchSize: 64,
    lrDecayEpochs: '5,8,9',
    lrDecayRate: 0.1,
  },
  usesRetain: true,
  check: (o) => void checkOptions(o),
  run: scrub,
};
registerMethod(scrubMethod);
