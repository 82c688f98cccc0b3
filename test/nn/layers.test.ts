// Layers: PyTorch-identical seeded initialisation, hand-computed forward values, BatchNorm running statistics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualSeed, memory, noGrad, ones, randn, tensor, tidy, type Tensor } from '../../src/index.js';
import {
  AdaptiveAvgPool2d,
  AvgPool2d,
  BatchNorm2d,
  Conv2d,
  Dropout,
  Embedding,
  Flatten,
  GELU,
  GroupNorm,
  Identity,
  LayerNorm,
  Linear,
  MaxPool2d,
  Normalize,
  ReLU,
  Sequential,
  SiLU,
} from '../../src/nn/index.js';
import { baselineMemory } from '../baseline.js';

function values(t: Tensor): number[] {
  return Array.from(t.toTypedArray() as Float32Array);
}
function close(actual: readonly number[], expected: readonly number[], tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  actual.forEach((a, i) => assert.ok(Math.abs(a - expected[i]!) <= tol, `${what}[${i}]: ${a} vs ${expected[i]}`));
}

// Reference values printed by Debian's python3-torch 1.13.1 (the same libtorch as Lethe's):
//   torch.manual_seed(0); l = nn.Linear(4, 3); print(l.weight.flatten().tolist(), l.bias.tolist())
//   torch.manual_seed(0); c = nn.Conv2d(2, 3, 3); print(c.weight.flatten()[:5].tolist(), c.bias.tolist())
//   torch.manual_seed(0); e = nn.Embedding(5, 3, padding_idx=1); print(e.weight.flatten().tolist())
// Same seed, same generator, same formulas: the values must be identical, not just close.
test('Linear, Conv2d and Embedding default init equal PyTorch bit for bit under the same seed', () => {
  const base = baselineMemory();
  manualSeed(0);
  const l = new Linear(4, 3);
  assert.deepEqual(values(l.weight), [
    -0.003743410110473633, 0.26822179555892944, -0.4115225672721863, -0.3679695129394531, -0.19257718324661255, 0.13407868146896362,
    -0.009906589984893799, 0.39644473791122437, -0.04437202215194702, 0.1323062777519226, -0.15110653638839722, -0.09828269481658936,
  ]);
  assert.deepEqual(values(l.bias!), [-0.4776742458343506, -0.33114105463027954, -0.20611155033111572]);
  manualSeed(0);
  const c = new Conv2d(2, 3, 3);
  assert.deepEqual(values(c.weight).slice(0, 5), [
    -0.0017646604683250189, 0.12644097208976746, -0.19399359822273254, -0.17346249520778656, -0.09078175574541092,
  ]);
  assert.deepEqual(values(c.bias!), [0.15803514420986176, -0.13878203928470612, 0.043921709060668945]);
  manualSeed(0);
  const e = new Embedding(5, 3, { paddingIdx: 1 });
  assert.deepEqual(values(e.weight), [
    1.5409960746765137, -0.293428897857666, -2.1787893772125244, 0, 0, 0, 0.40334683656692505, 0.8380263447761536, -0.7192575931549072,
    -0.40334352850914, -0.5966353416442871, 0.18203648924827576, -0.8566746115684509, 1.1006041765213013, -1.0711873769760132,
  ]);
  for (const m of [l, c, e]) m.dispose();
  assert.deepEqual(memory(), base);
});

