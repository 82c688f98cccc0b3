// Training the DDPM: EMA arithmetic, resumed runs equal unbroken ones, checkpoints round-trip and detect damage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { manualSeed, memory, syntheticDataset, tidy, nn } from '../../src/index.js';
import { Ema, NoiseSchedule, UNet, trainDiffusion, saveDiffusionCheckpoint, loadDiffusionCheckpoint } from '../../src/diffusion/index.js';
import { loadDiffusionResume, saveDiffusionResume } from '../../src/diffusion/checkpoint.js';
import { cycleBatches } from '../../src/diffusion/data.js';
import { baselineMemory } from '../baseline.js';

test('EMA: shadow ← d·shadow + (1−d)·θ with the warm-up d = min(decay, (1+n)/(10+n))', () => {
  const base = baselineMemory();
  const lin = new nn.Linear(1, 1, { bias: false });
  tidy(() => void lin.weight.detach().fill_(2));
  const ema = new Ema(lin, 0.999);
  tidy(() => void lin.weight.detach().fill_(12));
  ema.update(lin); // d = 1/10: 0.1·2 + 0.9·12 = 11
  assert.ok(Math.abs(tidy(() => ema.shadow.get('weight')!.item()) - 11) < 1e-5);
  tidy(() => void lin.weight.detach().fill_(0));
  ema.update(lin); // d = 2/11: (2/11)·11 = 2
  assert.ok(Math.abs(tidy(() => ema.shadow.get('weight')!.item()) - 2) < 1e-5);
  assert.equal(ema.updates, 2);
  ema.updates = 10_000; // (1 + n)/(10 + n) > 0.999 from n = 8991 on
  assert.equal(ema.currentDecay(), 0.999);
  ema.copyTo(lin);
  assert.ok(Math.abs(tidy(() => lin.weight.item()) - 2) < 1e-5);
  ema.dispose();
  lin.dispose();
  assert.deepEqual(memory(), base);
});

test("EMA without warm-up (the reference's): d is the decay from the first update", () => {
  const base = baselineMemory();
  const lin = new nn.Linear(1, 1, { bias: false });
  tidy(() => void lin.weight.detach().fill_(2));
  const ema = new Ema(lin, 0.9, { warmup: false });
  assert.equal(ema.currentDecay(), 0.9);
  tidy(() => void lin.weight.detach().fill_(12));
  ema.update(lin); // 0.9·2 + 0.1·12 = 3 (with the warm-up, d = 1/10 would give 11)
  assert.ok(Math.abs(tidy(() => ema.shadow.get('weight')!.item()) - 3) < 1e-5);
  ema.dispose();
  lin.dispose();
  assert.deepEqual(memory(), base);
});

