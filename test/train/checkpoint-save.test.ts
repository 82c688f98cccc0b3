// saveCheckpoint refuses, before writing anything, what loadCheckpoint could not load back: a spec of another
// architecture, an invalid spec, an info JSON cannot hold. A right one round-trips.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createModel, type ModelSpec } from '../../src/models/index.js';
import { loadCheckpoint, saveCheckpoint } from '../../src/index.js';
import { manualSeed, memory, randn, tidy } from '../../src/torch/index.js';
import { Linear } from '../../src/nn/index.js';
import { baselineMemory } from '../baseline.js';

const spec: ModelSpec = { name: 'mlp', inChannels: 1, numClasses: 4, imageSize: 8, hiddenSizes: [16] };

test('saveCheckpoint: a spec that does not build the model, or an unserialisable info, writes nothing', () => {
  const root = mkdtempSync(join(tmpdir(), 'lethe-save-'));
  const model = createModel(spec);
  const base = baselineMemory();
  const refused: [ModelSpec, Record<string, unknown>, RegExp][] = [
    [{ name: 'smallcnn', inChannels: 3, numClasses: 7 }, {}, /saveCheckpoint: the spec .*"smallcnn".* does not build this model, whose own spec is \{"name":"mlp".*\}; give model\.spec/],
    [{ ...spec, numClasses: 5 }, {}, /does not build this model/],
    [{ ...spec, hiddenSizes: [8] }, {}, /does not build this model/],
    [{ name: 'mlp', inChannels: 1, numClasses: 4, imageSize: 8 }, {}, /does not build this model/], // default hidden sizes: 256, 128
    [{ name: 'foo' } as unknown as ModelSpec, {}, /saveCheckpoint: model spec: unknown model 'foo'/],
    [spec, { big: 1n }, /saveCheckpoint: info cannot be written as JSON \(.*BigInt/],
  ];
  for (const [i, [s, info, message]] of refused.entries()) {
    const dir = join(root, `bad${i}`);
    assert.throws(() => saveCheckpoint(dir, model, s, { kind: 'test', ...info }), message);
    assert.ok(!existsSync(dir), `case ${i}: nothing written`);
  }
  // a module that is not an ImageClassifier: its state shapes against the spec's
  const linear = new Linear(64, 4);
  assert.throws(() => saveCheckpoint(join(root, 'linear'), linear, spec, { kind: 'test' }), /saveCheckpoint: the spec .* does not describe this model \('.*' is .* in the model, .* in the spec's\); give the model's own spec/);
  assert.ok(!existsSync(join(root, 'linear')));
  linear.dispose();
  assert.deepEqual(memory(), base, 'the checks free what they build');
  const dir = join(root, 'good');
  // saving draws no random numbers: the global generator is where it was (a run after a save stays reproducible)
  const draw = (): number[] => tidy(() => [...(randn([4]).toTypedArray() as Float32Array)]);
  manualSeed(5);
  const expected = draw();
  manualSeed(5);
  saveCheckpoint(dir, model, spec, { kind: 'test', note: Number.NaN });
  assert.deepEqual(draw(), expected);
  // a spec that leaves a default out builds the same model: accepted (createModel fills hiddenSizes in)
  const short = { name: 'mlp', inChannels: 1, numClasses: 4, imageSize: 8 } as const;
  const withDefaults = createModel(short);
  saveCheckpoint(join(root, 'short'), withDefaults, short, { kind: 'test' });
  withDefaults.dispose();
  const loaded = loadCheckpoint(dir);
  assert.deepEqual(loaded.manifest.model, spec);
  assert.equal(loaded.manifest['note'], null, 'NaN is written as null, as documented');
  loaded.model.dispose();
  model.dispose();
});
