// Evaluation of a class-conditional generator after forgetting one class (SalUn's DDPM protocol, scaled down):
//   UA  = share of the samples generated for the forgotten class that the classifier does NOT put in that class;
//   per-class accuracy of the classifier on samples generated for each class;
//   a Fréchet distance between the classifier's penultimate features of generated samples of the remaining classes
//   and of real test images of those classes. This is Lethe's classifier-feature Fréchet distance, NOT Inception
//   FID: only its relative values (before/after unlearning, between methods) mean something.
import type { TensorDataset } from '../data/dataset.js';
import { DataLoader } from '../data/loader.js';
import type { ImageClassifier } from '../models/classifier.js';
import { cat, keep, noGrad, tidy, zerosLike, type Tensor } from '../torch/index.js';
import { indicesOfClasses, toClassifierInput } from './data.js';
import { frechetDistance } from './frechet.js';
import { defaultDdimSteps, sampleImages, type SampleOptions } from './samplers.js';
import { timestepTensor, type NoiseSchedule } from './schedule.js';
import type { UNet } from './unet.js';

/** The caveat every report prints beside the Fréchet distance: it is not Inception FID. */
export const FRECHET_NOTE = 'Fréchet distance on the penultimate features of Lethe\'s Fashion-MNIST classifier (not Inception FID; compare only within this benchmark)';

export interface ClassifiedImages {
  predictions: Int32Array;
  /** float32 [N, D], owned by the caller */
  features: Tensor;
}

/** Classifier predictions and penultimate features of [0, 1] images at the classifier's input size. */
export function classifyImages(classifier: ImageClassifier, images01: Tensor, batchSize = 500): ClassifiedImages {
  const wasTraining = classifier.training;
  classifier.eval();
  const n = images01.shape[0]!;
  const predictions = new Int32Array(n);
  const feats: Tensor[] = [];
  try {
    for (let s = 0; s < n; s += batchSize) {
      const len = Math.min(batchSize, n - s);
      feats.push(
        keep(
          tidy(() =>
            noGrad(() => {
              const f = classifier.features(images01.narrow(0, s, len));
              const pred = classifier.head.forward(f).argmax(1).toTypedArray() as BigInt64Array;
              for (let i = 0; i < len; i++) predictions[s + i] = Number(pred[i]);
              return f;
            }),
          ),
        ),
      );
    }
    const features = feats.length === 1 ? feats[0]! : keep(cat(feats));
    if (feats.length > 1) for (const f of feats) f.dispose();
    feats.length = 0;
    return { predictions, features };
  } finally {
    for (const f of feats) f.dispose();
    classifier.train(wasTraining);
  }
}

/** Penultimate features of real images of the given samples of a [0, 1] dataset (e.g. the test set). */
export function realFeatures(classifier: ImageClassifier, data: TensorDataset, indices: Int32Array): Tensor {
  const loader = new DataLoader(data, { batchSize: 500, indices });
  const parts: Tensor[] = [];
  const wasTraining = classifier.training;
  classifier.eval();
  try {
    for (const batch of loader) {
      try {
        parts.push(keep(tidy(() => noGrad(() => classifier.features(batch.x)))));
      } finally {
        batch.dispose();
      }
    }
    return keep(cat(parts));
  } finally {
    for (const p of parts) p.dispose();
    classifier.train(wasTraining);
  }
}

/** Labels for `perClass` samples of each class in `classes`, class-major (the row order of a sample grid). */
export function gridLabels(classes: readonly number[], perClass: number): number[] {
  return classes.flatMap((c) => new Array<number>(perClass).fill(c));
}

/**
 * Options of evaluateGenerator: the sampler's options and the sample counts. Throws a RangeError when forgetClass is
 * not a class of the model.
 */
export interface GenerationEvalOptions extends Omit<SampleOptions, 'onStep'> {
  /** The forgotten class, in [0, numClasses). */
  forgetClass: number;
  /** samples generated for the forgotten class (default 200; the reference uses 500) */
  samplesForget?: number;
  /** samples generated for each remaining class (default 50) */
  samplesPerClass?: number;
  /** real test images per remaining class for the Fréchet distance (default: all of them) */
  realPerClass?: number;
  /** sees the generated images [N, C, S, S] in [−1, 1] and their labels before they are freed (e.g. to draw a grid) */
  onImages?: (images: Tensor, labels: readonly number[]) => void;
  /** Called after each denoising step with the steps done and to do, over all batches. */
  onProgress?: (p: { done: number; total: number }) => void;
}

/**
 * What evaluateGenerator returns: UA, per-class and remaining accuracy of generated samples, and the classifier-feature
 * Fréchet distance.
 */