test('Linear and Conv2d forward match hand-computed values', () => {
  const base = baselineMemory();
  const l = new Linear(2, 2);
  tidy(() =>
    noGrad(() => {
      l.weight.copy_(tensor([[1, 2], [3, 4]], { dtype: 'float32' }));
      l.bias!.copy_(tensor([0.5, -1], { dtype: 'float32' }));
    }),
  );
  tidy(() => assert.deepEqual(l.forward(tensor([[1, 1], [2, -1]], { dtype: 'float32' })).toArray(), [[3.5, 6], [0.5, 1]]));
  tidy(() => assert.throws(() => l.forward(ones([2, 3])), /expected input \[\.\.\., 2\], got \[2, 3\]/));
  // depthwise 1×1 with stride 2: picks every other pixel, scaled per channel
  const c = new Conv2d(2, 2, 1, { stride: 2, groups: 2, bias: false });
  tidy(() => noGrad(() => c.weight.copy_(tensor([2, -1], { dtype: 'float32' }).reshape(2, 1, 1, 1))));
  tidy(() => {
    const x = tensor([[[[1, 2], [3, 4]], [[5, 6], [7, 8]]]], { dtype: 'float32' });
    assert.deepEqual(c.forward(x).toArray(), [[[[2]], [[-5]]]]);
  });
  const same = new Conv2d(1, 1, 3, { padding: 'same', bias: false });
  tidy(() => assert.deepEqual(same.forward(ones([1, 1, 5, 5])).shape, [1, 1, 5, 5]));
  const dil = new Conv2d(1, 1, 3, { dilation: 2 });
  tidy(() => assert.deepEqual(dil.forward(ones([1, 1, 7, 7])).shape, [1, 1, 3, 3]));
  assert.throws(() => new Conv2d(3, 4, 3, { groups: 2 }), /divisible by groups/);
  tidy(() => assert.throws(() => c.forward(ones([1, 3, 2, 2])), /expected input \[N, 2, H, W\], got \[1, 3, 2, 2\]/));
  for (const m of [l, c, same, dil]) m.dispose();
  assert.deepEqual(memory(), base);
});

test('BatchNorm2d: training normalises with batch stats and updates running stats; eval uses them', () => {
  const base = baselineMemory();
  const bn = new BatchNorm2d(2);
  // channel 0 holds 1,2,3,4; channel 1 holds 10,10,10,14 (N=2, H=1, W=2)
  const x = tensor([[[[1, 2]], [[10, 10]]], [[[3, 4]], [[10, 14]]]], { dtype: 'float32' });
  const y = bn.forward(x);
  // batch mean 2.5 / 11, biased var 1.25 / 3, unbiased var 5/3 / 4
  close(values(y).slice(0, 2), [(1 - 2.5) / Math.sqrt(1.25 + 1e-5), (2 - 2.5) / Math.sqrt(1.25 + 1e-5)], 1e-5, 'train output');
  close(values(bn.runningMean!), [0.25, 1.1], 1e-6, 'running_mean');
  close(values(bn.runningVar!), [0.9 + 0.1 * (5 / 3), 0.9 + 0.1 * 4], 1e-6, 'running_var');
  assert.equal(bn.numBatchesTracked!.item(), 1);
  bn.eval();
  const z = bn.forward(x);
  close(values(z).slice(0, 1), [(1 - 0.25) / Math.sqrt(0.9 + 0.1 * (5 / 3) + 1e-5)], 1e-5, 'eval output');
  assert.equal(bn.numBatchesTracked!.item(), 1);
  // momentum null: cumulative average of the batch statistics
  const cum = new BatchNorm2d(2, { momentum: null });
  const x2 = x.mul(3);
  tidy(() => void cum.forward(x));
  tidy(() => void cum.forward(x2));
  close(values(cum.runningMean!), [(2.5 + 7.5) / 2, (11 + 33) / 2], 1e-5, 'cumulative running_mean');
  // no running stats: evaluation still uses batch statistics
  const free = new BatchNorm2d(2, { trackRunningStats: false, affine: false });
  free.eval();
  assert.deepEqual([...free.namedBuffers()], []);
  assert.deepEqual([...free.namedParameters()], []);
  tidy(() => assert.ok(free.forward(x).allclose(y, 1e-5, 1e-5)));
  bn.train();
  tidy(() => {
    assert.throws(() => bn.forward(ones([1, 2, 1, 1])), /more than 1 value per channel/);
    assert.throws(() => bn.forward(ones([2, 3, 2, 2])), /expected input \[N, 2, H, W\]/);
  });
  for (const t of [x, y, z, x2]) t.dispose();
  for (const m of [bn, cum, free]) m.dispose();
  assert.deepEqual(memory(), base);
});

test('GroupNorm and LayerNorm match hand-computed normalisation', () => {
  const base = baselineMemory();
  tidy(() => {
    const x = tensor([[1, 3], [2, 6]], { dtype: 'float32' }); // [N=2, 2]
    const ln = new LayerNorm(2, { eps: 0 });
    close(values(ln.forward(x)), [-1, 1, -1, 1], 1e-6, 'layer norm');
    assert.throws(() => ln.forward(ones([2, 3])), /expected input \[\.\.\., 2\]/);
    // 4 channels in 2 groups, one pixel each: groups (1,3) and (5,9) → ±1
    const gn = new GroupNorm(2, 4, { eps: 0 });
    noGrad(() => gn.weight!.copy_(tensor([1, 2, 1, 1], { dtype: 'float32' })));
    close(values(gn.forward(tensor([1, 3, 5, 9], { dtype: 'float32' }).reshape(1, 4, 1, 1))), [-1, 2, -1, 1], 1e-6, 'group norm');
    assert.throws(() => new GroupNorm(3, 4), /divisible by numGroups/);
    ln.dispose();
    gn.dispose();
  });
  assert.deepEqual(memory(), base);
});

