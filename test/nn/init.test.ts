// torch.nn.init equivalents: fan computation, gains, bounds and statistics, determinism under manualSeed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { empty, manualSeed, memory, tidy } from '../../src/index.js';
import { init } from '../../src/nn/index.js';
import { baselineMemory } from '../baseline.js';

test('fan in / fan out include the receptive field; 1-d tensors are rejected', () => {
  tidy(() => {
    assert.deepEqual(init.calculateFanInAndFanOut(empty([64, 16, 3, 3])), [144, 576]);
    assert.deepEqual(init.calculateFanInAndFanOut(empty([10, 512])), [512, 10]);
    assert.throws(() => init.calculateFanInAndFanOut(empty([5])), /fewer than 2 dimensions/);
  });
});

test('gains follow torch.nn.init.calculate_gain', () => {
  assert.equal(init.calculateGain('relu'), Math.SQRT2);
  assert.equal(init.calculateGain('tanh'), 5 / 3);
  assert.equal(init.calculateGain('linear'), 1);
  assert.equal(init.calculateGain('leaky_relu', Math.sqrt(5)), Math.sqrt(2 / 6));
  assert.equal(init.calculateGain('leaky_relu'), Math.sqrt(2 / (1 + 0.01 ** 2)));
});

test('bounds and spreads: kaiming uniform/normal, xavier uniform, constants', () => {
  const base = baselineMemory();
  manualSeed(5);
  tidy(() => {
    const w = empty([256, 128]);
    init.kaimingUniform_(w, { nonlinearity: 'relu' });
    const bound = Math.sqrt(2) * Math.sqrt(3 / 128);
    assert.ok(w.abs().max().item() <= bound);
    assert.ok(w.abs().max().item() > 0.99 * bound);
    init.kaimingNormal_(w, { mode: 'fan_out', nonlinearity: 'relu' });
    const std = w.std().item();
    assert.ok(Math.abs(std - Math.sqrt(2 / 256)) < 0.02 * Math.sqrt(2 / 256), `kaiming normal std ${std}`);
    init.xavierUniform_(w);
    const a = Math.sqrt(6 / (128 + 256));
    assert.ok(w.abs().max().item() <= a && w.abs().max().item() > 0.99 * a);
    init.normal_(w, 3, 0.5);
    assert.ok(Math.abs(w.mean().item() - 3) < 0.01);
    init.zeros_(w);
    assert.equal(w.abs().sum().item(), 0);
    init.ones_(w);
    assert.equal(w.sum().item(), 256 * 128);
    init.constant_(w, -2);
    assert.equal(w.mean().item(), -2);
    assert.throws(() => init.uniform_(w, 1, 0), /a <= b/);
  });
  assert.deepEqual(memory(), base);
});

test('init is deterministic under manualSeed and works on parameters that require grad', () => {
  tidy(() => {
    const a = empty([3, 4], { requiresGrad: true });
    const b = empty([3, 4], { requiresGrad: true });
    manualSeed(11);
    init.kaimingUniform_(a, { a: Math.sqrt(5) });
    manualSeed(11);
    init.kaimingUniform_(b, { a: Math.sqrt(5) });
    assert.ok(a.equal(b));
    assert.equal(a.isLeaf, true);
  });
});
