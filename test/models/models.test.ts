// Models: parameter counts and state_dict names against PyTorch, shapes, the registry, expandClasses, clones, memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualSeed, memory, noGrad, rand, randn, tidy } from '../../src/index.js';
import { createModel, expandClasses, modelNames, resolveModelSpec, resnet18, resnet20, type ModelSpec } from '../../src/models/index.js';
import { MLP, ResNet20, SmallCNN } from '../../src/models/index.js';
import { baselineMemory } from '../baseline.js';

// Counts and key lists printed by Debian's python3-torch 1.13.1 for PyTorch definitions of the reference
// models (SalUn's models/ResNet.py with imagenet=False, models/ResNets.py resnet20s; the Python is in
// reference.test.ts): sum(p.numel() for p in m.parameters()), len(m.state_dict()), list(m.state_dict()).
test('resnet18 (CIFAR) has 11,173,962 parameters and torchvision state_dict names in PyTorch order', () => {
  const base = baselineMemory();
  const m = resnet18({ inChannels: 3, numClasses: 10 });
  assert.equal(m.numParameters(), 11_173_962);
  assert.equal([...m.parameters()].length, 62);
  const keys = m._stateEntries().map(([k]) => k);
  assert.equal(keys.length, 122);
  assert.deepEqual(keys.slice(0, 8), [
    'conv1.weight',
    'bn1.weight',
    'bn1.bias',
    'bn1.running_mean',
    'bn1.running_var',
    'bn1.num_batches_tracked',
    'layer1.0.conv1.weight',
    'layer1.0.bn1.weight',
  ]);
  assert.deepEqual(keys.slice(42, 48), [
    'layer2.0.downsample.0.weight',
    'layer2.0.downsample.1.weight',
    'layer2.0.downsample.1.bias',
    'layer2.0.downsample.1.running_mean',
    'layer2.0.downsample.1.running_var',
    'layer2.0.downsample.1.num_batches_tracked',
  ]);
  assert.deepEqual(keys.slice(-4), ['layer4.1.bn2.running_var', 'layer4.1.bn2.num_batches_tracked', 'fc.weight', 'fc.bias']);
  assert.ok(!keys.some((k) => k.startsWith('layer1.0.downsample')), 'no shortcut conv where the shape is unchanged');
  m.dispose();
  // With normalisation, the reference's buffers lead the state dict (124 keys).
  const n = resnet18({ mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.2435, 0.2616] });
  const nkeys = n._stateEntries().map(([k]) => k);
  assert.equal(nkeys.length, 124);
  assert.deepEqual(nkeys.slice(0, 3), ['normalize.mean', 'normalize.std', 'conv1.weight']);
  assert.equal(n.numParameters(), 11_173_962, 'mean/std are buffers, not parameters');
  n.dispose();
  assert.deepEqual(memory(), base);
});

test('resnet20 (option A) has 269,722 parameters (269,434 with one input channel) and 116 state_dict keys', () => {
  const base = baselineMemory();
  const m = resnet20();
  assert.equal(m.numParameters(), 269_722);
  const keys = m._stateEntries().map(([k]) => k);
  assert.equal(keys.length, 116);
  assert.equal([...m.parameters()].length, 59);
  assert.deepEqual(keys.slice(-4), ['layer3.2.bn2.running_var', 'layer3.2.bn2.num_batches_tracked', 'fc.weight', 'fc.bias']);
  assert.ok(!keys.some((k) => k.includes('shortcut')), 'the option-A shortcut has no parameters');
  m.dispose();
  const fm = resnet20({ inChannels: 1, mean: [0.286], std: [0.353] });
  assert.equal(fm.numParameters(), 269_434);
  fm.dispose();
  assert.deepEqual(memory(), base);
});