test('Dropout drops and rescales in training mode only', () => {
  const base = baselineMemory();
  manualSeed(4);
  const d = new Dropout(0.5);
  tidy(() => {
    const x = ones([2000]);
    const v = values(d.forward(x));
    assert.ok(v.every((a) => a === 0 || a === 2), 'kept values are scaled by 1/(1-p)');
    const zeros = v.filter((a) => a === 0).length;
    assert.ok(zeros > 900 && zeros < 1100, `about half dropped (${zeros})`);
    d.eval();
    assert.ok(d.forward(x).equal(x));
  });
  assert.throws(() => new Dropout(1.5), /p must be in \[0, 1\]/);
  assert.deepEqual(memory(), base);
});

test('activations, Identity, Flatten, pools and Sequential', () => {
  const base = baselineMemory();
  tidy(() => {
    const x = tensor([-1, 0, 2], { dtype: 'float32' });
    assert.deepEqual(new ReLU().forward(x).toArray(), [0, 0, 2]);
    close(values(new SiLU().forward(x)), [-1 / (1 + Math.E), 0, 2 / (1 + Math.exp(-2))], 1e-6, 'silu');
    close(values(new GELU().forward(x)), [-0.15865525393145707, 0, 1.9544997361036416], 1e-6, 'gelu');
    const id = new Identity().forward(x);
    assert.notEqual(id, x);
    id.dispose();
    assert.equal(x.isDisposed, false, 'disposing Identity’s output leaves the input alive');
    const img = tensor([[[[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16]]]], { dtype: 'float32' });
    assert.deepEqual(new MaxPool2d(2).forward(img).toArray(), [[[[6, 8], [14, 16]]]]);
    assert.deepEqual(new AvgPool2d(2).forward(img).toArray(), [[[[3.5, 5.5], [11.5, 13.5]]]]);
    assert.deepEqual(new AdaptiveAvgPool2d(1).forward(img).toArray(), [[[[8.5]]]]);
    assert.deepEqual(new Flatten().forward(img).shape, [1, 16]);
    const seq = new Sequential(new MaxPool2d(2), new Flatten(), new Linear(4, 3));
    assert.deepEqual([...seq.namedParameters()].map(([k]) => k), ['2.weight', '2.bias']);
    assert.equal(seq.length, 3);
    assert.ok(seq.at(-1) instanceof Linear);
    assert.deepEqual(seq.forward(img).shape, [1, 3]);
    seq.dispose();
  });
  assert.deepEqual(memory(), base);
});

test('Sequential.forward frees its intermediates', () => {
  const base = baselineMemory();
  const seq = new Sequential(new Linear(8, 8), new ReLU(), new Linear(8, 8), new ReLU());
  const x = randn([4, 8]);
  const held = baselineMemory().numTensors;
  const y = seq.forward(x);
  assert.equal(memory().numTensors, held + 1, 'only the output survives');
  y.dispose();
  x.dispose();
  seq.dispose();
  assert.deepEqual(memory(), base);
});

test('Normalize folds (x - mean) / std per channel, with mean/std as buffers', () => {
  const base = baselineMemory();
  const n = new Normalize([1, 2], [2, 4]);
  tidy(() => assert.deepEqual([...n.stateDict().keys()], ['mean', 'std']));
  tidy(() => {
    const x = tensor([[[[3]], [[10]]]], { dtype: 'float32' });
    assert.deepEqual(n.forward(x).toArray(), [[[[1]], [[2]]]]);
    assert.throws(() => n.forward(ones([1, 3, 1, 1])), /2 channel/);
  });
  const hidden = new Normalize([0], [1], { persistent: false });
  assert.equal(hidden._stateEntries().length, 0);
  assert.throws(() => new Normalize([0, 0], [1]), /same length/);
  assert.throws(() => new Normalize([0], [0]), /std positive/);
  n.dispose();
  hidden.dispose();
  assert.deepEqual(memory(), base);
});