test('the batch stream drops each pass\'s last partial batch unless dropLast is false; a skip lands on the same batches', () => {
  const base = baselineMemory();
  const data = syntheticDataset({ n: 10, classes: 2, size: 4, seed: 1 });
  const draw = (o: { dropLast?: boolean; skip?: number }, k: number): number[][] => {
    const s = cycleBatches(data, { batchSize: 4, seed: 3, ...o });
    const out: number[][] = [];
    for (let i = 0; i < k; i++) {
      const b = s.next().value;
      out.push([...b.indices]);
      b.dispose();
    }
    s.return(undefined as never);
    return out;
  };
  const kept = draw({ dropLast: false }, 6);
  assert.deepEqual(kept.map((b) => b.length), [4, 4, 2, 4, 4, 2]);
  assert.deepEqual([...kept[0]!, ...kept[1]!, ...kept[2]!].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual(draw({}, 4).map((b) => b.length), [4, 4, 4, 4]);
  assert.deepEqual(draw({ dropLast: false, skip: 2 }, 4), kept.slice(2));
  data.dispose();
  assert.deepEqual(memory(), base);
});

test('training a tiny UNet lowers the loss; a run resumed from its saved state ends bit-identical to an unbroken run', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lethe-ddpm-'));
  const data = syntheticDataset({ n: 48, classes: 3, size: 8, seed: 2 });
  const schedule = new NoiseSchedule({ timesteps: 50 });
  const base = baselineMemory();
  const opts = { iterations: 8, batchSize: 12, lr: 3e-3, warmup: 2, seed: 5 };
  try {
    manualSeed(1);
    const a = new UNet('tiny');
    const emaA = new Ema(a, 0.99);
    const ra = await trainDiffusion(a, emaA, schedule, data, opts);
    assert.equal(ra.iterations, 8);
    assert.ok(Number.isFinite(ra.finalLoss));

    manualSeed(1);
    const b = new UNet('tiny');
    const emaB = new Ema(b, 0.99);
    const ac = new AbortController();
    await assert.rejects(
      trainDiffusion(b, emaB, schedule, data, {
        ...opts,
        checkpointEvery: 3,
        onCheckpoint: (s) => {
          saveDiffusionResume(dir, b, emaB, { iteration: s.iteration, optimizer: s.optimizer, lossHistory: s.lossHistory, options: opts });
          if (s.iteration === 3) ac.abort();
        },
        signal: ac.signal,
      }),
      /abort/i,
    );
    b.dispose();
    emaB.dispose();
    manualSeed(99); // a different fresh init: everything must come from the resume state
    const c = new UNet('tiny');
    const emaC = new Ema(c, 0.99);
    const resume = loadDiffusionResume(dir, c, emaC);
    assert.ok(resume !== null);
    assert.equal(resume.iteration, 3);
    await trainDiffusion(c, emaC, schedule, data, { ...opts, resume });
    for (const t of resume.optimizer.state.values()) t.dispose();
    tidy(() => {
      const pc = new Map(c.namedParameters());
      for (const [name, p] of a.namedParameters()) assert.equal(p.sub(pc.get(name)!).abs().max().item(), 0, `${name} differs after resume`);
      for (const [name, s] of emaA.shadow) assert.equal(s.sub(emaC.shadow.get(name)!).abs().max().item(), 0, `EMA ${name} differs after resume`);
    });
    for (const m of [a, c]) m.dispose();
    for (const e of [emaA, emaC]) e.dispose();
    assert.deepEqual(memory(), base);
  } finally {
    data.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('checkpoints: EMA or model weights on load, schedule restored, corruption and wrong kinds detected', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lethe-ddpm-ckpt-'));
  const base = baselineMemory();
  try {
    manualSeed(3);
    const m = new UNet('tiny');
    const ema = new Ema(m, 0.9);
    tidy(() => void m.conv_out.weight.detach().add_(1));
    const schedule = new NoiseSchedule({ timesteps: 77, betaStart: 2e-4, betaEnd: 0.03 });
    const man = saveDiffusionCheckpoint(dir, m, schedule, { kind: 'original', ema, note: 'test' });
    assert.equal(man.format, 'lethe-diffusion');
    assert.equal(man.note, 'test');
    const e = loadDiffusionCheckpoint(dir);
    const w = loadDiffusionCheckpoint(dir, { weights: 'model' });
    assert.equal(e.weights, 'ema');
    assert.equal(e.schedule.timesteps, 77);
    assert.ok(Math.abs(e.schedule.betas[76]! - 0.03) < 1e-12);
    tidy(() => {
      assert.equal(e.model.conv_out.weight.sub(ema.shadow.get('conv_out.weight')!).abs().max().item(), 0);
      assert.equal(w.model.conv_out.weight.sub(m.conv_out.weight).abs().max().item(), 0);
    });
    for (const x of [e.model, w.model, m]) x.dispose();
    ema.dispose();
    const file = join(dir, 'ema.safetensors');
    const bytes = readFileSync(file);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 1;
    writeFileSync(file, bytes);
    assert.throws(() => loadDiffusionCheckpoint(dir), /ema.safetensors does not match the manifest's hash/);
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ format: 'lethe-checkpoint' }));
    assert.throws(() => loadDiffusionCheckpoint(dir), /classifier checkpoint, not a diffusion model/);
    assert.throws(() => loadDiffusionCheckpoint(join(dir, 'nothing')), /no manifest.json/);
    assert.deepEqual(memory(), base);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('trainDiffusion refuses a misspelt or out-of-range option before any step (the EMA decay is the Ema\u2019s own)', async () => {
  const data = syntheticDataset({ n: 12, classes: 3, size: 8, seed: 2 });
  const schedule = new NoiseSchedule({ timesteps: 10 });
  manualSeed(1);
  const m = new UNet('tiny');
  const ema = new Ema(m, 0.99);
  const base = baselineMemory();
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ emaDecay: 2 }, /trainDiffusion: unknown option 'emaDecay'; the options are iterations/],
    [{ iteration: 3 }, /trainDiffusion: unknown option 'iteration'/],
    [{ batchSize: 0 }, /trainDiffusion: batchSize must be a positive integer, got 0/],
    [{ lr: 1e40 }, /trainDiffusion: lr must be positive and within float32's range/],
    [{ condDrop: 1 }, /trainDiffusion: condDrop must be in \[0, 1\), got 1/],
  ];
  for (const [o, message] of bad) await assert.rejects(trainDiffusion(m, ema, schedule, data, o as never), message);
  assert.deepEqual(memory(), base);
  ema.dispose();
  m.dispose();
  data.dispose();
});
