// CUFG's easy-to-hard curriculum over the forget set (research/cufg.md §3–4).
//
// Each forget sample gets a difficulty score from the ORIGINAL model (default: its per-sample cross-entropy in
// eval mode). Samples are sorted ascending and cut into K equal contiguous chunks; chunk 0 holds the lowest
// loss (confidently memorised = hardest to forget), chunk K−1 the highest (weakly memorised = easiest). Stage s
// (epochs s·E_s … (s+1)·E_s − 1) uses chunk K−1−s: easy first, hard last. Each stage uses only its own chunk, as
// in the reference code. The building of the chunks is not public in the reference; this reconstruction and its
// alternatives (score, direction) are options.
import type { Module } from '../../nn/module.js';
import { DataLoader } from '../../data/loader.js';
import type { TensorDataset } from '../../data/dataset.js';
import { crossEntropy, noGrad, tidy } from '../../torch/index.js';
import { oneOf } from '../../util/options.js';
import { range } from '../../util/range.js';
import { BLOCK_CHOICES, BLOCK_DEFAULTS, type BlockChoice } from './settings.js';

/**
 * How a forget sample's difficulty is scored under the original model: its cross-entropy ('loss'), 1 − p_true
 * ('confidence'), or the prediction's entropy.
 */
export type DifficultyScore = BlockChoice<'curriculum', 'score'>;

/** A difficulty score's name, checked. */
function difficultyScore(value: unknown): DifficultyScore {
  return oneOf('curriculum', 'score', value, BLOCK_CHOICES.curriculum.score);
}

/**
 * Settings of the curriculum block. Throws a RangeError when stages, epochsPerStage or batchSize is not a positive
 * integer, or D_f has fewer samples than stages.
 */
export interface CurriculumOptions {
  /** number of stages K (default 3) */
  stages?: number;
  /** epochs per stage E_s (reference code: 10; default 2 so short runs still visit every stage) */
  epochsPerStage?: number;
  /** per-sample difficulty (default 'loss'; 'confidence' = 1 − p_true gives the same order; 'entropy' of the prediction) */
  score?: DifficultyScore;
  /** 'easy-first' (default: high loss first) or 'hard-first' (Kumar et al.'s low-uncertainty-first is 'hard-first' with score 'entropy') */
  order?: BlockChoice<'curriculum', 'order'>;
  /** Batch size of the scoring pass (default 256). */
  batchSize?: number;
  /**
   * Allow a run that ends before the last stage starts: only the stages it reaches are used (default false: an error).
   * The reference code does this silently: its stage is ⌊e/10⌋, so a run of 10 epochs or fewer only ever uses the
   * easiest subset.
   */
  partial?: boolean;
}

/**
 * The forget set cut into stages by difficulty, each used for epochsPerStage epochs in turn (built by buildCurriculum).
 */
export class Curriculum {
  constructor(
    /** forget-set positions (indices into D_f) per stage, in the order they are used */
    readonly stages: Int32Array[],
    /** Epochs each stage lasts. */
    readonly epochsPerStage: number,
    /** per-sample scores, indexed like D_f */
    readonly scores: Float32Array,
  ) {}

  /** The number of stages K. */
  get numStages(): number {
    return this.stages.length;
  }

  /** Total epochs the curriculum spans (K · E_s). */
  get totalEpochs(): number {
    return this.stages.length * this.epochsPerStage;
  }

  /** The stage index used at an epoch (the last stage continues if training runs longer). */
  stageAt(epoch: number): number {
    return Math.min(this.stages.length - 1, Math.floor(epoch / this.epochsPerStage));
  }

  /** The D_f positions used at an epoch. */
  subsetAt(epoch: number): Int32Array {
    return this.stages[this.stageAt(epoch)]!;
  }
}

/** Per-sample difficulty scores of the forget set under `model` (eval mode, no augmentation). */
export function difficultyScores(model: Module, forget: TensorDataset, score: DifficultyScore = 'loss', batchSize = 256): Float32Array {
  difficultyScore(score);
  const wasTraining = model.training;
  model.eval();
  const out = new Float32Array(forget.size);
  let pos = 0;
  try {
    for (const batch of new DataLoader(forget, { batchSize })) {
      try {
        const values = tidy(() =>
          noGrad(() => {
            const logits = model.forward(batch.x);
            if (score === 'loss') return crossEntropy(logits, batch.y, { reduction: 'none' }).toTypedArray();
            const p = logits.softmax(1);
            if (score === 'confidence') return p.gather(1, batch.y.unsqueeze(1)).squeeze(1).neg().add(1).toTypedArray();
            return p.mul(p.clampMin(1e-30).log()).sum(1).neg().toTypedArray();
          }),
        ) as Float32Array;
        out.set(values, pos);
        pos += values.length;
      } finally {
        batch.dispose();
      }
    }
  } finally {
    model.train(wasTraining);
  }
  return out;
}

/** The curriculum's settings with their defaults, checked against a forget set of `forgetSize` samples. */
export function curriculumSettings(o: CurriculumOptions, forgetSize: number) {
  const d = BLOCK_DEFAULTS.curriculum;
  const K = o.stages ?? d.stages;
  const epochsPerStage = o.epochsPerStage ?? d.epochsPerStage;
  if (!Number.isInteger(K) || K < 1) throw new RangeError(`curriculum: stages must be a positive integer, got ${K}`);
  if (!Number.isInteger(epochsPerStage) || epochsPerStage < 1) throw new RangeError(`curriculum: epochsPerStage must be a positive integer, got ${epochsPerStage}`);
  if (forgetSize < K) throw new RangeError(`curriculum: ${K} stages need at least ${K} forget samples, the forget set has ${forgetSize}`);
  const direction = oneOf('curriculum', 'order', o.order ?? d.order, BLOCK_CHOICES.curriculum.order);
  const score = difficultyScore(o.score ?? d.score);
  const batchSize = o.batchSize ?? d.batchSize;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`curriculum: batchSize must be a positive integer, got ${batchSize}`);
  const partial = o.partial ?? d.partial;
  if (typeof partial !== 'boolean') throw new RangeError(`curriculum: partial must be true or false, got ${String(partial)}`);
  return { K, epochsPerStage, direction, score, batchSize, partial };
}

/** Builds the curriculum from the original model's scores on D_f. */
export function buildCurriculum(original: Module, forget: TensorDataset, o: CurriculumOptions = {}): Curriculum {
  const { score, batchSize } = curriculumSettings(o, forget.size);
  return curriculumFromScores(difficultyScores(original, forget, score, batchSize), o);
}

/** The curriculum of per-sample scores already computed (indexed like D_f): several curricula from one scoring pass. */
export function curriculumFromScores(scores: Float32Array, o: CurriculumOptions = {}): Curriculum {
  const { K, epochsPerStage, direction } = curriculumSettings(o, scores.length);
  // ascending score, ties by index: a stable, documented order
  const order = range(0, scores.length).sort((a, b) => scores[a]! - scores[b]! || a - b);
  const chunks: Int32Array[] = [];
  for (let c = 0; c < K; c++) {
    const begin = Math.floor((c * order.length) / K);
    const end = Math.floor(((c + 1) * order.length) / K);
    chunks.push(order.slice(begin, end).sort());
  }
  // chunks[0] = lowest loss (hard); easy-first consumes from the last chunk
  const stages = direction === 'easy-first' ? chunks.reverse() : chunks;
  return new Curriculum(stages, epochsPerStage, scores);
}
