// A diffusion training run resumes only from its own, intact state: resume files written for another UNet config (even
// one with the same weight shapes), a torn pair or an unreadable resume.json are passed over (null), and the model and
// its EMA keep the weights they had, so `lethe diffusion train` starts over instead of continuing from a mix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { manualSeed, memory, syntheticDataset, tidy } from '../../src/index.js';
import { Ema, NoiseSchedule, UNet, trainDiffusion } from '../../src/diffusion/index.js';
import { loadDiffusionResume, saveDiffusionResume } from '../../src/diffusion/checkpoint.js';
import { baselineMemory } from '../baseline.js';

/** The bytes of every model weight and EMA shadow entry, to compare bit for bit. */
function snapshot(m: UNet, ema: Ema): Map<string, Buffer> {
  return tidy(() => {
    const out = new Map<string, Buffer>();
    for (const [k, v] of m.stateDict()) out.set(`model.${k}`, Buffer.from((v.toTypedArray() as Float32Array).slice().buffer));
    for (const [k, v] of ema.shadow) out.set(`ema.${k}`, Buffer.from((v.toTypedArray() as Float32Array).slice().buffer));
    return out;
  });
}

// Promise: `lethe diffusion train` resumes only from its own UNet's intact resume pair; otherwise it starts over.
test('loadDiffusionResume: another UNet config, a torn pair or a damaged resume.json gives null and loads nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lethe-ddpm-torn-'));
  const data = syntheticDataset({ n: 16, classes: 3, size: 8, seed: 2 });
  const schedule = new NoiseSchedule({ timesteps: 20 });
  try {
    manualSeed(1);
    const a = new UNet('tiny');
    const emaA = new Ema(a, 0.99);
    const opts = { iterations: 2, batchSize: 8, lr: 3e-3, warmup: 1, seed: 5 };
    await trainDiffusion(a, emaA, schedule, data, { ...opts, checkpointEvery: 2, onCheckpoint: (s) => saveDiffusionResume(dir, a, emaA, { iteration: s.iteration, optimizer: s.optimizer, lossHistory: s.lossHistory, options: opts }) });
    a.dispose();
    emaA.dispose();

    // the control: the same config loads it
    manualSeed(7);
    const same = new UNet('tiny');
    const emaSame = new Ema(same, 0.99);
    const ok = loadDiffusionResume(dir, same, emaSame);
    assert.equal(ok?.iteration, 2);
    for (const t of ok!.optimizer.state.values()) t.dispose();
    same.dispose();
    emaSame.dispose();

    // dropout 0.1 instead of the preset's 0: every weight has the same shape, but it is another model's state
    manualSeed(7);
    const other = new UNet({ preset: 'tiny', dropout: 0.1 });
    const emaOther = new Ema(other, 0.99);
    const before = snapshot(other, emaOther);
    const base = baselineMemory();
    assert.equal(loadDiffusionResume(dir, other, emaOther), null);
    assert.deepEqual(snapshot(other, emaOther), before, 'nothing was loaded into the other config');
    assert.deepEqual(memory(), base, 'a refused resume state leaves no tensor behind');
    other.dispose();
    emaOther.dispose();

    manualSeed(7);
    const m = new UNet('tiny');
    const ema = new Ema(m, 0.99);
    const initial = snapshot(m, ema);
    const base2 = baselineMemory();
    // a torn pair: resume.safetensors changed after resume.json recorded its hash
    const file = join(dir, 'resume.safetensors');
    const good = readFileSync(file);
    const torn = Buffer.from(good);
    torn[torn.length - 1] = torn[torn.length - 1]! ^ 0x10;
    writeFileSync(file, torn);
    assert.equal(loadDiffusionResume(dir, m, ema), null);
    // resume.json damaged (its tensors intact): no resume state rather than a JSON parse error
    writeFileSync(file, good);
    writeFileSync(join(dir, 'resume.json'), '{"iteration": 2, "lossHis');
    assert.equal(loadDiffusionResume(dir, m, ema), null);
    assert.deepEqual(snapshot(m, ema), initial, 'nothing was loaded from the torn or damaged pair');
    assert.deepEqual(memory(), base2);
    m.dispose();
    ema.dispose();
  } finally {
    data.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});
