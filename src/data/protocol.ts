// The whole data side of the benchmark protocol (docs/PROTOCOL.md) in one call: hold out a validation part of
// every class, then pick the forget set from what remains, both from one seed, with every index translated
// back to the full dataset, so pretraining, retraining and unlearning cannot disagree about who is who.
import { selectForgetSet, type ForgetSpec } from './forget.js';
import type { Seed } from './random.js';
import { labelValues, trainValSplit } from './split.js';

/** What protocolSplit returns: the protocol's four index sets, all into the full training dataset. */
export interface ProtocolSplit {
  /** training samples (D_f ∪ D_r), indices into the full dataset, ascending */
  train: Int32Array;
  /** validation samples, indices into the full dataset, ascending */
  val: Int32Array;
  /** D_f, indices into the full dataset, ascending */
  forget: Int32Array;
  /** D_r, indices into the full dataset, ascending */
  retain: Int32Array;
  /** the forgotten classes, for class-wise specs */
  classes?: number[];
  /** e.g. "val 10% per class (6000); forget: random 10% = 5400 of 54000 training samples (seed 1)" */
  description: string;
}

/**
 * trainValSplit(labels, {fraction: valFraction, seed}) then selectForgetSet(spec, labels[train], {seed, …}),
 * with the forget/retain positions mapped back through `train`. An `indices:FILE` spec lists positions in the
 * training part (as selectForgetSet documents).
 */
export function protocolSplit(
  labels: Int32Array | Uint8Array | readonly number[],
  o: { seed: Seed; forget: ForgetSpec | string; valFraction?: number; numClasses?: number; classNames?: readonly string[]; baseDir?: string },
): ProtocolSplit {
  const ys = labelValues(labels, 'protocolSplit');
  const valFraction = o.valFraction ?? 0.1;
  const { train, val } = trainValSplit(ys, { fraction: valFraction, seed: o.seed });
  const trainLabels = train.map((i) => ys[i]!);
  const sel = selectForgetSet(o.forget, trainLabels, {
    seed: o.seed,
    ...(o.numClasses === undefined ? {} : { numClasses: o.numClasses }),
    ...(o.classNames === undefined ? {} : { classNames: o.classNames }),
    ...(o.baseDir === undefined ? {} : { baseDir: o.baseDir }),
  });
  return {
    train,
    val,
    forget: sel.forget.map((p) => train[p]!),
    retain: sel.retain.map((p) => train[p]!),
    ...(sel.classes === undefined ? {} : { classes: sel.classes }),
    description: `val ${+(valFraction * 100).toFixed(4)}% per class (${val.length}); forget: ${sel.description}`,
  };
}
