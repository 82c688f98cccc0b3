// MIA-efficacy must equal what scikit-learn's SVC gives on the same softmax outputs (fixture made by
// scripts/make-mia-fixture.py with Debian's python3-sklearn), and the metrics helpers their hand-computed values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { miaEfficacy, miaFeatures, type SplitOutputs } from '../../src/eval/mia.js';
import { svcFitPredict } from '../../src/eval/svm.js';
import { avgGap, meanStd } from '../../src/eval/gap.js';

interface Fixture {
  numClasses: number;
  splits: Record<'retain' | 'test' | 'forget', { probs: number[]; labels: number[] }>;
  expected: Record<'confidence' | 'correctness' | 'entropy' | 'prob', number>;
}
const fixture = JSON.parse(readFileSync(new URL('../../../test/fixtures/mia/svc.json', import.meta.url), 'utf8')) as Fixture;
const split = (name: 'retain' | 'test' | 'forget'): SplitOutputs => ({
  probs: Float32Array.from(fixture.splits[name].probs),
  labels: Int32Array.from(fixture.splits[name].labels),
  numClasses: fixture.numClasses,
});
const inputs = { retain: split('retain'), test: split('test'), forget: split('forget') };

for (const feature of ['confidence', 'correctness', 'entropy', 'prob'] as const) {
  test(`MIA-efficacy (${feature}) equals scikit-learn's SVC(C=3, gamma='auto')`, () => {
    assert.ok(Math.abs(miaEfficacy(inputs, feature) - fixture.expected[feature]) < 1e-9);
  });
}

test('an RBF SVC separates two well-separated 1-d clusters', () => {
  const x = Float64Array.from([0, 0.1, 0.2, 0.3, 5, 5.1, 5.2, 5.3]);
  const y = Float64Array.from([0, 0, 0, 0, 1, 1, 1, 1]);
  assert.deepEqual([...svcFitPredict(x, y, 1, Float64Array.from([0.15, 5.15]))], [0, 1]);
});

test('modified entropy follows Song & Mittal', () => {
  const out: SplitOutputs = { probs: Float32Array.from([0.7, 0.2, 0.1]), labels: Int32Array.from([0]), numClasses: 3 };
  const expected = -(0.3 * Math.log(0.7)) - 0.2 * Math.log(0.8) - 0.1 * Math.log(0.9);
  assert.ok(Math.abs(miaFeatures(out, 'mEntropy').x[0]! - expected) < 1e-6);
});

test('bad MIA input gives clear errors', () => {
  assert.throws(() => miaEfficacy({ ...inputs, forget: { ...inputs.forget, probs: new Float32Array(0), labels: new Int32Array(0) } }), /forget set is empty/);
  assert.throws(() => svcFitPredict(Float64Array.from([1, 2]), Float64Array.from([1, 1]), 1, Float64Array.from([1])), /single class/);
  assert.throws(() => svcFitPredict(Float64Array.from([1, NaN]), Float64Array.from([0, 1]), 1, Float64Array.from([1])), /NaN/);
  // libsvm's own checks are `<= 0`, which NaN passes, and an unknown kernel name would run RBF
  const two = [Float64Array.from([0, 1]), Float64Array.from([0, 1]), 1] as const;
  assert.throws(() => svcFitPredict(...two, Float64Array.from([NaN])), /svcFitPredict: test features contain NaN or Infinity/);
  assert.throws(() => svcFitPredict(...two, Float64Array.from([1]), { kernel: 'poly' as 'rbf' }), /svcFitPredict: kernel must be 'rbf' or 'linear', got 'poly'/);
  assert.throws(() => svcFitPredict(...two, Float64Array.from([1]), { gamma: NaN }), /svcFitPredict: gamma must be a positive finite number or 'auto', got NaN/);
  assert.throws(() => svcFitPredict(...two, Float64Array.from([1]), { C: 0 }), /svcFitPredict: C must be a positive finite number, got 0/);
  assert.throws(() => svcFitPredict(...two, Float64Array.from([1]), { c: 3 } as never), /svcFitPredict: unknown option 'c'/);
});

test('Avg.Gap reproduces SalUn Table 1 (10% random): SalUn vs Retrain = 1.15', () => {
  const retrain = { UA: 5.24, RA: 100, TA: 94.26, MIA: 12.88 };
  const salun = { UA: 2.85, RA: 99.62, TA: 93.93, MIA: 14.39 };
  assert.ok(Math.abs(avgGap(salun, retrain) - 1.1525) < 1e-9);
  const { mean, std } = meanStd([1, 2, 3, 4]);
  assert.equal(mean, 2.5);
  assert.ok(Math.abs(std - Math.sqrt(5 / 3)) < 1e-12);
});
