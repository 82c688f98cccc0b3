// Exported defaults are shared by every later run: a caller's write must fail, not change them for everyone.
// And a dataset's label array is a copy: writing to it cannot change the dataset.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PROTOCOL_RECIPE, type TrainRecipe } from '../../src/train/recipe.js';
import { BLOCK_DEFAULTS, getMethod } from '../../src/unlearn/index.js';
import { UNET_PRESETS } from '../../src/diffusion/config.js';
import { CORRECTOR_DEFAULTS } from '../../src/unlearn/blocks/corrector.js';
import { syntheticDataset } from '../../src/data/synthetic.js';
import { createModel } from '../../src/models/index.js';

test('defaults cannot be changed from outside: recipe, blocks, method defaults, UNet presets', () => {
  const writes: [string, () => void][] = [
    ['PROTOCOL_RECIPE.epochs', () => ((PROTOCOL_RECIPE as TrainRecipe).epochs = 1)],
    ['PROTOCOL_RECIPE.milestones', () => (PROTOCOL_RECIPE as TrainRecipe).milestones.push(3)],
    ['BLOCK_DEFAULTS.mask.ratio', () => ((BLOCK_DEFAULTS.mask as { ratio: number }).ratio = 0.9)],
    ['CORRECTOR_DEFAULTS.tau0', () => ((CORRECTOR_DEFAULTS as { tau0: number }).tau0 = 0.9)],
    ['ga defaults.lr', () => ((getMethod('ga').defaults as { lr: number }).lr = 1)],
    ['UNET_PRESETS.small.channelMults', () => (UNET_PRESETS.small.channelMults as unknown as number[]).push(8)],
  ];
  for (const [what, write] of writes) assert.throws(write, TypeError, what);
  assert.equal(PROTOCOL_RECIPE.epochs, 20);
  assert.equal(getMethod('ga').defaults.lr, 1e-4);
});

test('labelArray() is a copy: writing to it leaves the class counts alone', () => {
  const d = syntheticDataset({ n: 8, classes: 2, size: 4, seed: 1 });
  const before = [...d.classCounts()];
  d.labelArray().fill(0);
  assert.deepEqual([...d.classCounts()], before);
  d.dispose();
});

test('a model\u2019s spec cannot be edited to disagree with its head, nor a clone\u2019s', () => {
  const m = createModel({ name: 'mlp', inChannels: 1, numClasses: 3, imageSize: 4, hiddenSizes: [4] });
  const c = m.clone();
  for (const model of [m, c]) assert.throws(() => ((model._spec as { numClasses: number }).numClasses = 99), TypeError);
  assert.equal(c.spec.numClasses, 3);
  c.dispose();
  m.dispose();
});
