// Softmax outputs and accuracy of a model on a data set (eval mode, no augmentation, no gradients).
import type { Module } from '../nn/module.js';
import type { TensorDataset } from '../data/dataset.js';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
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

/** Options of evaluateSplit. */
export interface EvaluateSplitOptions {
  /** images per forward pass (default 512) */
  batchSize?: number;
  /** evaluate only these samples of the data set */
  indices?: Int32Array;
  /** the output width to expect (default the data set's class count; a wider head, e.g. BE's shadow class, is kept) */
  numClasses?: number;
}

/**
 * The evaluation of one data set as steps: it yields after each batch and returns the result, so that the same code
 * runs straight through (evaluateSplit) or yields to the event loop between batches (evaluateSplitAsync).
 */
export function* splitSteps(model: Module, data: TensorDataset, o: EvaluateSplitOptions, where: string): Generator<void, EvaluatedSplit> {
  model.checkLive(where);
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
      yield;
    }
  } finally {
    model.train(wasTraining);
  }
  return { probs, labels, predictions, numClasses: C, accuracy: n === 0 ? NaN : (100 * correct) / n };
}

/**
 * Runs the model over a data set (or the given subset of it) in eval mode and collects softmax probabilities,
 * predictions and top-1 accuracy. The model's train/eval mode is restored afterwards.
 */
export function evaluateSplit(model: Module, data: TensorDataset, o: EvaluateSplitOptions = {}): EvaluatedSplit {
  return runSteps(splitSteps(model, data, o, 'evaluateSplit'));
}

/**
 * evaluateSplit, yielding to the event loop between batches so that a signal (Ctrl-C) is seen: with `signal` aborted
 * it rejects with the signal's reason after the current batch, the model's mode restored.
 */
export function evaluateSplitAsync(model: Module, data: TensorDataset, o: EvaluateSplitOptions & { signal?: AbortSignal } = {}): Promise<EvaluatedSplit> {
  return runStepsAsync(splitSteps(model, data, o, 'evaluateSplit'), o.signal);
}

/** Runs steps straight through. */
export function runSteps<T>(steps: Generator<void, T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/** How many steps (batches) run between two yields to the event loop. */
const STEPS_PER_YIELD = 4;

/** Runs steps, yielding to the event loop every few of them and stopping (its finally blocks run) once `signal` aborts. */
export async function runStepsAsync<T>(steps: Generator<void, T>, signal?: AbortSignal): Promise<T> {
  try {
    for (let i = 1; ; i++) {
      signal?.throwIfAborted();
      const r = steps.next();
      if (r.done) return r.value;
      if (i % STEPS_PER_YIELD === 0) await yieldToLoop();
    }
  } finally {
    steps.return(undefined as T); // an abandoned evaluation still restores the model's mode and frees its batch
  }
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
