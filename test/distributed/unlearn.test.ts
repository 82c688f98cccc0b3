// Unlearning data-parallel: the D_f gradient sum behind SalUn's mask, and masked UnlearnTrainer steps, on 2
// processes equal the 1-process run with the same global batch (the adapters of src/distributed/unlearn.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runJob } from './helpers.js';
import { runUnlearnCase, type UnlearnOut } from './workers/unlearn-case.js';

function maxDiff(a: Record<string, number[]>, b: Record<string, number[]>): number {
  let worst = 0;
  for (const [n, xs] of Object.entries(a)) {
    const ys = b[n]!;
    assert.equal(xs.length, ys.length, n);
    xs.forEach((x, i) => (worst = Math.max(worst, Math.abs(x - ys[i]!))));
  }
  return worst;
}

test('2-process SalUn-style run (mask from Σ∇ over D_f, masked steps on D_r) = 1-process run', async () => {
  const job = runJob('unlearn', { nproc: 2, timeoutMs: 30_000 });
  const ref = runUnlearnCase(100, null);
  const [r0, r1] = (await job).results as [UnlearnOut, UnlearnOut];
  assert.deepEqual(r0.weights, r1.weights, 'the replicas differ');
  assert.deepEqual(r0.gradSums, r1.gradSums, 'the ranks hold different gradient sums');
  const g = maxDiff(r0.gradSums, ref.gradSums);
  const w = maxDiff(r0.weights, ref.weights);
  assert.ok(g <= 1e-6, `gradient sums differ by ${g}`);
  assert.equal(r0.salient, ref.salient);
  assert.ok(w <= 1e-6, `weights differ by ${w}`);
  console.log(`max |Δ gradient sum| = ${g.toExponential(2)}, max |Δ weight| = ${w.toExponential(2)}`);
});
