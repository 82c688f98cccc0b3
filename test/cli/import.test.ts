// `lethe import`: weights trained elsewhere become an original checkpoint that scores exactly what the source model
// scored and that lethe unlearn accepts; DataParallel prefixes, missing normalisation, a whole-training-set split
// (--val-fraction 0) and every kind of bad file get a clear answer.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSafetensors, saveSafetensors } from '../../src/io/index.js';
import { createModel, memory, tidy, type Tensor } from '../../src/index.js';
import { ROOT, TINY, errorLine, runCli, startCli, tempDir } from './helpers.js';
import { baselineMemory } from '../baseline.js';

let dir: string;
let sourceAccuracy: { train: number; val: number; test: number };

const manifest = (d: string): Record<string, unknown> => JSON.parse(readFileSync(join(dir, d, 'manifest.json'), 'utf8')) as Record<string, unknown>;

/** The trained model's weights rewritten by `edit` (renames, removals, replaced values) into a safetensors file. */
function variant(name: string, edit: (m: Map<string, Tensor>) => Map<string, Tensor>): string {
  const base = baselineMemory();
  const { tensors } = loadSafetensors(join(dir, 'orig', 'model.safetensors'));
  const out = tidy(() => edit(tensors)); // intermediate results are freed
  const path = join(dir, name);
  saveSafetensors(path, out);
  for (const t of new Set([...tensors.values(), ...out.values()])) t.dispose();
  assert.deepEqual(memory(), base);
  return path;
}

before(async () => {
  dir = tempDir('lethe-import-');
  const train = await runCli(['train', '--model', 'mlp', ...TINY, '--epochs', '2', '--out', 'orig', '--quiet'], dir);
  assert.equal(train.code, 0, train.stderr);
  sourceAccuracy = manifest('orig')['accuracy'] as typeof sourceAccuracy;
});

test('a Lethe model exported as safetensors imports to the same accuracies, and lethe unlearn runs on it', async () => {
  const r = await runCli(['import', join(dir, 'orig', 'model.safetensors'), '--model', 'mlp', ...TINY, '--out', 'imp', '--json'], dir);
  assert.equal(r.code, 0, r.stderr);
  const m = manifest('imp');
  assert.equal(m['kind'], 'original');
  const acc = m['accuracy'] as typeof sourceAccuracy;
  assert.equal(acc.train, sourceAccuracy.train);
  assert.equal(acc.val, sourceAccuracy.val);
  assert.equal(acc.test, sourceAccuracy.test);
  assert.equal((m['imported'] as { format: string }).format, 'safetensors');
  const un = await runCli(['unlearn', '--from', 'imp', '--forget', 'random:0.1', '--method', 'ga', '--epochs', '1', '--out', 'ga', '--quiet'], dir);
  assert.equal(un.code, 0, un.stderr);
  // the imported file is never overwritten, whatever link leads to it
  const self = await runCli(['import', join(dir, 'imp', 'model.safetensors'), '--model', 'mlp', ...TINY, '--out', 'imp', '--force'], dir);
  assert.equal(self.code, 2);
  assert.match(errorLine(self), /--out: '.*imp' would overwrite the file being imported/);
  mkdirSync(join(dir, 'plain'));
  copyFileSync(join(dir, 'orig', 'model.safetensors'), join(dir, 'plain', 'model.safetensors'));
  symlinkSync(join(dir, 'plain'), join(dir, 'link'));
  const viaLink = await runCli(['import', join(dir, 'link', 'model.safetensors'), '--model', 'mlp', ...TINY, '--out', 'plain'], dir);
  assert.equal(viaLink.code, 2);
  assert.match(errorLine(viaLink), /would overwrite the file being imported/);
});

