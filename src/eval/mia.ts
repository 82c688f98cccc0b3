// Membership-inference efficacy exactly as the SalUn / Unlearn-Sparse reference evaluates it (SVC_MIA).
//
// Shadow training set: members = the first |test| retain samples in dataset order (label 1), non-members = the
// test set (label 0). An RBF SVC (C = 3, gamma = 'auto') is fitted on one feature view of each sample's softmax
// output, then applied to the forget set. MIA-efficacy = share of forget samples predicted "non-member", ×100:
// higher means the model treats D_f like data it never saw. The paper tables report the 'confidence' view.
import { svcFitPredict, type SvcOptions } from './svm.js';

/** Softmax outputs of a model on one split: probs is N×C row-major, labels the true classes. */
export interface SplitOutputs {
  /** Softmax probabilities, N × numClasses, row-major. */
  probs: Float32Array;
  /** The true class of each sample. */
  labels: Int32Array;
  /** The width of each probs row. */
  numClasses: number;
}

/** Which view of a sample's softmax output the MIA's SVC sees (MIA_DEFINITIONS says what each is). */
export type MiaFeature = 'confidence' | 'correctness' | 'entropy' | 'mEntropy' | 'prob';
/** Every MiaFeature, 'confidence' (the paper tables' view) first. */
export const MIA_FEATURES: readonly MiaFeature[] = ['confidence', 'correctness', 'entropy', 'mEntropy', 'prob'];

/** One-line definition of each MIA feature view. */
export const MIA_DEFINITIONS: Record<MiaFeature, string> = {
  confidence: 'softmax probability of the true class (the paper tables\u2019 MIA)',
  correctness: '1 if the prediction is correct, else 0',
  entropy: 'entropy of the softmax output, -sum p log p',
  mEntropy:
    'modified entropy of Song & Mittal: -(1-p_y) log p_y - sum_{i!=y} p_i log(1-p_i) (correct form; the reference\u2019s m_entropy is buggy and unused)',
  prob: 'the full softmax probability vector',
};

const LOG_TINY = Math.log(1e-30);
const safeLog = (p: number): number => (p > 0 ? Math.log(p) : LOG_TINY);

/** One feature view of a split: n×d values, row-major. */
export function miaFeatures(out: SplitOutputs, feature: MiaFeature, limit = out.labels.length): { x: Float64Array; d: number } {
  const C = out.numClasses;
  const n = Math.min(limit, out.labels.length);
  if (feature === 'prob') return { x: Float64Array.from(out.probs.subarray(0, n * C)), d: C };
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const row = out.probs.subarray(i * C, (i + 1) * C);
    const y = out.labels[i]!;
    switch (feature) {
      case 'confidence':
        x[i] = row[y]!;
        break;
      case 'correctness': {
        let arg = 0;
        for (let c = 1; c < C; c++) if (row[c]! > row[arg]!) arg = c;
        x[i] = arg === y ? 1 : 0;
        break;
      }
      case 'entropy': {
        let h = 0;
        for (let c = 0; c < C; c++) if (row[c]! > 0) h -= row[c]! * Math.log(row[c]!);
        x[i] = h;
        break;
      }
      case 'mEntropy': {
        let h = -(1 - row[y]!) * safeLog(row[y]!);
        for (let c = 0; c < C; c++) if (c !== y) h -= row[c]! * safeLog(1 - row[c]!);
        x[i] = h;
        break;
      }
    }
  }
  return { x, d: 1 };
}

export interface MiaInputs {
  retain: SplitOutputs;
  test: SplitOutputs;
  forget: SplitOutputs;
}

/**
 * MIA-efficacy (×100) for one feature view. Members: the first |test| retain samples; non-members: the test set.
 */
export function miaEfficacy(inputs: MiaInputs, feature: MiaFeature = 'confidence', svc: SvcOptions = {}): number {
  const nTest = inputs.test.labels.length;
  const nForget = inputs.forget.labels.length;
  if (nTest === 0) throw new Error('MIA: the test set is empty; the attack needs non-member examples');
  if (nForget === 0) throw new Error('MIA: the forget set is empty');
  const members = miaFeatures(inputs.retain, feature, nTest);
  const nonMembers = miaFeatures(inputs.test, feature);
  const target = miaFeatures(inputs.forget, feature);
  const nMembers = members.x.length / members.d;
  const trainX = new Float64Array(members.x.length + nonMembers.x.length);
  trainX.set(members.x, 0);
  trainX.set(nonMembers.x, members.x.length);
  const trainY = new Float64Array(nMembers + nTest);
  trainY.fill(1, 0, nMembers);
  const predicted = svcFitPredict(trainX, trainY, members.d, target.x, svc);
  let nonMember = 0;
  for (const p of predicted) if (p === 0) nonMember++;
  return (100 * nonMember) / nForget;
}

/** Every feature view at once. */
export function miaAll(inputs: MiaInputs, svc: SvcOptions = {}): Record<MiaFeature, number> {
  const out = {} as Record<MiaFeature, number>;
  for (const f of MIA_FEATURES) out[f] = miaEfficacy(inputs, f, svc);
  return out;
}
