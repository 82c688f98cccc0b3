// The class-conditional UNet: shapes, names, the null class, the time embedding, input checks, memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualSeed, memory, randn, tensor, tidy, noGrad } from '../../src/index.js';
import { UNet, timestepEmbedding, resolveUNetConfig, UNET_PRESETS } from '../../src/diffusion/index.js';
import { timestepTensor } from '../../src/diffusion/schedule.js';
import { baselineMemory } from '../baseline.js';

test('forward keeps the image shape for the tiny and small presets, one prediction per sample', () => {
  const base = baselineMemory();
  manualSeed(0);
  for (const [preset, batch] of [['tiny', 3], ['small', 2]] as const) {
    const m = new UNet(preset);
    const s = m.config.imageSize;
    tidy(() => {
      const out = m.forward(randn([batch, 1, s, s]), timestepTensor([0, 999, 500].slice(0, batch)), tensor([0, 1, 2].slice(0, batch)));
      assert.deepEqual(out.shape, [batch, 1, s, s]);
      assert.ok(Number.isFinite(out.abs().sum().item()));
    });
    m.dispose();
  }
  assert.deepEqual(memory(), base);
});

test('the class embedding has a learned null row; the three levels and attention are where the config says', () => {
  const m = new UNet('small');
  const names = new Map([...m.namedParameters()].map(([k, v]) => [k, v.shape]));
  assert.deepEqual(names.get('class_embed.weight'), [11, 64]); // 10 classes + null, 4·16 wide
  assert.equal(m.nullClass, 10);
  assert.deepEqual(names.get('conv_in.weight'), [16, 1, 3, 3]);
  assert.deepEqual(names.get('down.0.block.0.conv1.weight'), [16, 16, 3, 3]);
  assert.deepEqual(names.get('down.2.block.0.conv1.weight'), [64, 32, 3, 3]);
  assert.deepEqual(names.get('down.2.attn.0.q.weight'), [64, 64, 1, 1]); // 8×8 level
  assert.equal(names.has('down.1.attn.0.q.weight'), false);
  assert.deepEqual(names.get('up.0.block.0.conv1.weight'), [16, 48, 3, 3]); // 32 from below + 16 skip
  assert.deepEqual(names.get('up.2.block.0.nin_shortcut.weight'), [64, 128, 1, 1]); // 64 + the 8×8 skip
  assert.deepEqual(names.get('up.2.block.1.nin_shortcut.weight'), [64, 96, 1, 1]); // 64 + the downsampled 32
  assert.deepEqual(names.get('mid_attn_1.proj_out.weight'), [64, 64, 1, 1]);
  assert.deepEqual(names.get('conv_out.weight'), [1, 16, 3, 3]);
  assert.ok(m.numParameters() > 600_000 && m.numParameters() < 800_000, `${m.numParameters()} parameters`);
  m.dispose();
});

test('the class label changes the prediction; the null class is an ordinary row', () => {
  manualSeed(1);
  const m = new UNet('tiny').eval();
  tidy(() =>
    noGrad(() => {
      const x = randn([1, 1, 8, 8]);
      const t = timestepTensor([10]);
      const a = m.forward(x, t, tensor([0]));
      const b = m.forward(x, t, tensor([1]));
      const n = m.forward(x, t, tensor([3]));
      assert.ok(a.sub(b).abs().max().item() > 1e-4);
      assert.ok(a.sub(n).abs().max().item() > 1e-4);
    }),
  );
  m.dispose();
});

test('timestepEmbedding is [sin(t·f_k), cos(t·f_k)] with f_k = 10000^(-k/(half-1))', () => {
  tidy(() => {
    const e = timestepEmbedding(timestepTensor([0, 3]), 4).toArray() as number[][];
    // half = 2: f = [1, 1e-4]
    const want = [
      [0, 0, 1, 1],
      [Math.sin(3), Math.sin(3e-4), Math.cos(3), Math.cos(3e-4)],
    ];
    for (let i = 0; i < 2; i++) for (let j = 0; j < 4; j++) assert.ok(Math.abs(e[i]![j]! - want[i]![j]!) < 1e-6, `e[${i}][${j}] = ${e[i]![j]}`);
  });
});

test('clear errors for bad inputs and configs', () => {
  const m = new UNet('tiny');
  tidy(() => {
    assert.throws(() => m.forward(randn([1, 1, 8, 8])), /timesteps t and class labels y are required/);
    assert.throws(() => m.forward(randn([1, 1, 16, 16]), timestepTensor([1]), tensor([0])), /expected images \[B, 1, 8, 8\]/);
    assert.throws(() => m.forward(randn([2, 1, 8, 8]), timestepTensor([1]), tensor([0, 1])), /t must have shape \[2\]/);
    assert.throws(() => m.forward(randn([1, 1, 8, 8]), timestepTensor([1]), tensor([0], { dtype: 'int32' })), /must be int64/);
  });
  m.dispose();
  assert.throws(() => resolveUNetConfig({ imageSize: 30 }), /divisible by 2\^2/);
  assert.throws(() => resolveUNetConfig({ preset: 'huge' as 'tiny' }), /unknown preset 'huge'/);
  assert.throws(() => resolveUNetConfig({ chanels: 3 } as never), /unknown field\(s\) chanels/);
  assert.equal(UNET_PRESETS.small.imageSize, 32);
});

test('clone() gives an independent UNet with the same outputs', () => {
  const base = baselineMemory();
  manualSeed(2);
  const m = new UNet('tiny').eval();
  const c = m.clone();
  tidy(() =>
    noGrad(() => {
      const x = randn([2, 1, 8, 8]);
      const t = timestepTensor([5, 7]);
      const y = tensor([0, 2]);
      assert.equal(m.forward(x, t, y).sub(c.forward(x, t, y)).abs().max().item(), 0);
    }),
  );
  m.dispose();
  c.dispose();
  assert.deepEqual(memory(), base);
});