test("DataParallel's 'module.' prefix is removed; a file without normalize.* needs --normalize", async () => {
  const bare = variant('bare.safetensors', (m) => new Map([...m].filter(([k]) => !k.startsWith('normalize.')).map(([k, v]) => [`module.${k}`, v])));
  const missing = await runCli(['import', bare, '--model', 'mlp', ...TINY, '--out', 'x'], dir);
  assert.equal(missing.code, 2);
  assert.match(errorLine(missing), /has no normalize\.mean\/normalize\.std, so say how the model saw its inputs: --normalize data/);
  // Lethe trained it on the data's mean/std, so --normalize data restores the same model
  const r = await runCli(['import', bare, '--model', 'mlp', ...TINY, '--normalize', 'data', '--out', 'bare'], dir);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /'module\.' prefix of DataParallel removed/);
  assert.equal((manifest('bare')['accuracy'] as typeof sourceAccuracy).test, sourceAccuracy.test);
  // the same numbers spelt out give the same model; none (raw pixels) gives another
  const explicit = await runCli(['import', bare, '--model', 'mlp', ...TINY, '--normalize', '0.286:0.353', '--out', 'explicit'], dir);
  assert.equal(explicit.code, 0, explicit.stderr);
  assert.equal((manifest('explicit')['accuracy'] as typeof sourceAccuracy).test, sourceAccuracy.test);
  const raw = await runCli(['import', bare, '--model', 'mlp', ...TINY, '--normalize', 'none', '--out', 'raw'], dir);
  assert.equal(raw.code, 0, raw.stderr);
  assert.equal((manifest('raw')['model'] as { mean?: number[] }).mean, undefined);
  assert.notEqual((manifest('raw')['accuracy'] as typeof sourceAccuracy).train, sourceAccuracy.train);
  for (const [value, message] of [
    ['0.3,0.1:0.3', /--normalize: '0\.3,0\.1:0\.3' is not MEAN:STD with 1 number\(s\) each/],
    [' :0.3', /is not MEAN:STD/], // an empty entry is not 0
    ['0.3:1e-50', /needs each std in \[1e-6, 1e6\]/], // 0 in float32
  ] as const) {
    const bad = await runCli(['import', bare, '--model', 'mlp', ...TINY, '--normalize', value, '--out', 'x'], dir);
    assert.equal(bad.code, 2, value);
    assert.match(errorLine(bad), message);
  }
  const twice = await runCli(['import', join(dir, 'orig', 'model.safetensors'), '--model', 'mlp', ...TINY, '--normalize', 'data', '--out', 'x'], dir);
  assert.equal(twice.code, 2);
  assert.match(errorLine(twice), /carries its own input normalisation/);
});

test('--val-fraction 0: D_f ∪ D_r is the whole training set, and there is no validation accuracy', async () => {
  const r = await runCli(['import', join(dir, 'orig', 'model.safetensors'), '--model', 'mlp', ...TINY, '--val-fraction', '0', '--out', 'all'], dir);
  assert.equal(r.code, 0, r.stderr);
  const m = manifest('all');
  assert.deepEqual(m['sizes'], { train: 1200, val: 0, test: 500 });
  assert.equal((m['accuracy'] as { val: number | null }).val, null);
  assert.equal((m['dataConfig'] as { valFraction: number }).valFraction, 0);
  // its retrain reference is made on the same split: lethe train takes --val-fraction too, and trains without validation
  const re = await runCli(['train', '--model', 'mlp', ...TINY, '--epochs', '1', '--val-fraction', '0', '--forget', 'random:0.1', '--out', 'retrain0', '--quiet'], dir);
  assert.equal(re.code, 0, re.stderr);
  assert.equal((manifest('retrain0')['sizes'] as { train: number }).train, 1080);
  const un = await runCli(['unlearn', '--from', 'all', '--forget', 'random:0.1', '--method', 'ga', '--epochs', '1', '--reference', 'retrain0', '--out', 'ga0', '--quiet'], dir);
  assert.equal(un.code, 0, un.stderr);
  // a retrain on the protocol's 10% split is another split: refused as a reference
  const other = await runCli(['train', '--model', 'mlp', ...TINY, '--epochs', '1', '--forget', 'random:0.1', '--out', 'retrain10', '--quiet'], dir);
  assert.equal(other.code, 0, other.stderr);
  const refused = await runCli(['unlearn', '--from', 'all', '--forget', 'random:0.1', '--method', 'ga', '--epochs', '1', '--reference', 'retrain10', '--out', 'ga10'], dir);
  assert.equal(refused.code, 2);
  assert.match(errorLine(refused), /--reference: '.*retrain10' was trained on other data \(valFraction 0\.1 against 0\)/);
  const wild = await runCli(['import', join(dir, 'orig', 'model.safetensors'), '--model', 'mlp', ...TINY, '--val-fraction', '0.9', '--out', 'x'], dir);
  assert.equal(wild.code, 2);
  assert.match(errorLine(wild), /--val-fraction: expected a share of each class in \[0, 0\.5\], got 0\.9/);
});

