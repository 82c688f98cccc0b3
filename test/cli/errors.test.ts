// Bad usage exits 2 with one line naming the flag or file; failures (a corrupt checkpoint) exit 1. No stacks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { TINY, errorLine, runCli, tempDir } from './helpers.js';
import { FASHION_MNIST_DEBIAN_DIR } from '../../src/data/datasets.js';
import { loadCheckpoint, saveCheckpoint } from '../../src/train/checkpoint.js';
import { noGrad } from '../../src/torch/index.js';

const dir = tempDir();

function noStack(stderr: string): void {
  assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace without LETHE_DEBUG=1');
}

test('usage errors exit 2 and name what is wrong', async () => {
  const unknownFlag = await runCli(['train', '--out', 'x', '--epoks', '3'], dir);
  assert.equal(unknownFlag.code, 2);
  assert.match(unknownFlag.stderr, /unknown option '--epoks'/);

  const missingOut = await runCli(['train', '--model', 'mlp'], dir);
  assert.equal(missingOut.code, 2);
  assert.match(errorLine(missingOut), /--out: required/);

  const badValue = await runCli(['train', '--train-size', 'lots', '--out', 'x'], dir);
  assert.equal(badValue.code, 2);
  assert.match(errorLine(badValue), /--train-size: 'lots' is not a number/);

  const badModel = await runCli(['train', '--model', 'vgg', '--out', 'x'], dir);
  assert.equal(badModel.code, 2);
  assert.match(errorLine(badModel), /--model: 'vgg' is not one of resnet18, resnet20, smallcnn, mlp/);

  const missingFrom = await runCli(['unlearn', '--from', 'nowhere', '--method', 'ft'], dir);
  assert.equal(missingFrom.code, 2);
  assert.match(errorLine(missingFrom), /--from: directory '.*nowhere' does not exist/);
  noStack(missingFrom.stderr);

  writeFileSync(join(dir, 'config.json'), JSON.stringify({ model: 'mlp', 'train-siz': 10 }));
  const badConfig = await runCli(['train', '--config', 'config.json', '--out', 'x'], dir);
  assert.equal(badConfig.code, 2);
  assert.match(errorLine(badConfig), /config\.json' has unknown option 'train-siz'/);

  // one image per class at 0.5 rounds to all validation: said as such, not as fit's "the training set is empty"
  const allVal = await runCli(['train', '--model', 'mlp', '--train-size', '2', '--val-fraction', '0.5', '--out', 'x'], dir);
  assert.equal(allVal.code, 2);
  assert.match(errorLine(allVal), /--val-fraction: 0\.5 of each class leaves no training image of the 2 loaded/);

  // a flag given twice, or with its negation: commander would keep the last one without a word
  const twice = await runCli(['train', '--lr', '0.1', '--lr', '0.2', '--out', 'x'], dir);
  assert.equal(twice.code, 2);
  assert.match(errorLine(twice), /--lr: given twice; give it once/);
  const negated = await runCli(['unlearn', '--mask', '0.3', '--no-mask', '--from', 'x'], dir);
  assert.equal(negated.code, 2);
  assert.match(errorLine(negated), /--mask and --no-mask: given together; give one of them/);
  const nested = await runCli(['diffusion', 'sample', '--steps', '5', '--steps', '6'], dir);
  assert.equal(nested.code, 2);
  assert.match(errorLine(nested), /--steps: given twice/);
  // repeatable flags and a repeated plain switch stay accepted (they fail later, on the missing --from)
  const repeatable = await runCli(['unlearn', '--opt', 'a=1', '--opt', 'b=2', '--quiet', '--quiet', '--method', 'ft'], dir);
  assert.match(errorLine(repeatable), /--from: required/);
});

test('unknown method, forget spec out of range, corrupt checkpoint', async () => {
  const train = await runCli(['train', '--model', 'mlp', ...TINY, '--epochs', '1', '--out', 'orig', '--quiet'], dir);
  assert.equal(train.code, 0, train.stderr);

  const unknown = await runCli(['unlearn', '--from', 'orig', '--forget', 'random:0.1', '--method', 'forgetall'], dir);
  assert.equal(unknown.code, 2);
  assert.match(errorLine(unknown), /--method: unknown method 'forgetall'; known methods: .*salun/);

  const badOpt = await runCli(['unlearn', '--from', 'orig', '--forget', 'random:0.1', '--method', 'ft', '--opt', 'temperature=2'], dir);
  assert.equal(badOpt.code, 2);
  assert.match(errorLine(badOpt), /--opt: method 'ft' has no option 'temperature'/);

  const range = await runCli(['unlearn', '--from', 'orig', '--forget', 'class:12', '--method', 'ft'], dir);
  assert.equal(range.code, 2);
  assert.match(errorLine(range), /--forget: .*class 12 is out of range \[0, 10\)/);

  const fraction = await runCli(['unlearn', '--from', 'orig', '--forget', 'random:1.5', '--method', 'ft'], dir);
  assert.equal(fraction.code, 2);
  assert.match(errorLine(fraction), /--forget: .*'1\.5' is not a count .* nor a fraction in \(0, 1\)/);

  // flip one byte of the weights: the hash check fails, a failure (exit 1), not a usage error
  cpSync(join(dir, 'orig'), join(dir, 'corrupt'), { recursive: true });
  const weights = join(dir, 'corrupt', 'model.safetensors');
  const bytes = readFileSync(weights);
  bytes[bytes.length - 10] = bytes[bytes.length - 10]! ^ 0xff;
  writeFileSync(weights, bytes);
  const corrupt = await runCli(['unlearn', '--from', 'corrupt', '--forget', 'random:0.1', '--method', 'ft', '--epochs', '1'], dir);
  assert.equal(corrupt.code, 1);
  assert.match(errorLine(corrupt), /--from: checkpoint '.*corrupt': model\.safetensors does not match the manifest's hash/);
  noStack(corrupt.stderr);
  const ev = await runCli(['eval', 'corrupt', '--forget', 'random:0.1'], dir);
  assert.equal(ev.code, 1);

  // a manifest that is no object, or names a weights file outside its directory: said so, not a TypeError
  const manifests: [unknown, RegExp][] = [
    [null, /manifest\.json is not a JSON object; the checkpoint is corrupt/],
    [[1, 2], /manifest\.json is not a JSON object/],
    ['orig-weights', /the weights file '\.\.\/orig\/model\.safetensors' is not a file of the checkpoint's directory/],
    ['bad-seed', /its manifest's dataConfig\.seed is "x", not a non-negative integer; the manifest is corrupt/],
    ['bad-size', /its manifest's dataConfig\.trainSize is "abc", not a positive integer or null/],
  ];
  for (const [content, message] of manifests) {
    rmSync(join(dir, 'crafted'), { recursive: true, force: true });
    cpSync(join(dir, 'orig'), join(dir, 'crafted'), { recursive: true });
    const m = JSON.parse(readFileSync(join(dir, 'orig', 'manifest.json'), 'utf8')) as Record<string, any>;
    const crafted = (m: Record<string, any>): unknown => {
      if (content === 'orig-weights') m['weights'].file = '../orig/model.safetensors';
      else if (content === 'bad-seed') m['dataConfig'].seed = 'x';
      else if (content === 'bad-size') m['dataConfig'].trainSize = 'abc';
      else return content;
      return m;
    };
    writeFileSync(join(dir, 'crafted', 'manifest.json'), JSON.stringify(crafted(m)));
    const r = await runCli(['eval', 'crafted', '--forget', 'random:0.1'], dir);
    assert.equal(r.code, 1, String(content));
    assert.match(errorLine(r), message);
    noStack(r.stderr);
  }

  // a checkpoint whose weights hold NaN: said so before the run, not "lower the learning rate" after it
  const nanModel = loadCheckpoint(join(dir, 'orig'));
  try {
    noGrad(() => [...nanModel.model.parameters()][0]!.fill_(NaN));
    saveCheckpoint(join(dir, 'nan'), nanModel.model, nanModel.spec, { ...nanModel.manifest, kind: 'original' });
  } finally {
    nanModel.model.dispose();
  }
  const nan = await runCli(['unlearn', '--from', 'nan', '--forget', 'random:0.1', '--method', 'ft', '--out', 'x'], dir);
  assert.equal(nan.code, 1);
  assert.match(errorLine(nan), /--from: the weights of '.*nan' hold NaN or infinite values \(first in '.*'\): the model is broken/);

  // more option checks that come before any work
  const checks: [string[], RegExp][] = [
    [['unlearn', '--from', 'orig', '--forget', 'random:0.1', '--method', 'ft', '--opt', 'epochs=0', '--out', 'x'], /--opt: method 'ft' trains for epochs ≥ 1; epochs=0 would save the original unchanged/],
    [['unlearn', '--from', 'orig', '--forget', 'random:0.1', '--method', 'cufg', '--opt', 'forgetBatchSize=0', '--out', 'x'], /cufg: forgetBatchSize must be a positive integer, got 0/],
    [['unlearn', '--from', 'orig', '--forget', 'random:0.1', '--method', 'ft', '--opt', 'constructor=1', '--out', 'x'], /method 'ft' has no option 'constructor'/],
    [['sweep', '--method', 'retrain', '--model', 'mlp', ...TINY], /--method: 'retrain' is the reference every trial is measured against/],
    [['train', '--model', 'mlp', ...TINY, '--nproc', '64', '--out', 'x'], /--nproc 64: this machine has \d+ cores and each worker takes one/],
    [['diffusion', 'unlearn', '--from', 'nowhere', '--alpha', '-1', '--out', 'x'], /diffusion unlearn: alpha must be a finite weight ≥ 0, got -1/],
    [['diffusion', 'unlearn', '--from', 'nowhere', '--mask-ratio', '2', '--out', 'x'], /diffusion unlearn: --mask-ratio must be in \(0, 1\], got 2/],
  ];
  for (const [args, message] of checks) {
    const r = await runCli(args, dir);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(errorLine(r), message);
  }

  // LETHE_DEBUG=1 shows the stack
  const debug = await runCli(['eval', 'corrupt', '--forget', 'random:0.1'], dir, { LETHE_DEBUG: '1' });
  assert.equal(debug.code, 1);
  assert.match(debug.stderr, /\n\s+at /);
});

test('inputs are never overwritten, a reference must be a retrain, output files are checked first', async () => {
  const d = tempDir();
  const train = await runCli(['train', '--model', 'mlp', ...TINY, '--epochs', '1', '--out', 'orig', '--quiet'], d);
  assert.equal(train.code, 0, train.stderr);
  const sha = (): string => (JSON.parse(readFileSync(join(d, 'orig', 'manifest.json'), 'utf8')) as { weights: { sha256: string } }).weights.sha256;
  const before = sha();
  // not even --force writes the unlearned model over the model it reads (nor over the reference)
  for (const out of ['orig', './orig/', join(d, 'orig')]) {
    const r = await runCli(['unlearn', '--from', 'orig', '--forget', 'random:0.1', '--method', 'ga', '--out', out, '--force'], d);
    assert.equal(r.code, 2, out);
    assert.match(errorLine(r), /--out: '.*orig' is the --from input; write the output elsewhere \(inputs are never overwritten\)/);
  }
  const asRef = await runCli(['unlearn', '--from', 'orig', '--forget', 'random:0.1', '--method', 'ga', '--reference', 'orig', '--out', 'orig', '--force'], d);
  assert.equal(asRef.code, 2);
  assert.equal(sha(), before, 'the original is untouched');

  // block settings are checked before any gradient or SVD: a usage error
  const gamma = await runCli(['unlearn', '--from', 'orig', '--forget', 'random:0.1', '--method', 'semu', '--subspace', 'gamma=5', '--out', 'x'], d);
  assert.equal(gamma.code, 2);
  assert.match(errorLine(gamma), /SEMU subspace: gamma must be in \(0, 1\], got 5/);
  const fullRank = await runCli(['unlearn', '--from', 'orig', '--forget', 'random:0.1', '--method', 'semu', '--subspace', 'fullRank=nolayer', '--out', 'x'], d);
  assert.equal(fullRank.code, 2);
  assert.match(errorLine(fullRank), /fullRank 'nolayer' matches no Conv2d or Linear layer/);
  const stages = await runCli(['unlearn', '--from', 'orig', '--forget', 'random:0.1', '--method', 'cufg', '--curriculum', 'order=easy', '--out', 'x'], d);
  assert.equal(stages.code, 2);
  assert.match(errorLine(stages), /curriculum: order must be 'easy-first' or 'hard-first', got 'easy'/);
  const refused = await runCli(['unlearn', '--from', 'orig', '--forget', 'random:0.1', '--method', 'ft', '--curriculum', '--out', 'x'], d);
  assert.equal(refused.code, 2, 'a block the method cannot use is bad usage');
  assert.match(errorLine(refused), /method 'ft' cannot use a curriculum: it trains on D_r alone and never reads D_f.*\(drop the curriculum option\)/);

  const twice = await runCli(['unlearn', '--from', 'orig', '--forget', 'random:0.1', '--method', 'ga', '--lr', '0.02', '--opt', 'lr=0.01', '--out', 'x'], d);
  assert.equal(twice.code, 2);
  assert.match(errorLine(twice), /--opt lr: also given as --lr; give it once/);

  writeFileSync(join(d, 'afile'), 'x');
  const file = await runCli(['unlearn', '--from', 'orig', '--forget', 'random:0.1', '--method', 'ga', '--out', 'afile'], d);
  assert.equal(file.code, 2);
  assert.match(errorLine(file), /--out: '.*afile' is a file, not a directory; choose another --out/);
  // under a file, or where nothing can be created (Node 20's recursive mkdir used to hang on /proc), before any work
  const under = await runCli(['unlearn', '--from', 'orig', '--forget', 'random:0.1', '--method', 'ga', '--out', 'afile/x/y'], d);
  assert.equal(under.code, 2);
  assert.match(errorLine(under), /--out: '.*afile' is a file, so '.*afile\/x\/y' cannot be made; choose another --out/);
  const proc = await runCli(['train', '--out', '/proc/lethe-x/y'], d);
  assert.equal(proc.code, 2);
  assert.match(errorLine(proc), /--out: cannot create anything in '\/proc' \(ENOENT/);

  // --reference must be a retrain reference, not the original (or an unlearned model)
  const ref = await runCli(['eval', 'orig', '--forget', 'random:0.1', '--reference', 'orig'], d);
  assert.equal(ref.code, 2);
  assert.match(errorLine(ref), /--reference: '.*orig' is an original model, not a retrain reference; make one with lethe train --forget random:0\.1 --out DIR/);
  // nor a retrain of another architecture: the gap would measure the architectures
  const cnn = await runCli(['train', '--model', 'smallcnn', ...TINY, '--epochs', '1', '--forget', 'random:0.1', '--out', 'retrain-cnn', '--quiet'], d);
  assert.equal(cnn.code, 0, cnn.stderr);
  const arch = await runCli(['eval', 'orig', '--forget', 'random:0.1', '--reference', 'retrain-cnn'], d);
  assert.equal(arch.code, 2);
  assert.match(errorLine(arch), /--reference: '.*retrain-cnn' is a smallcnn, the model being evaluated a mlp; the reference must retrain the same architecture/);

  // --csv and --html: a missing directory or a directory path is a usage error before any work
  const csv = await runCli(['eval', 'orig', '--forget', 'random:0.1', '--csv', 'nowhere/out.csv'], d);
  assert.equal(csv.code, 2);
  assert.match(errorLine(csv), /--csv: directory '.*nowhere' does not exist/);
  // a finished checkpoint in --out is refused before the run, not after it
  const taken = await runCli(['unlearn', '--from', 'orig', '--forget', 'random:0.1', '--method', 'ga', '--out', 'retrain-cnn'], d);
  assert.equal(taken.code, 2);
  assert.match(errorLine(taken), /--out: '.*retrain-cnn' already holds a finished checkpoint; pass --force/);
  assert.doesNotMatch(taken.stderr, /\bga\b.*epoch/, 'nothing ran');
  // nor is an output file written over, or into, an input
  const csvIn = await runCli(['eval', 'orig', '--forget', 'random:0.1', '--csv', 'orig/manifest.json'], d);
  assert.equal(csvIn.code, 2);
  assert.match(errorLine(csvIn), /--csv: '.*manifest\.json' lies inside the eval DIR input '.*orig'; write the output elsewhere/);
  const into = await runCli(['unlearn', '--from', 'orig', '--forget', 'random:0.1', '--method', 'ga', '--out', 'orig/unlearned'], d);
  assert.equal(into.code, 2);
  assert.match(errorLine(into), /--out: '.*unlearned' lies inside the --from input/);
  const huge = await runCli(['unlearn', '--from', 'orig', '--forget', 'random:0.1', '--method', 'ft', '--lr', '1e300', '--out', 'x'], d);
  assert.equal(huge.code, 2);
  assert.match(errorLine(huge), /option 'lr' is 1e\+300, beyond float32's range/);
  const momentum = await runCli(['train', '--model', 'mlp', ...TINY, '--momentum', '2', '--out', 'x'], d);
  assert.equal(momentum.code, 2);
  assert.match(errorLine(momentum), /--momentum: must be in \[0, 1\), got 2/);
  // other data under --data-dir (a copy of Fashion-MNIST with 1,000 training labels changed): refused, not unlearned
  const other = join(d, 'other-data');
  mkdirSync(other);
  for (const f of readdirSync(FASHION_MNIST_DEBIAN_DIR)) copyFileSync(join(FASHION_MNIST_DEBIAN_DIR, f), join(other, f));
  const labels = gunzipSync(readFileSync(join(FASHION_MNIST_DEBIAN_DIR, 'train-labels-idx1-ubyte.gz')));
  for (let i = 8; i < 1008; i++) labels[i] = (labels[i]! + 1) % 10;
  writeFileSync(join(other, 'train-labels-idx1-ubyte.gz'), gzipSync(labels));
  const elsewhere = await runCli(['unlearn', '--from', 'orig', '--forget', 'random:0.1', '--method', 'ga', '--data-dir', other, '--out', 'x'], d);
  assert.equal(elsewhere.code, 2);
  assert.match(errorLine(elsewhere), /--data-dir: this is not the data '.*orig' was made with \(its labels differ/);
  assert.equal(sha(), before, 'the original is untouched');
  const csvDir = await runCli(['eval', 'orig', '--forget', 'random:0.1', '--csv', 'orig'], d);
  assert.equal(csvDir.code, 2);
  assert.match(errorLine(csvDir), /--csv: '.*orig' is a directory; give a file name/);

  // a bench rejected for its forget spec leaves the folder's config as it was
  const bench = await runCli(['bench', '--model', 'mlp', ...TINY, '--epochs', '1', '--methods', 'ga', '--forget', 'class:10', '--out', 'b'], d);
  assert.equal(bench.code, 2);
  assert.ok(!existsSync(join(d, 'b', 'config.json')), 'no config for a run that never started');

  const zero = await runCli(['unlearn', '--from', 'orig', '--forget', 'random:0.1', '--method', 'ft', '--epochs', '0', '--out', 'x'], d);
  assert.equal(zero.code, 2);
  assert.match(errorLine(zero), /--epochs/);

  // a diffusion checkpoint given to a classifier command points to the right one
  mkdirSync(join(d, 'ddpm'));
  writeFileSync(join(d, 'ddpm', 'manifest.json'), JSON.stringify({ format: 'lethe-diffusion', formatVersion: 1 }));
  const diffusion = await runCli(['eval', 'ddpm', '--forget', 'random:0.1'], d);
  assert.equal(diffusion.code, 1);
  assert.match(errorLine(diffusion), /it is a diffusion model; use lethe diffusion eval \/ sample \/ unlearn \/ mask for it/);

  // a bad LETHE_NUM_THREADS is said, not silently replaced
  const threads = await runCli(['doctor'], d, { LETHE_NUM_THREADS: 'abc' });
  assert.equal(threads.code, 0);
  assert.match(threads.stderr, /LETHE_NUM_THREADS must be a positive integer, got 'abc'; using all \d+ cores/);
});

test('indices:FILE is recorded as an absolute path, and a changed file is noticed', async () => {
  const d = tempDir();
  writeFileSync(join(d, 'forget.json'), JSON.stringify([3, 14, 15, 92, 65]));
  const train = await runCli(['train', '--model', 'mlp', ...TINY, '--epochs', '1', '--out', 'orig', '--quiet'], d);
  assert.equal(train.code, 0, train.stderr);
  const un = await runCli(['unlearn', '--from', 'orig', '--forget', 'indices:forget.json', '--method', 'ga', '--epochs', '1', '--out', 'u', '--quiet'], d);
  assert.equal(un.code, 0, un.stderr);
  const manifest = JSON.parse(readFileSync(join(d, 'u', 'manifest.json'), 'utf8')) as { forget: string; forgetDigest: string };
  assert.equal(manifest.forget, `indices:${join(d, 'forget.json')}`);
  assert.match(manifest.forgetDigest, /^[0-9a-f]{16}$/);
  // from another directory the manifest's spec still names the file
  mkdirSync(join(d, 'elsewhere'));
  const ev = await runCli(['eval', join(d, 'u'), '--json'], join(d, 'elsewhere'));
  assert.equal(ev.code, 0, ev.stderr);
  assert.equal((JSON.parse(ev.stdout) as { sizes: { forget: number } }).sizes.forget, 5);
  // the file changed: the model's own forget set is no longer what the spec selects
  writeFileSync(join(d, 'forget.json'), JSON.stringify([3, 14, 15, 92, 66]));
  const changed = await runCli(['eval', 'u'], d);
  assert.equal(changed.code, 2);
  assert.match(errorLine(changed), /--forget: 'indices:.*forget\.json' no longer selects the forget set .*u was made with \(its file changed\); pass --forget/);
  const explicit = await runCli(['eval', 'u', '--forget', 'indices:forget.json'], d);
  assert.equal(explicit.code, 0, explicit.stderr);
  // a retrain under that spec is another model when the file's indices change: not reused from before
  const args = ['train', '--model', 'mlp', ...TINY, '--epochs', '1', '--forget', 'indices:forget.json', '--out', 're', '--json'];
  const first = await runCli(args, d);
  assert.equal(first.code, 0, first.stderr);
  writeFileSync(join(d, 'forget.json'), JSON.stringify([3, 14, 15, 92, 67]));
  const second = await runCli(args, d);
  assert.equal(second.code, 2, 'the finished retrain in re/ is of another configuration now');
  assert.match(errorLine(second), /--out: '.*re' already holds a model trained with other settings \(forgetFile "[0-9a-f]{64}" there, "[0-9a-f]{64}" now\)/);
});
