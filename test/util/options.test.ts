// The options checks every public entry point uses: a misspelt name or choice is an error naming what is accepted,
// never the default run silently; exported defaults are frozen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deepFreeze, oneOf, refuseUnknownKeys } from '../../src/util/options.js';
import { mlp, smallCnn, resnet20 } from '../../src/models/index.js';
import { NoiseSchedule } from '../../src/diffusion/schedule.js';
import { DataLoader } from '../../src/data/loader.js';
import { augmentation } from '../../src/data/augment.js';
import { syntheticDataset } from '../../src/data/synthetic.js';
import { memory } from '../../src/torch/index.js';
import { baselineMemory } from '../baseline.js';

test('refuseUnknownKeys, oneOf and deepFreeze on hand-made cases', () => {
  refuseUnknownKeys('f', { a: 1, b: undefined, zz: undefined }, ['a']); // undefined values pass
  refuseUnknownKeys('f', undefined, ['a']);
  assert.throws(() => refuseUnknownKeys('f', { a: 1, c: 2 }, ['a', 'b']), /^Error: f: unknown option 'c'; the options are a, b$/);
  assert.equal(oneOf('f', 'k', 'y', ['x', 'y'] as const), 'y');
  assert.throws(() => oneOf('f', 'k', 'z', ['x', 'y', 'w'] as const, { w: 'the reference' }), /^RangeError: f: k must be 'x', 'y' or 'w' \(the reference\), got 'z'$/);
  const d = deepFreeze({ a: { b: [1, 2] } });
  assert.ok(Object.isFrozen(d) && Object.isFrozen(d.a) && Object.isFrozen(d.a.b));
});

test('model factories, NoiseSchedule, DataLoader and augmentation refuse misspelt options', () => {
  const base = baselineMemory();
  assert.throws(() => mlp({ numclasses: 5 } as never), /mlp: unknown option 'numclasses'; the options are inChannels, numClasses, mean, std, imageSize, hiddenSizes/);
  assert.throws(() => smallCnn({ hiddenSizes: [5] } as never), /smallCnn: unknown option 'hiddenSizes'/);
  assert.throws(() => resnet20({ imageSize: 32 } as never), /resnet20: unknown option 'imageSize'/);
  assert.throws(() => new NoiseSchedule({ timestep: 10 } as never), /NoiseSchedule: unknown option 'timestep'/);
  assert.throws(() => augmentation({ crop: 4 } as never), /augment: unknown option 'crop'; the options are cropPadding, flip/);
  const data = syntheticDataset({ n: 4, classes: 2, size: 4, seed: 1 });
  assert.throws(() => new DataLoader(data, { batchSize: 2, shufle: true } as never), /DataLoader: unknown option 'shufle'/);
  data.dispose();
  assert.deepEqual(memory(), base, 'nothing built before the refusal');
});