test('bad files: not weights, weights of another model, NaN weights, a key in a safetensors file, a missing file', async () => {
  const junk = join(dir, 'junk.bin');
  writeFileSync(junk, 'not a model at all');
  const cases: [string[], number, RegExp][] = [
    [[junk, '--model', 'mlp'], 1, /is neither a torch\.save file .* nor a safetensors file/],
    [[join(dir, 'orig', 'model.safetensors'), '--model', 'smallcnn'], 1, /the weights do not fit --model smallcnn for fashion-mnist \(1 channel\(s\), 10 classes\): .*missing keys/],
    // a real torch.save file (the io fixtures), whose tensors are not an mlp's
    [[join(ROOT, 'test', 'fixtures', 'pytorch', 'state_dict.pt'), '--model', 'mlp'], 1, /has no fc1\.weight: not an mlp's state dict \(is --model right\?\)/],
    [[join(dir, 'orig', 'model.safetensors'), '--model', 'mlp', '--key', 'state_dict'], 1, /a safetensors file, .*a key \('state_dict'\) applies to PyTorch checkpoints only/],
    [[join(dir, 'nope.pth'), '--model', 'mlp'], 2, /import: '.*nope\.pth' does not exist/],
  ];
  const nan = variant('nan.safetensors', (m) => {
    const out = new Map(m);
    const w = m.get('fc1.weight')!;
    out.set('fc1.weight', w.mul(Number.NaN));
    return out;
  });
  cases.push([[nan, '--model', 'mlp'], 1, /the weights hold NaN or infinite values \(first in 'fc1\.weight'\)/]);
  const ints = variant('int.safetensors', (m) => new Map([...m].map(([k, v]) => [k, k === 'fc1.weight' ? v.mul(1000).to('int32') : v])));
  cases.push([[ints, '--model', 'mlp'], 1, /'fc1\.weight' holds int32 values where the model has floating-point weights/]);
  const huge = variant('huge.safetensors', (m) => new Map([...m].map(([k, v]) => [k, k.startsWith('fc') ? v.mul(1e30) : v])));
  cases.push([[huge, '--model', 'mlp'], 1, /the imported model's outputs on train are NaN or infinite/]);
  const half = variant('half.safetensors', (m) => new Map([...m].filter(([k]) => k !== 'normalize.std')));
  cases.push([[half, '--model', 'mlp'], 1, /has normalize\.mean but not normalize\.std/]);
  cases.push([[join(ROOT, 'test', 'fixtures', 'pytorch', 'legacy.pt'), '--model', 'mlp'], 1, /legacy \(pre-1\.6, non-zip\) torch\.save format/]);
  cases.push([[dir, '--model', 'mlp'], 2, /import: '.*' is not a file/]);
  for (const [args, code, message] of cases) {
    const r = await runCli(['import', ...args, ...TINY, '--out', 'x'], dir);
    assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
    assert.match(errorLine(r), message);
  }
});

test('a resnet20 state dict without BatchNorm step counters (older PyTorch) loads with them at 0', async () => {
  const base = baselineMemory();
  const model = createModel({ name: 'resnet20', inChannels: 1, numClasses: 10, mean: [0.286], std: [0.353] });
  const path = join(dir, 'old-resnet20.safetensors');
  tidy(() => saveSafetensors(path, new Map([...model.stateDict()].filter(([k]) => !k.endsWith('num_batches_tracked')))));
  model.dispose();
  assert.deepEqual(memory(), base);
  const r = await runCli(['import', path, '--model', 'resnet20', ...TINY, '--out', 'r20'], dir);
  assert.equal(r.code, 0, r.stderr);
  const { tensors } = loadSafetensors(join(dir, 'r20', 'model.safetensors'));
  const counters = [...tensors].filter(([k]) => k.endsWith('num_batches_tracked'));
  assert.equal(counters.length, 19);
  for (const [, t] of counters) assert.equal(Number(t.item()), 0);
  for (const t of tensors.values()) t.dispose();
});

test('Ctrl-C while the imported model is evaluated exits 130 and writes nothing', async () => {
  const path = join(dir, 'old-resnet20.safetensors'); // written by the test above
  let sent = false;
  // a resnet20 takes about a second over the training split here, and the signal lands within milliseconds of the
  // log line: it is seen at the boundary after the split being evaluated, before anything is written
  const r = await startCli(['import', path, '--model', 'resnet20', ...TINY, '--out', 'stopped'], {
    cwd: dir,
    onStderr: (text, child) => {
      if (!sent && /evaluating/.test(text)) {
        sent = true;
        child.kill('SIGINT');
      }
    },
  });
  assert.ok(sent, `never saw the evaluation start:\n${r.stderr}`);
  assert.equal(r.code, 130, r.stderr);
  assert.match(r.stderr, /interrupted/);
  assert.ok(!existsSync(join(dir, 'stopped')), 'an interrupted import leaves no checkpoint directory');
});
