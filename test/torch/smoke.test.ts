// A first check that the addon loads and the dispatcher, autograd and scopes work end to end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, randn, tidy, memory, crossEntropy, libtorch } from '../../src/index.js';
import { baselineMemory } from '../baseline.js';

test('addon loads and reports libtorch 1.13', () => {
  assert.match(libtorch.version(), /^1\.13/);
});

test('add, mul and sum match hand-computed values', () => {
  tidy(() => {
    const a = tensor([[1, 2], [3, 4]], { dtype: 'float32' });
    assert.deepEqual(a.add(1).toArray(), [[2, 3], [4, 5]]);
    assert.equal(a.mul(a).sum().item(), 30);
  });
});

test('backward of sum(x^2) is 2x', () => {
  tidy(() => {
    const x = randn([4, 3], { dtype: 'float64', requiresGrad: true });
    x.pow(2).sum().backward();
    assert.ok(x.grad!.sub(x.mul(2)).abs().max().item() < 1e-12);
  });
});

test('cross-entropy of uniform logits is log(C)', () => {
  tidy(() => {
    const loss = crossEntropy(tensor([[0, 0, 0, 0]], { dtype: 'float32' }), tensor([2]));
    assert.ok(Math.abs(loss.item() - Math.log(4)) < 1e-6);
  });
});

test('tidy frees everything it does not return', () => {
  const before = baselineMemory();
  const kept = tidy(() => {
    const a = randn([10, 10]);
    for (let i = 0; i < 50; i++) a.add(i).mul(2);
    return a.sum();
  });
  assert.equal(memory().numTensors, before.numTensors + 1);
  kept.dispose();
  assert.deepEqual(memory(), before);
});
