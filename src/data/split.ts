// The train/validation split: a seeded hold-out of the same fraction of every class (the reference holds out
// 10% per class with numpy's RandomState(seed); we use our own pinned PRNG, so the rule is the same but the
// chosen indices differ from the reference's).
import { Rng, deriveSeed, type Seed } from './random.js';

/** What trainValSplit returns. */
export interface TrainValSplit {
  /** indices (into the labels given) of the training part, ascending */
  train: Int32Array;
  /** indices of the validation part, ascending */
  val: Int32Array;
}

/** Labels as a JS array of non-negative integers (validated). */
export function labelValues(labels: Int32Array | Uint8Array | readonly number[], what: string): Int32Array {
  // checked before the narrowing to int32, where 2^32 would wrap to class 0
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i]!;
    if (!Number.isInteger(v) || v < 0 || v > 0x7fffffff) throw new RangeError(`${what}: label ${v} at index ${i} is not a non-negative 32-bit integer`);
  }
  return Int32Array.from(labels);
}

/** The indices of each class, ascending, for classes 0 … max label. */
export function indicesByClass(labels: Int32Array): Int32Array[] {
  const negative = labels.findIndex((y) => y < 0);
  if (negative !== -1) throw new RangeError(`indicesByClass: label ${labels[negative]} at index ${negative} is negative`);
  let numClasses = 0;
  for (const y of labels) numClasses = Math.max(numClasses, y + 1);
  const counts = new Int32Array(numClasses);
  for (const y of labels) counts[y]!++;
  const out = Array.from(counts, (c) => new Int32Array(c));
  const fill = new Int32Array(numClasses);
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    out[y]![fill[y]!++] = i;
  }
  return out;
}

/** How many samples trainValSplit holds out: Σ over classes of round(fraction × the class's size). */
export function validationCount(labels: Int32Array | Uint8Array | readonly number[], fraction: number): number {
  let n = 0;
  for (const members of indicesByClass(labelValues(labels, 'validationCount'))) n += Math.round(fraction * members.length);
  return n;
}

/**
 * Holds out `fraction` of each class as validation. The exact rule, for reproducibility:
 *   rng = Rng(deriveSeed(seed, 'split'));
 *   for each class c = 0, 1, … (ascending): take that class's indices in ascending order, shuffle them with rng
 *   (Fisher–Yates), and put the first round(fraction · count_c) into validation (round half up), the rest into train.
 * Both outputs are sorted ascending. Classes with no samples consume no randomness.
 * With Fashion-MNIST (6,000 per class) and fraction 0.1: 600 per class, 54,000 / 6,000.
 */
export function trainValSplit(labels: Int32Array | Uint8Array | readonly number[], o: { fraction?: number; seed: Seed }): TrainValSplit {
  const fraction = o.fraction ?? 0.1;
  if (!(fraction >= 0 && fraction < 1)) throw new RangeError(`trainValSplit: fraction must be in [0, 1), got ${fraction}`);
  const ys = labelValues(labels, 'trainValSplit');
  if (ys.length > 0 && validationCount(ys, fraction) === ys.length) {
    throw new RangeError(`trainValSplit: a validation fraction of ${fraction} holds out all ${ys.length} samples (each class holds out round(fraction × its size)); lower the fraction or give more samples`);
  }
  const rng = new Rng(deriveSeed(o.seed, 'split'));
  const isVal = new Uint8Array(ys.length);
  let nVal = 0;
  for (const members of indicesByClass(ys)) {
    if (members.length === 0) continue;
    rng.shuffleInPlace(members);
    const k = Math.round(fraction * members.length);
    for (let i = 0; i < k; i++) isVal[members[i]!] = 1;
    nVal += k;
  }
  const train = new Int32Array(ys.length - nVal);
  const val = new Int32Array(nVal);
  let t = 0;
  let v = 0;
  for (let i = 0; i < ys.length; i++) {
    if (isVal[i]) val[v++] = i;
    else train[t++] = i;
  }
  return { train, val };
}