export interface GenerationReport {
  /** The forgotten class. */
  forgetClass: number;
  /** unlearning accuracy in percent: samples of the forgotten class not classified as it */
  ua: number;
  /** how the forgotten class's samples were classified: count per predicted class */
  forgetPredictions: number[];
  /** per class: classifier accuracy in percent on the samples generated for it */
  perClassAccuracy: number[];
  /** mean of perClassAccuracy over the remaining classes */
  remainingAccuracy: number;
  /** classifier-feature Fréchet distance, generated vs real test images of the remaining classes */
  frechet: number;
  /** FRECHET_NOTE: what the Fréchet distance is, and is not. */
  frechetNote: string;
  /** Samples generated for the forgotten class and per other class, and the real images compared. */
  samples: { forget: number; perRemainingClass: number; realImages: number };
  /** The sampler's settings. */
  sampler: { sampler: string; steps: number; eta: number; guidance: number };
  /** Wall time of the evaluation. */
  seconds: number;
}

/** Generates, classifies and scores; `realTest` is the real test set ([0, 1] images at the classifier's size). */
export async function evaluateGenerator(
  model: UNet,
  schedule: NoiseSchedule,
  classifier: ImageClassifier,
  realTest: TensorDataset,
  o: GenerationEvalOptions,
): Promise<GenerationReport> {
  const start = performance.now();
  const C = model.config.numClasses;
  const f = o.forgetClass;
  if (!Number.isInteger(f) || f < 0 || f >= C) throw new RangeError(`evaluateGenerator: forgetClass must be a class in [0, ${C}), got ${f}`);
  const nf = o.samplesForget ?? 200;
  const np = o.samplesPerClass ?? 50;
  const remaining = Array.from({ length: C }, (_, c) => c).filter((c) => c !== f);
  const labels = [...new Array<number>(nf).fill(f), ...gridLabels(remaining, np)];
  const crop = realTest.imageShape[1];
  const { onProgress, onImages, forgetClass: _f, samplesForget: _n, samplesPerClass: _p, realPerClass: _r, ...sampleOpts } = o;
  const steps = o.sampler === 'ddpm' ? schedule.timesteps : (o.steps ?? defaultDdimSteps(schedule.timesteps));
  const images = await sampleImages(model, schedule, labels, {
    ...sampleOpts,
    ...(onProgress ? { onStep: (p) => onProgress({ done: (p.batch - 1) * steps + p.step, total: p.batches * steps }) } : {}),
  });
  let classified: ClassifiedImages | null = null;
  let real: Tensor | null = null;
  let genRemaining: Tensor | null = null;
  try {
    onImages?.(images, labels);
    classified = tidy(() => classifyImages(classifier, toClassifierInput(images, crop)));
    const hits = new Array<number>(C).fill(0);
    const counts = new Array<number>(C).fill(0);
    const forgetPredictions = new Array<number>(C).fill(0);
    labels.forEach((y, i) => {
      const p = classified!.predictions[i]!;
      counts[y]!++;
      if (p === y) hits[y]!++;
      if (y === f) forgetPredictions[p]!++;
    });
    const perClassAccuracy = counts.map((n, c) => (n === 0 ? NaN : (100 * hits[c]!) / n));
    const ua = 100 - perClassAccuracy[f]!;
    const remainingAccuracy = remaining.reduce((s, c) => s + perClassAccuracy[c]!, 0) / remaining.length;
    genRemaining = classified.features.narrow(0, nf, labels.length - nf);
    const realIdx = o.realPerClass === undefined ? indicesOfClasses(realTest, [f], true) : Int32Array.from(remaining.flatMap((c) => Array.from(indicesOfClasses(realTest, [c]).subarray(0, o.realPerClass))));
    real = realFeatures(classifier, realTest, realIdx);
    const frechet = frechetDistance(genRemaining, real);
    return {
      forgetClass: f,
      ua,
      forgetPredictions,
      perClassAccuracy,
      remainingAccuracy,
      frechet,
      frechetNote: FRECHET_NOTE,
      samples: { forget: nf, perRemainingClass: np, realImages: realIdx.length },
      sampler: { sampler: o.sampler ?? 'ddim', steps, eta: o.eta ?? 1, guidance: o.guidance ?? 2 },
      seconds: (performance.now() - start) / 1000,
    };
  } finally {
    images.dispose();
    classified?.features.dispose();
    genRemaining?.dispose();
    real?.dispose();
  }
}

/**
 * The first `perClass` images of every class as [numClasses·perClass, C, S, S], class-major (one grid row per
 * class). Missing images (a class with fewer samples) are all-zero, which a grid draws as its mid-gray background.
 */
export function pickPerClass(images: Tensor, labels: readonly number[], numClasses: number, perClass: number): Tensor {
  const blank = images.shape[0]!; // index of the zero image appended below
  const picked: number[] = [];
  for (let c = 0; c < numClasses; c++) {
    const mine = labels.flatMap((y, i) => (y === c ? [i] : [])).slice(0, perClass);
    picked.push(...mine, ...new Array<number>(perClass - mine.length).fill(blank));
  }
  return tidy(() => cat([images, zerosLike(images.narrow(0, 0, 1))]).indexSelect(0, timestepTensor(picked)));
}
