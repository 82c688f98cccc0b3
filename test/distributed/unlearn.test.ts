// Unlearning data-parallel: SalUn through unlearn() (the D_f gradient sum behind the mask, random labels,
// masked steps on D_f and D_r) on 2 processes equals the 1-process run with the same global batch.
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

test('2-process SalUn through unlearn() (mask, random labels, masked steps) = 1-process run', async () => {
  const job = runJob('unlearn', { nproc: 2, timeoutMs: 60_000 });
  const ref = await runUnlearnCase(100, null);
  const [r0, r1] = (await job).results as [UnlearnOut, UnlearnOut];
  assert.deepEqual(r0.weights, r1.weights, 'the replicas differ');
  assert.equal(r0.salient, ref.salient, 'the ranks selected a different mask');
  const w = maxDiff(r0.weights, ref.weights);
  assert.ok(w <= 1e-5, `weights differ by ${w}`);
  console.log(`max |Δ weight| = ${w.toExponential(2)}`);
});
