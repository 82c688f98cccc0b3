// Changing a classifier's output classes without touching the original model.
import { Linear } from '../nn/linear.js';
import { noGrad } from '../torch/autograd.js';
import { tidy } from '../torch/scope.js';
import type { ImageClassifier } from './classifier.js';
import { deepFreeze } from '../util/options.js';

/**
 * A copy of `model` whose head has `extra` more outputs (boundary expanding's shadow class). Rows of the
 * existing classes are copied; the new rows are drawn like a fresh PyTorch Linear's (so the new bias entries
 * come from the same default init). The copy's spec has the new numClasses; the original is unchanged.
 */
export function expandClasses<M extends ImageClassifier>(model: M, extra = 1): M {
  if (!Number.isInteger(extra) || extra < 1) throw new RangeError(`expandClasses: extra must be a positive integer, got ${extra}`);
  const copy = model.clone();
  try {
    const old = copy.head;
    const head = new Linear(old.inFeatures, old.outFeatures + extra, { bias: old.bias !== null });
    head.to({ device: old.weight.device, dtype: old.weight.dtype });
    noGrad(() =>
      tidy(() => {
        head.weight.narrow(0, 0, old.outFeatures).copy_(old.weight);
        const b = head.bias;
        if (b !== null && old.bias !== null) b.narrow(0, 0, old.outFeatures).copy_(old.bias);
      }),
    );
    head.requiresGrad_(old.weight.requiresGrad);
    head.train(old.training);
    copy.setSubmodule(copy.headName, head).dispose();
    copy._spec = deepFreeze({ ...copy._spec, numClasses: head.outFeatures });
    return copy;
  } catch (e) {
    copy.dispose();
    throw e;
  }
}
