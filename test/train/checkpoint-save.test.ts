// saveCheckpoint refuses, before writing anything, what loadCheckpoint could not load back: a spec of another
// architecture, an invalid spec, an info JSON cannot hold. A right one round-trips.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createModel, type ModelSpec } from '../../src/models/index.js';
import { loadCheckpoint, saveCheckpoint } from '../../src/index.js';
import { memory } from '../../src/torch/index.js';

const spec: ModelSpec = { name: 'mlp', inChannels: 1, numClasses: 4, imageSize: 8, hiddenSizes: [16] };

test('saveCheckpoint: a spec that does not build the model, or an unserialisable info, writes nothing', () => {
  const root = mkdtempSync(join(tmpdir(), 'lethe-save-'));
  const model = createModel(spec);
  const base = memory();
  const refused: [ModelSpec, Record<string, unknown>, RegExp][] = [
    [{ name: 'smallcnn', inChannels: 3, numClasses: 7 }, {}, /saveCheckpoint: the spec .*"smallcnn".* does not describe this model \('.*' is .* in the model, .* in the spec's\); give the model's own spec/],
    [{ ...spec, numClasses: 5 }, {}, /does not describe this model \('.*' is 4(×16)? in the model, 5(×16)? in the spec's\)/],
    [{ ...spec, hiddenSizes: [8] }, {}, /does not describe this model/],
    [{ name: 'foo' } as unknown as ModelSpec, {}, /saveCheckpoint: model spec: unknown model 'foo'/],
    [spec, { big: 1n }, /saveCheckpoint: info cannot be written as JSON \(.*BigInt/],
  ];
  for (const [i, [s, info, message]] of refused.entries()) {
    const dir = join(root, `bad${i}`);
    assert.throws(() => saveCheckpoint(dir, model, s, { kind: 'test', ...info }), message);
    assert.ok(!existsSync(dir), `case ${i}: nothing written`);
  }
  assert.deepEqual(memory(), base, 'the checks free what they build');
  const dir = join(root, 'good');
  saveCheckpoint(dir, model, spec, { kind: 'test', note: Number.NaN });
  const loaded = loadCheckpoint(dir);
  assert.deepEqual(loaded.manifest.model, spec);
  assert.equal(loaded.manifest['note'], null, 'NaN is written as null, as documented');
  loaded.model.dispose();
  model.dispose();
});
