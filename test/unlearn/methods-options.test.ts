// The new methods are registered with documented defaults, and unknown or bad options fail with clear errors
// before anything is trained, leaving the original untouched and no tensor behind.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { getMethod, unlearn, type UnlearnRunOptions } from '../../src/unlearn/index.js';
import { parseMilestones } from '../../src/unlearn/methods/retrain.js';
import { assertMemory, assertUnchanged, flatParams, makeFixture, snapshot, type Fixture } from './methods-fixture.js';
import { baselineMemory } from '../baseline.js';

let f: Fixture;
before(async () => {
  f = await makeFixture();
});
after(() => f.dispose());

const NEW = ['retrain', 'iu', 'l1-sparse', 'bs', 'be', 'scrub', 'salun-soft'];

test('every new method is registered with a summary, a reference and its documented defaults', () => {
  for (const name of NEW) {
    const m = getMethod(name);
    assert.equal(m.name, name);
    assert.ok(m.summary.length > 20 && !m.summary.includes('\n'), `${name}: one-line summary`);
    assert.ok(m.reference.length > 40, `${name}: reference`);
  }
  assert.deepEqual(
    { epochs: getMethod('retrain').defaults.epochs, lr: getMethod('retrain').defaults.lr, batchSize: getMethod('retrain').defaults.batchSize },
    { epochs: 20, lr: 0.1, batchSize: 256 },
  );
  assert.equal((getMethod('iu').defaults as unknown as { alpha: number }).alpha, 0.2);
  assert.equal((getMethod('iu').defaults as unknown as { woodfisherN: number }).woodfisherN, 1000);
  assert.deepEqual([getMethod('l1-sparse').defaults.epochs, getMethod('l1-sparse').defaults.lr, (getMethod('l1-sparse').defaults as unknown as { alpha: number }).alpha], [10, 0.01, 1e-4]);
  assert.deepEqual([getMethod('bs').defaults.lr, getMethod('be').defaults.lr, getMethod('bs').defaults.epochs, getMethod('be').defaults.epochs], [1e-5, 1e-5, 10, 10]);
  const scrub = getMethod('scrub').defaults as unknown as Record<string, unknown>;
  assert.deepEqual(
    [scrub['optimizer'], scrub['lr'], scrub['epochs'], scrub['msteps'], scrub['kdT'], scrub['alpha'], scrub['gamma'], scrub['batchSize'], scrub['forgetBatchSize']],
    ['adam', 5e-4, 10, 3, 2, 0.5, 1, 32, 64],
  );
  assert.equal((getMethod('salun-soft').defaults as unknown as { maskRatio: number }).maskRatio, 0.5);
  assert.equal(getMethod('bs').usesRetain, false);
  assert.equal(getMethod('be').usesRetain, false);
});

test('parseMilestones: increasing positive epochs within the run', () => {
  assert.equal(parseMilestones('', 20, 'retrain'), undefined);
  assert.deepEqual(parseMilestones('10, 15', 20, 'retrain'), [10, 15]);
  assert.throws(() => parseMilestones('15,10', 20, 'retrain'), /increasing/);
  assert.throws(() => parseMilestones('10,x', 20, 'retrain'), /positive integers/);
  assert.throws(() => parseMilestones('30', 20, 'retrain'), /past the last epoch/);
});

/** a value outside an option's choices, as a CLI flag or a JSON recipe can give it */
const misspelt = (v: string): never => v as never;

