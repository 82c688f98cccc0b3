// Softmax outputs and accuracy of a model on a data set (eval mode, no augmentation, no gradients).
import type { Module } from '../nn/module.js';
import type { TensorDataset } from '../data/dataset.js';
import { DataLoader } from '../data/loader.js';
import { noGrad, tidy } from '../torch/index.js';
import type { SplitOutputs } from './mia.js';

/**
 * Thrown when a model's outputs are not finite: its weights have blown up (a run that diverged without a NaN loss,
 * e.g. gradient ascent at a large learning rate), so no metric of it means anything.
 */
export class NonFiniteOutputError extends Error {
  constructor() {
    super('the model\u2019s outputs are not finite (its weights have blown up): the run diverged. Lower the learning rate (the lr option, --lr on the command line; for iu, whose one step alpha scales, lower alpha); the original model is unchanged.');
    this.name = 'NonFiniteOutputError';
  }
}

/** What evaluateSplit returns: softmax outputs, predictions and accuracy of a model on one data set. */
export interface EvaluatedSplit extends SplitOutputs {
  /** top-1 accuracy in percent (NaN for an empty split) */
  accuracy: number;
  /** predicted class per sample */
  predictions: Int32Array;
}

/**
 * Runs the model over a data set (or the given subset of it) in eval mode and collects softmax probabilities,
 * predictions and top-1 accuracy. The model's train/eval mode is restored afterwards.
 */
export function evaluateSplit(model: Module, data: TensorDataset, o: { batchSize?: number; indices?: Int32Array; numClasses?: number } = {}): EvaluatedSplit {
  model.checkLive('evaluateSplit');
  const wasTraining = model.training;
  model.eval();
  const n = o.indices?.length ?? data.size;
  let C = o.numClasses ?? data.numClasses;
  let probs = new Float32Array(n * C);
  const labels = new Int32Array(n);
  const predictions = new Int32Array(n);
  let pos = 0;
  let correct = 0;
  try {
    const loader = new DataLoader(data, { batchSize: o.batchSize ?? 512, ...(o.indices ? { indices: o.indices } : {}) });
    for (const batch of loader) {
      try {
        const [p, pred] = tidy(() =>
          noGrad(() => {
            const logits = model.forward(batch.x);
            const sm = logits.softmax(1);
            return [sm.toTypedArray() as Float32Array, logits.argmax(1).toTypedArray() as BigInt64Array] as const;
          }),
        );
        for (const v of p) if (Number.isNaN(v)) throw new NonFiniteOutputError(); // softmax of overflowed logits
        const width = p.length / batch.indices.length;
        if (width !== C) {
          // a model with a different head (e.g. boundary expanding's shadow class): keep its width
          if (pos !== 0) throw new Error(`evaluateSplit: inconsistent output width ${width} vs ${C}`);
          C = width;
          probs = new Float32Array(n * C);
        }
        probs.set(p, pos * C);
        const y = batch.y.toTypedArray() as BigInt64Array;
        for (let i = 0; i < batch.indices.length; i++) {
          labels[pos + i] = Number(y[i]);
          // (its softmax has no entry for that class: the accuracy would be quietly low and the MIA features NaN)
          if (labels[pos + i]! >= C) throw new RangeError(`evaluateSplit: '${data.name}' has label ${labels[pos + i]}, but the model has only ${C} outputs; evaluate it on data of its own classes`);
          predictions[pos + i] = Number(pred[i]);
          if (predictions[pos + i] === labels[pos + i]) correct++;
        }
        pos += batch.indices.length;
      } finally {
        batch.dispose();
      }
    }
  } finally {
    model.train(wasTraining);
  }
  return { probs, labels, predictions, numClasses: C, accuracy: n === 0 ? NaN : (100 * correct) / n };
}

/** Accuracy per class in percent (NaN for classes without samples). */
export function perClassAccuracy(split: EvaluatedSplit, numClasses = split.numClasses): number[] {
  const hit = new Array<number>(numClasses).fill(0);
  const count = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < split.labels.length; i++) {
    const y = split.labels[i]!;
    count[y]!++;
    if (split.predictions[i] === y) hit[y]!++;
  }
  return count.map((c, k) => (c === 0 ? NaN : (100 * hit[k]!) / c));
}