test('smallcnn and mlp parameter counts (PyTorch: 1,199,882 and 235,146)', () => {
  const base = baselineMemory();
  const c = createModel({ name: 'smallcnn', inChannels: 1, numClasses: 10 });
  assert.equal(c.numParameters(), 1_199_882);
  assert.deepEqual(c._stateEntries().map(([k]) => k), ['conv1.weight', 'conv1.bias', 'conv2.weight', 'conv2.bias', 'fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
  const c32 = createModel({ name: 'smallcnn', inChannels: 3, numClasses: 10, imageSize: 32 });
  assert.equal(c32.numParameters(), 1_626_442);
  const p = createModel({ name: 'mlp', inChannels: 1, numClasses: 10 });
  assert.equal(p.numParameters(), 235_146);
  assert.equal(p.headName, 'fc3');
  for (const m of [c, c32, p]) m.dispose();
  assert.deepEqual(memory(), base);
});

test('forward and features shapes; inputs are checked', () => {
  const base = baselineMemory();
  manualSeed(0);
  const cases: [ModelSpec, number[], number][] = [
    [{ name: 'resnet18', inChannels: 3, numClasses: 10 }, [2, 3, 32, 32], 512],
    [{ name: 'resnet20', inChannels: 1, numClasses: 7, mean: [0.286], std: [0.353] }, [3, 1, 28, 28], 64],
    [{ name: 'smallcnn', inChannels: 1, numClasses: 10 }, [2, 1, 28, 28], 128],
    [{ name: 'mlp', inChannels: 3, numClasses: 4, imageSize: 8, hiddenSizes: [16] }, [5, 3, 8, 8], 16],
  ];
  for (const [spec, shape, dim] of cases) {
    const m = createModel(spec);
    m.eval();
    tidy(() =>
      noGrad(() => {
        const x = rand(shape);
        assert.deepEqual(m.forward(x).shape, [shape[0], spec.numClasses], `${spec.name} logits`);
        assert.deepEqual(m.features(x).shape, [shape[0], dim], `${spec.name} features`);
        assert.deepEqual(m.penultimate(x).shape, [shape[0], dim]);
        assert.throws(() => m.forward(rand([1, spec.inChannels + 1, shape[2]!, shape[3]!])), new RegExp(`${spec.name}: expected images \\[N, ${spec.inChannels}, H, W\\]`));
      }),
    );
    assert.equal(m.numClasses, spec.numClasses);
    m.dispose();
  }
  assert.deepEqual(memory(), base);
});

test('createModel validates specs; modelNames lists the registry; specs are plain JSON that rebuild the model', () => {
  assert.deepEqual(modelNames(), ['resnet18', 'resnet20', 'smallcnn', 'mlp']);
  const bad = (spec: unknown) => () => createModel(spec as ModelSpec);
  assert.throws(bad({ name: 'vgg16', inChannels: 3, numClasses: 10 }), /unknown model 'vgg16'; known models: resnet18, resnet20, smallcnn, mlp/);
  assert.throws(bad({ name: 'resnet20', inChannels: 0, numClasses: 10 }), /inChannels must be a positive integer/);
  assert.throws(bad({ name: 'resnet20', inChannels: 1, numClasses: 10, mean: [0.5] }), /both mean and std/);
  assert.throws(bad({ name: 'resnet20', inChannels: 3, numClasses: 10, mean: [0.5], std: [0.2] }), /one entry per input channel \(3\)/);
  assert.throws(bad({ name: 'resnet20', inChannels: 1, numClasses: 10, hiden: [3] }), /unknown field\(s\) hiden/);
  assert.throws(bad({ name: 'smallcnn', inChannels: 1, numClasses: 10, imageSize: 4 }), /imageSize must be at least 6/);
  const base = baselineMemory();
  const m = createModel({ name: 'resnet20', inChannels: 1, numClasses: 10, mean: [0.286], std: [0.353] });
  assert.ok(m instanceof ResNet20);
  const json = JSON.parse(JSON.stringify(m.spec)) as ModelSpec;
  assert.deepEqual(json, { name: 'resnet20', inChannels: 1, numClasses: 10, mean: [0.286], std: [0.353] });
  const rebuilt = createModel(json);
  const sd = m.stateDict();
  rebuilt.loadStateDict(sd); // strict: same keys and shapes
  tidy(() => {
    const x = rand([2, 1, 28, 28]);
    m.eval();
    rebuilt.eval();
    assert.ok(noGrad(() => m.forward(x).equal(rebuilt.forward(x))), 'identical predictions after a spec + state dict round trip');
  });
  for (const t of sd.values()) t.dispose();
  m.dispose();
  rebuilt.dispose();
  assert.deepEqual(memory(), base);
});

test('expandClasses adds a shadow class to a copy; existing logits are unchanged; the original is untouched', () => {
  const base = baselineMemory();
  manualSeed(6);
  const m = createModel({ name: 'smallcnn', inChannels: 1, numClasses: 10 }) as SmallCNN;
  m.eval();
  const originalWeight = m.head.weight.clone();
  const e = expandClasses(m, 1);
  assert.ok(e instanceof SmallCNN);
  assert.equal(e.numClasses, 11);
  assert.equal(e.spec.numClasses, 11);
  assert.equal(m.numClasses, 10);
  assert.equal(m.spec.numClasses, 10);
  assert.deepEqual(e.head.weight.shape, [11, 128]);
  assert.equal(e.fc2, e.head, 'the model field follows the replaced head');
  assert.equal(e.training, false);
  tidy(() => {
    assert.ok(m.head.weight.equal(originalWeight));
    const x = rand([3, 1, 28, 28]);
    const before = noGrad(() => m.forward(x));
    const after = noGrad(() => e.forward(x));
    assert.deepEqual(after.shape, [3, 11]);
    assert.ok(after.narrow(1, 0, 10).allclose(before, 1e-6, 1e-6));
    // the new row is drawn like a fresh Linear(128, 11): |w| <= 1/sqrt(128)
    assert.ok(e.head.weight.select(0, 10).abs().max().item() <= 1 / Math.sqrt(128));
    assert.ok(e.head.weight.select(0, 10).abs().max().item() > 0);
  });
  assert.throws(() => expandClasses(m, 0), /positive integer/);
  originalWeight.dispose();
  m.dispose();
  e.dispose();
  assert.deepEqual(memory(), base);
});

test('resetHead re-draws only the classifier', () => {
  const base = baselineMemory();
  const m = resnet20();
  const conv = m.conv1.weight.clone();
  const fc = m.fc.weight.clone();
  m.resetHead();
  tidy(() => {
    assert.ok(m.conv1.weight.equal(conv));
    assert.ok(!m.fc.weight.equal(fc));
    assert.ok(m.fc.weight.abs().max().item() <= 1 / Math.sqrt(64));
  });
  conv.dispose();
  fc.dispose();
  m.dispose();
  assert.deepEqual(memory(), base);
});

test('a trained clone of resnet20 leaves the original bit-identical; memory returns to baseline', () => {
  const base = baselineMemory();
  manualSeed(7);
  const m = resnet20({ inChannels: 1, numClasses: 10, mean: [0.286], std: [0.353] });
  const snapshot = m.stateDict({ clone: true });
  const c = m.clone();
  assert.ok(c instanceof ResNet20);
  tidy(() => {
    const x = randn([4, 1, 28, 28]);
    c.forward(x).sum().backward(); // updates the clone's BN statistics and grads
    noGrad(() => {
      for (const p of c.parameters()) p.mul_(0.5);
    });
  });
  for (const [k, t] of m._stateEntries()) tidy(() => assert.ok(t.equal(snapshot.get(k)!), `${k} unchanged`));
  for (const p of m.parameters()) assert.equal(p.grad, null, 'no gradient reached the original');
  for (const t of snapshot.values()) t.dispose();
  c.dispose();
  m.dispose();
  assert.deepEqual(memory(), base);
});

test('clone() keeps field aliases consistent (MLP.hidden points at the cloned layers)', () => {
  const base = baselineMemory();
  const m = createModel({ name: 'mlp', inChannels: 1, numClasses: 10, hiddenSizes: [8, 4] }) as MLP;
  const c = m.clone();
  assert.equal(c.hidden[0], c.getSubmodule('fc1'));
  assert.equal(c.hidden[1], c.getSubmodule('fc2'));
  assert.notEqual(c.hidden[0], m.hidden[0]);
  tidy(() => {
    const x = rand([2, 1, 28, 28]);
    assert.ok(c.forward(x).equal(m.forward(x)));
  });
  m.dispose();
  c.dispose();
  assert.deepEqual(memory(), base);
});

test('resolveModelSpec: what createModel(spec).spec reports, without building (defaults in, ignored fields out)', () => {
  const specs: ModelSpec[] = [
    { name: 'mlp', inChannels: 1, numClasses: 4, imageSize: 8 },
    { name: 'mlp', inChannels: 1, numClasses: 4, imageSize: 8, hiddenSizes: [5], mean: [0.5], std: [0.2] },
    { name: 'smallcnn', inChannels: 1, numClasses: 3 },
    { name: 'resnet20', inChannels: 1, numClasses: 10, imageSize: 32 },
    { name: 'resnet18', inChannels: 3, numClasses: 10, mean: [0.1, 0.2, 0.3], std: [1, 1, 1] },
  ];
  for (const spec of specs) {
    const m = createModel(spec);
    assert.deepEqual(resolveModelSpec(spec), m.spec, JSON.stringify(spec));
    m.dispose();
  }
});