const BAD: [string, Omit<UnlearnRunOptions, 'method'>, RegExp][] = [
  ['iu', { options: { alhpa: 1 } }, /method 'iu' has no option 'alhpa'; its options are .*alpha/],
  ['scrub', { options: { kd_T: 4 } }, /method 'scrub' has no option 'kd_T'/],
  ['be', { options: { keepShadow: 'yes' } }, /option 'keepShadow' must be a boolean/],
  ['retrain', { options: { schedule: 'step' } }, /retrain: schedule must be 'multistep', 'cosine' or 'constant'/],
  ['retrain', { options: { milestones: '15,10' } }, /retrain: milestones must be increasing/],
  ['retrain', { options: { epochs: 0 } }, /retrain: epochs must be at least 1/],
  ['retrain', { mask: true }, /method 'retrain' cannot use a saliency mask: it trains a fresh model on D_r from scratch \(drop the mask option\)/],
  ['iu', { options: { alpha: -1 } }, /iu: alpha must be positive/],
  ['iu', { options: { lr: 0.1 } }, /iu is a one-shot update.*'lr' has no effect/],
  ['iu', { options: { woodfisherN: 2.5 } }, /iu: woodfisherN must be a positive integer/],
  ['iu', { subspace: true }, /method 'iu' cannot use an SVD subspace: it updates the weights in one shot/],
  ['l1-sparse', { options: { alpha: -1e-4 } }, /l1-sparse: alpha must be ≥ 0/],
  ['l1-sparse', { options: { noL1Epochs: 10 } }, /l1-sparse: noL1Epochs must be an integer in \[0, epochs\)/],
  ['bs', { options: { epsilon: 0 } }, /bs: epsilon must be in \(0, 1\]/],
  ['bs', { options: { lr: 0 } }, /bs: lr must be positive/],
  ['be', { mask: true }, /method 'be' cannot use a saliency mask: it changes the shape of the classifier head/],
  ['scrub', { options: { optimizer: 'rmsprop' } }, /scrub: optimizer must be 'adam' or 'sgd'/],
  ['scrub', { options: { lrDecayEpochs: '5,x' } }, /scrub: lrDecayEpochs must be comma-separated positive integers/],
  ['scrub', { options: { kdT: 0 } }, /scrub: kdT must be positive/],
  ['scrub', { options: { alpha: 0, gamma: 0 } }, /scrub: alpha and gamma are both 0/],
  ['salun-soft', { options: { maskRatio: 1.5 } }, /salun-soft: maskRatio must be in \[0, 1\]/],
  ['salun-soft', { options: { variant: 'interleaved' } }, /salun-soft: variant must be 'sequential' or 'mixed'/],
  ['salun-soft', { subspace: true }, /method 'salun-soft' cannot use an SVD subspace: it soft-thresholds the weights directly/],
  ['ufg', { options: { normalization: 'none' } }, /ufg: normalization must be 'reference' or 'weighted'/],
  ['cufg', { options: { stepNorm: 'global' } }, /cufg: stepNorm must be 'unit' \(the reference\) or 'retain'/],
  ['ufg', { options: { gate: 'layer' } }, /ufg: gate must be 'tensor' \(the reference\) or 'model'/],
  ['ufg', { options: { stageEpochs: 0 } }, /ufg: stageEpochs must be a positive integer, got 0/],
  // a misspelt block choice would otherwise select another variant of the algorithm
  ['semu', { subspace: { projection: misspelt('orthogonl') } }, /SEMU subspace: projection must be 'orthogonal', 'reference' \(the reference code's ‖W‖\) or 'none', got 'orthogonl'/],
  ['semu', { subspace: { rankRule: misspelt('referense') } }, /SEMU subspace: rankRule must be 'reference' or 'reach', got 'referense'/],
  ['semu', { subspace: { bnMode: misspelt('training') } }, /SEMU subspace: bnMode must be 'eval' or 'train' \(the reference\), got 'training'/],
  ['cufg', { curriculum: { score: misspelt('margin') } }, /curriculum: score must be 'loss', 'confidence' or 'entropy', got 'margin'/],
  ['cufg', { curriculum: { order: misspelt('easy') } }, /curriculum: order must be 'easy-first' or 'hard-first', got 'easy'/],
];

test('unknown option names and bad values: clear errors, the original untouched, nothing leaked', async () => {
  const snap = snapshot(f.original);
  const base = baselineMemory();
  for (const [method, o, message] of BAD) {
    await assert.rejects(unlearn(f.original, f.spec, { forget: f.forget, retain: f.retain }, { method, ...o }), message, `${method} ${JSON.stringify(o)}`);
  }
  assertUnchanged(f.original, snap, 'bad options');
  assertMemory(base, 'bad options');
});

test('a block the method cannot use, or a bad block setting, is refused before any block is built', async () => {
  const phases: string[] = [];
  const progress = (e: { phase: string }): number => phases.push(e.phase);
  const refused: [string, Omit<UnlearnRunOptions, 'method'>, RegExp][] = [
    // ft and l1-sparse never read D_f: a curriculum would change nothing, and would be recorded as if used
    ['ft', { curriculum: true }, /method 'ft' cannot use a curriculum: it trains on D_r alone and never reads D_f.*\(drop the curriculum option\)/],
    ['l1-sparse', { curriculum: { stages: 2 } }, /method 'l1-sparse' cannot use a curriculum/],
    ['iu', { curriculum: true }, /method 'iu' cannot use a curriculum: it has no epochs for a curriculum to schedule/],
    ['retrain', { curriculum: true }, /method 'retrain' cannot use a curriculum: it trains a fresh model on D_r from scratch, and never reads D_f/],
    ['retrain', { subspace: true }, /method 'retrain' cannot use an SVD subspace/],
    ['be', { subspace: true }, /method 'be' cannot use an SVD subspace: it changes the shape of the classifier head/],
    // the mask's settings, before its gradient pass over D_f
    ['salun', { mask: { ratio: 1.5 } }, /saliency mask: ratio must be in \(0, 1\], got 1\.5/],
    ['ga', { mask: { ratio: 0 } }, /saliency mask: ratio must be in \(0, 1\], got 0/],
    ['salun', { mask: { mode: misspelt('leaky') } }, /saliency mask: maskMode must be 'update' \(exact freeze\) or 'grad'/],
    ['cufg', { curriculum: { batchSize: 0 } }, /curriculum: batchSize must be a positive integer, got 0/],
    ['cufg', { curriculum: { partial: misspelt('yes') } }, /curriculum: partial must be true or false, got yes/],
    // a layer name that matches nothing would keep every layer at its reduced rank without a word
    ['semu', { subspace: { fullRank: 'nolayer' } }, /SEMU subspace: fullRank 'nolayer' matches no Conv2d or Linear layer of the model \(its layers: .*weight/],
    // misspelt settings would run the defaults without a word
    ['salun', { mask: { ratoi: 0.1 } as never }, /saliency mask block: unknown option 'ratoi'; the options are ratio, mode, precomputed, onBuilt/],
    ['semu', { subspace: { gama: 0.5 } as never }, /SVD subspace block: unknown option 'gama'; the options are gamma, projection/],
    ['cufg', { curriculum: { stagess: 2 } as never }, /curriculum block: unknown option 'stagess'/],
    ['ga', { sede: 3 } as never, /unlearn: unknown option 'sede'; the options are method, options, mask/],
    // disjoint stages: one that starts after the last epoch would leave its share of D_f unforgotten
    ['ga', { options: { epochs: 2 }, curriculum: { stages: 3, epochsPerStage: 2 } }, /curriculum: its stage 3 starts at epoch 5, after the run's 2, so its forget samples would never be used; give epochs ≥ 5, or fewer stages or epochsPerStage, or partial=true/],
  ];
  for (const [method, o, message] of refused) {
    await assert.rejects(unlearn(f.original, f.spec, { forget: f.forget, retain: f.retain }, { method, ...o, progress }), message, `${method} ${JSON.stringify(o)}`);
  }
  assert.deepEqual(phases, [], 'no mask, subspace or curriculum was built, nothing trained');
  // the methods that read D_f take a curriculum; ga and rl take a mask
  for (const [method, o] of [['ga', { curriculum: { stages: 1 } }], ['bs', { curriculum: { stages: 1 } }], ['ga', { mask: { ratio: 0.5 } }]] as const) {
    const r = await unlearn(f.original, f.spec, { forget: f.forget, retain: f.retain }, { method, ...o, options: { epochs: 1, lr: 1e-6 }, seed: 1 });
    r.model.dispose();
  }
});

test('RL\u2019s mixed variant augments its batches when the run asks (as the reference\u2019s concatenated dataset keeps its transforms)', async () => {
  const run = async (augment: boolean): Promise<Float64Array> => {
    const r = await unlearn(f.original, f.spec, { forget: f.forget, retain: f.retain }, { method: 'rl', options: { epochs: 1, batchSize: 16, variant: 'mixed', augment }, seed: 4 });
    try {
      return flatParams(r.model);
    } finally {
      r.model.dispose();
    }
  };
  assert.notDeepEqual(await run(true), await run(false));
});

test('the common options and a method\u2019s own are checked before any block is built (no mask gradient for a typo)', async () => {
  const phases: string[] = [];
  const progress = (e: { phase: string }): number => phases.push(e.phase);
  await assert.rejects(unlearn(f.original, f.spec, { forget: f.forget, retain: f.retain }, { method: 'salun', options: { labels: misspelt('worng') }, progress }), /salun: labels must be 'uniform' or 'wrong', got 'worng'/);
  await assert.rejects(unlearn(f.original, f.spec, { forget: f.forget, retain: f.retain }, { method: 'cufg', options: { normalization: misspelt('unit') }, progress }), /cufg: normalization must be 'reference' or 'weighted'/);
  await assert.rejects(unlearn(f.original, f.spec, { forget: f.forget, retain: f.retain }, { method: 'ft', options: { lr: -1 }, progress }), /ft: lr must be positive, got -1/);
  await assert.rejects(unlearn(f.original, f.spec, { forget: f.forget, retain: f.retain }, { method: 'semu', options: { momentum: 1 }, progress }), /semu: momentum must be in \[0, 1\), got 1/);
  assert.deepEqual(phases, [], 'nothing ran');
});
