// Bad user input through the real CLI: each mistake is refused with one line naming what is wrong, exit 2 for bad
// usage and 1 for a corrupt checkpoint (src/cli/errors.ts), no stack, and the files and directories given unchanged.
// Most refusals come before any training; one tiny original (and two tiny retrains) are trained for the whole file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { TINY, errorLine, runCli, tempDir, type CliResult } from './helpers.js';
import { FASHION_MNIST_DEBIAN_DIR } from '../../src/data/datasets.js';

const dir = tempDir('lethe-bad-input-');
const TRAIN = ['train', '--model', 'mlp', ...TINY, '--epochs', '1', '--quiet'];

/** Every file under `path` (or the file itself) by relative name: its bytes, or a symlink's target. */
function snapshot(path: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (p: string, rel: string): void => {
    const st = lstatSync(p);
    if (st.isSymbolicLink()) out.set(rel, `-> ${readlinkSync(p)}`);
    else if (st.isDirectory()) {
      out.set(rel, 'dir');
      for (const name of readdirSync(p).sort()) walk(join(p, name), join(rel, name));
    } else out.set(rel, createHash('sha256').update(readFileSync(p)).digest('hex'));
  };
  walk(path, '.');
  return out;
}

interface Expect {
  code: 1 | 2;
  /** matched against the last stderr line, or against all of stderr with `inStderr` (commander's usage errors) */
  message: RegExp;
  inStderr?: boolean;
  /** paths (relative to `cwd`) given to the command: they must be byte-identical afterwards */
  unchanged?: string[];
  env?: Record<string, string>;
  cwd?: string;
}

/** Runs a command that must be refused, and checks how. */
async function refused(args: string[], e: Expect): Promise<CliResult> {
  const cwd = e.cwd ?? dir;
  const before = (e.unchanged ?? []).map((p) => [p, snapshot(join(cwd, p))] as const);
  const r = await runCli(args, cwd, e.env);
  const what = args.join(' ');
  assert.equal(r.code, e.code, `${what}: exit code (stderr: ${r.stderr})`);
  if (e.inStderr) assert.match(r.stderr, e.message, what);
  else assert.match(errorLine(r), e.message, what);
  assert.doesNotMatch(r.stderr, /\n\s+at /, `${what}: no stack trace without LETHE_DEBUG=1`);
  for (const [p, snap] of before) assert.deepEqual(snapshot(join(cwd, p)), snap, `${what}: '${p}' was modified`);
  return r;
}

// one tiny original for the whole file, trained when a test first needs it (so any test can run alone)
let originalReady: Promise<void> | undefined;
function original(): Promise<void> {
  originalReady ??= runCli([...TRAIN, '--out', 'orig'], dir).then((r) => assert.equal(r.code, 0, r.stderr));
  return originalReady;
}

test('--reference: a retrain of another forget set, of an indices file since changed, or on other data', async () => {
  await original();
  const d = join(dir, 'reference');
  mkdirSync(d);
  cpSync(join(dir, 'orig'), join(d, 'orig'), { recursive: true });
  writeFileSync(join(d, 'forget.json'), JSON.stringify([3, 14, 15, 92, 65]));
  const re = await runCli([...TRAIN, '--forget', 'indices:forget.json', '--out', 're-idx'], d);
  assert.equal(re.code, 0, re.stderr);
  const unchanged = ['orig', 're-idx', 'forget.json'];

  // the user compares with a retrain that left out another forget set than the one this run forgets
  await refused(['eval', 'orig', '--forget', 'random:0.1', '--reference', 're-idx'], {
    cwd: d, code: 2, unchanged,
    message: /^lethe: --reference: '.*re-idx' retrained without 'indices:.*forget\.json', but this run forgets 'random:0\.1'$/,
  });

  // the user edited the indices file after making the retrain: the same spec now selects other samples
  writeFileSync(join(d, 'forget.json'), JSON.stringify([3, 14, 15, 92, 66]));
  await refused(['eval', 'orig', '--forget', 'indices:forget.json', '--reference', 're-idx'], {
    cwd: d, code: 2, unchanged,
    message: /--reference: '.*re-idx' was retrained without the samples 'indices:.*forget\.json' selected then; its file now selects others$/,
  });

  // the user retrained on another copy of Fashion-MNIST (every training label changed; the images are links)
  const other = join(d, 'other-data');
  mkdirSync(other);
  for (const f of readdirSync(FASHION_MNIST_DEBIAN_DIR)) if (f !== 'train-labels-idx1-ubyte.gz') symlinkSync(join(FASHION_MNIST_DEBIAN_DIR, f), join(other, f));
  const labels = gunzipSync(readFileSync(join(FASHION_MNIST_DEBIAN_DIR, 'train-labels-idx1-ubyte.gz')));
  for (let i = 8; i < labels.length; i++) labels[i] = (labels[i]! + 1) % 10;
  writeFileSync(join(other, 'train-labels-idx1-ubyte.gz'), gzipSync(labels));
  const reOther = await runCli([...TRAIN, '--forget', 'random:0.1', '--data-dir', other, '--out', 're-other'], d);
  assert.equal(reOther.code, 0, reOther.stderr);
  await refused(['eval', 'orig', '--forget', 'random:0.1', '--reference', 're-other'], {
    cwd: d, code: 2, unchanged: ['orig', 're-other', 'other-data'],
    message: /--reference: '.*re-other' was trained on another copy or version of the dataset \(its labels differ\); retrain it on this data$/,
  });
});

test('corrupt checkpoints given to eval and unlearn --from: exit 1, one line, nothing modified', async () => {
  await original();
  const d = join(dir, 'corrupt');
  mkdirSync(d);
  cpSync(join(dir, 'orig'), join(d, 'orig'), { recursive: true });
  const good = snapshot(join(d, 'orig'));
  const manifest = (): Record<string, any> => JSON.parse(readFileSync(join(d, 'orig', 'manifest.json'), 'utf8')) as Record<string, any>;
  /** A copy of the good checkpoint with one thing broken. */
  const broken = (name: string, breakIt: (copy: string) => void): string => {
    cpSync(join(d, 'orig'), join(d, name), { recursive: true });
    breakIt(join(d, name));
    return name;
  };
  const withManifest = (m: unknown) => (copy: string) => writeFileSync(join(copy, 'manifest.json'), typeof m === 'string' ? m : JSON.stringify(m));

  const cases: [string, RegExp][] = [
    // the manifest was truncated (a copy cut short)
    [broken('truncated', withManifest(readFileSync(join(d, 'orig', 'manifest.json'), 'utf8').slice(0, 40))), /checkpoint '.*truncated': manifest\.json is not valid JSON \(.*\); the checkpoint is corrupt$/],
    // a directory holding some other program's manifest.json
    [broken('foreign', withManifest({ name: 'my-model', version: 3 })), /checkpoint '.*foreign': manifest\.json is not a Lethe checkpoint manifest$/],
    // a checkpoint from a future Lethe
    [broken('future', withManifest({ ...manifest(), formatVersion: 2 })), /checkpoint '.*future': unsupported checkpoint format version 2$/],
    // a hand-edited model spec naming no known architecture
    [broken('spec', withManifest({ ...manifest(), model: { ...manifest()['model'], name: 'vgg' } })), /checkpoint '.*spec': model spec: unknown model 'vgg'; known models: resnet18, resnet20, smallcnn, mlp$/],
    // the manifest lost its weights entry
    [broken('no-weights-entry', withManifest({ ...manifest(), weights: undefined })), /checkpoint '.*no-weights-entry': the manifest does not describe its weights file$/],
    // the weights file was deleted
    [broken('no-weights-file', (copy) => rmSync(join(copy, 'model.safetensors'))), /checkpoint '.*no-weights-file': weights file model\.safetensors is missing$/],
    // a weights tensor of the wrong shape (the manifest's hash updated to match it): the strict load refuses it
    [broken('shape', reshapeTensor), /checkpoint '.*shape': MLP\.loadStateDict: 1 mismatched entry \(fc3\.weight: checkpoint shape \[20, 64\], model shape \[10, 128\]\)\. Nothing was loaded\.$/],
  ];
  for (const [name, message] of cases) {
    await refused(['eval', name, '--forget', 'random:0.1'], { cwd: d, code: 1, message: new RegExp(`^lethe: eval DIR: ${message.source}`), unchanged: [name] });
  }
  // the same through unlearn --from (one of them: the reading code is the same)
  const [name, message] = cases[6]!;
  await refused(['unlearn', '--from', name, '--forget', 'random:0.1', '--method', 'ga', '--out', 'u'], { cwd: d, code: 1, message: new RegExp(`^lethe: --from: ${message.source}`), unchanged: [name] });
  assert.ok(!existsSync(join(d, 'u')), 'nothing written');
  assert.deepEqual(snapshot(join(d, 'orig')), good, 'the original checkpoint is byte-identical');
});

/** Rewrites fc3.weight's shape [10, 128] as [20, 64] (same bytes) in the safetensors header, and the manifest's hash. */
function reshapeTensor(copy: string): void {
  const path = join(copy, 'model.safetensors');
  const bytes = readFileSync(path);
  const n = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8')) as Record<string, { shape: number[] }>;
  assert.deepEqual(header['fc3.weight']!.shape, [10, 128]);
  header['fc3.weight']!.shape = [20, 64];
  const text = Buffer.from(JSON.stringify(header), 'utf8');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(text.length));
  const out = Buffer.concat([length, text, bytes.subarray(8 + n)]);
  writeFileSync(path, out);
  const m = JSON.parse(readFileSync(join(copy, 'manifest.json'), 'utf8')) as { weights: { sha256: string; bytes: number } };
  m.weights.sha256 = createHash('sha256').update(out).digest('hex');
  m.weights.bytes = out.length;
  writeFileSync(join(copy, 'manifest.json'), JSON.stringify(m));
}

test('eval of a file, of a directory without a manifest, of a manifest without its data configuration', async () => {
  await original();
  const d = join(dir, 'not-checkpoints');
  mkdirSync(d);
  cpSync(join(dir, 'orig'), join(d, 'orig'), { recursive: true });
  // the user passes the manifest (a file) instead of its directory
  await refused(['eval', 'orig/manifest.json', '--forget', 'random:0.1'], { cwd: d, code: 2, unchanged: ['orig'], message: /^lethe: eval DIR: '.*orig\/manifest\.json' is a file; pass a checkpoint directory$/ });
  // a directory that is no checkpoint (or an interrupted run's)
  mkdirSync(join(d, 'empty'));
  writeFileSync(join(d, 'empty', 'model.safetensors'), 'x');
  await refused(['eval', 'empty', '--forget', 'random:0.1'], { cwd: d, code: 2, unchanged: ['empty'], message: /^lethe: eval DIR: '.*empty' has no manifest\.json: not a finished Lethe checkpoint/ });
  // a checkpoint whose manifest does not say which data it was trained on
  cpSync(join(d, 'orig'), join(d, 'no-data'), { recursive: true });
  const m = JSON.parse(readFileSync(join(d, 'orig', 'manifest.json'), 'utf8')) as Record<string, unknown>;
  delete m['dataConfig'];
  writeFileSync(join(d, 'no-data', 'manifest.json'), JSON.stringify(m));
  await refused(['eval', 'no-data', '--forget', 'random:0.1'], { cwd: d, code: 2, unchanged: ['no-data'], message: /'.*no-data': its manifest does not record the data configuration \(was it made by lethe train\?\)$/ });
});

test('--config: a missing file, invalid JSON, a JSON array', async () => {
  const d = join(dir, 'config');
  mkdirSync(d);
  writeFileSync(join(d, 'truncated.json'), '{"model": "mlp", ');
  writeFileSync(join(d, 'array.json'), JSON.stringify([{ model: 'mlp' }]));
  // a typo in the file name
  await refused(['train', '--config', 'nosuch.json', '--out', 'x'], { cwd: d, code: 2, message: /^lethe: --config: file 'nosuch\.json' does not exist$/ });
  // a file cut short or hand-edited into invalid JSON
  await refused(['train', '--config', 'truncated.json', '--out', 'x'], { cwd: d, code: 2, unchanged: ['truncated.json'], message: /^lethe: --config: 'truncated\.json' is not valid JSON \(.+\)$/ });
  // a list instead of an object of options
  await refused(['train', '--config', 'array.json', '--out', 'x'], { cwd: d, code: 2, unchanged: ['array.json'], message: /^lethe: --config: 'array\.json' must hold a JSON object of options$/ });
  assert.ok(!existsSync(join(d, 'x')), 'nothing trained');
});

test('recipes: malformed files under LETHE_RECIPES, a recipe that does not exist', async () => {
  await original();
  const d = join(dir, 'recipes');
  mkdirSync(d);
  cpSync(join(dir, 'orig'), join(d, 'orig'), { recursive: true });
  const recipes = join(d, 'my-recipes');
  mkdirSync(recipes);
  const files: [string, unknown, RegExp][] = [
    // a list where an object belongs
    ['list', [{ method: 'ga' }], /a recipe must be a JSON object \{ method, options, \.\.\. \}$/],
    // the method's name forgotten
    ['nameless', { options: { lr: 0.01 } }, /the recipe has no "method" name$/],
    // options written as a list of key=value strings
    ['opts-list', { method: 'ga', options: ['lr=0.01'] }, /"options" must be an object$/],
    // blocks written as a list of names
    ['blocks-list', { method: 'salun', blocks: ['mask'] }, /"blocks" must be an object$/],
    // a misspelt block name, which would otherwise run without the block
    ['typo-block', { method: 'salun', blocks: { masks: { ratio: 0.5 } } }, /unknown block 'masks' in "blocks"; the blocks are mask, subspace, curriculum$/],
  ];
  for (const [name, content] of files) writeFileSync(join(recipes, `${name}.json`), JSON.stringify(content));
  const env = { LETHE_RECIPES: recipes };
  for (const [name, , message] of files) {
    await refused(['unlearn', '--from', 'orig', '--forget', 'random:0.1', '--recipe', name, '--out', 'u'], {
      cwd: d, env, code: 2, unchanged: ['orig', 'my-recipes'], message: new RegExp(`^lethe: --recipe .*my-recipes/${name}\\.json: ${message.source}`),
    });
  }
  // a recipe name that is neither a file nor in the recipes directory
  await refused(['unlearn', '--from', 'orig', '--forget', 'random:0.1', '--recipe', 'nosuch', '--out', 'u'], {
    cwd: d, env, code: 2, unchanged: ['orig', 'my-recipes'], message: /^lethe: --recipe: 'nosuch' is neither a file nor a recipe in .*my-recipes$/,
  });
  assert.ok(!existsSync(join(d, 'u')), 'nothing written');
});

test('unlearn: no method, a recipe of another method, a mask ratio out of range, --mask-mode without a mask', async () => {
  await original();
  const unchanged = ['orig'];
  const run = ['unlearn', '--from', 'orig', '--forget', 'random:0.1', '--out', 'u-method'];
  // neither --method nor --recipe
  await refused(run, { code: 2, unchanged, message: /^lethe: --method: required \(or give a --recipe that names one\)$/ });
  // SalUn's recipe with --method ga: which one was meant?
  await refused([...run, '--recipe', 'salun', '--method', 'ga'], { code: 2, unchanged, message: /^lethe: --recipe: it is a recipe for 'salun', not 'ga'$/ });
  // a mask ratio given as a percentage
  await refused([...run, '--method', 'salun', '--mask', '2'], { code: 2, unchanged, message: /^lethe: --mask: the ratio must be in \(0, 1\], got '2'$/ });
  // a mask mode for a method that runs without a mask
  await refused([...run, '--method', 'ga', '--mask-mode', 'grad'], { code: 2, unchanged, message: /^lethe: --mask-mode: method 'ga' runs without a saliency mask here; add --mask$/ });
  assert.ok(!existsSync(join(dir, 'u-method')), 'nothing written');
});

test('an original model without --forget: eval asks what to forget', async () => {
  await original();
  // the original records no forget set, so eval (and unlearn --from, the same code) cannot default to one
  await refused(['eval', 'orig'], { code: 2, unchanged: ['orig'], message: /^lethe: --forget: '.*orig' is an original model; say what to forget, e\.g\. --forget random:0\.1$/ });
});

test('data flags: an unknown data set, --data-dir not a directory, CIFAR without --data-dir, a subset bigger than the data', async () => {
  const d = join(dir, 'data');
  mkdirSync(d);
  writeFileSync(join(d, 'notes.txt'), 'not a directory');
  const train = ['train', '--model', 'mlp', '--epochs', '1', '--out', 'x'];
  // a typo in the data set name (and no such directory)
  await refused([...train, '--data', 'fasion-mnist'], { cwd: d, code: 2, message: /^lethe: --data: 'fasion-mnist' is neither fmnist, mnist, cifar10, cifar100 nor an existing directory with IDX\/CIFAR files$/ });
  // --data-dir pointing at a file
  await refused([...train, '--data-dir', 'notes.txt'], { cwd: d, code: 2, unchanged: ['notes.txt'], message: /^lethe: --data-dir: 'notes\.txt' is not an existing directory$/ });
  // CIFAR-10 expected to come with the system (Debian does not package it, and nothing is downloaded)
  await refused([...train, '--data', 'cifar10'], { cwd: d, code: 2, message: /^lethe: --data cifar10: Debian does not package CIFAR and nothing is downloaded; pass --data-dir/ });
  // a subset bigger than the data set
  await refused([...train, '--train-size', '70000', '--test-size', '500'], { cwd: d, code: 2, message: /^lethe: --train-size: 70000 is more than the 60000 samples available$/ });
  assert.ok(!existsSync(join(d, 'x')), 'nothing trained');
});

test('training and method options: out of range, out of order, not numbers, not key=value', async () => {
  await original();
  const train = ['train', '--model', 'mlp', ...TINY, '--epochs', '1', '--out', 'x'];
  // a learning rate float32 cannot hold
  await refused([...train, '--lr', '1e39'], { code: 2, message: /^lethe: --lr: 1e\+39 is beyond float32's range \(±3\.4e38\)$/ });
  // a negative weight decay
  await refused([...train, '--weight-decay', '-1'], { code: 2, message: /^lethe: --weight-decay: must be ≥ 0 and within float32's range, got -1$/ });
  // milestones out of order
  await refused([...train, '--milestones', '5,3'], { code: 2, message: /^lethe: --milestones: expected increasing epochs like 10,15, got '5,3'$/ });
  assert.ok(!existsSync(join(dir, 'x')), 'nothing trained');
  // --opt is a method option (lethe train has none): a number option given a word, a switch given neither true nor false, no '='
  const unlearn = ['unlearn', '--from', 'orig', '--forget', 'random:0.1', '--out', 'u-opt'];
  await refused([...unlearn, '--method', 'ga', '--opt', 'lr=abc'], { code: 2, unchanged: ['orig'], message: /^lethe: --opt lr: expected a number, got 'abc'$/ });
  // a number option left empty (it used to be read as 0: momentum 0, silently)
  await refused([...unlearn, '--method', 'ga', '--opt', 'momentum='], { code: 2, unchanged: ['orig'], message: /^lethe: --opt momentum: expected a number, got ''$/ });
  await refused([...unlearn, '--method', 'cufg', '--opt', 'bnLeak=maybe'], { code: 2, unchanged: ['orig'], message: /^lethe: --opt bnLeak: expected true or false, got 'maybe'$/ });
  await refused([...unlearn, '--method', 'ga', '--opt', 'garbage'], { code: 2, unchanged: ['orig'], message: /^lethe: --opt: 'garbage' is not key=value or a JSON object$/ });
  assert.ok(!existsSync(join(dir, 'u-opt')), 'nothing written');
});

test('bench --methods empty or retrain; eval and import without their argument', async () => {
  const bench = ['bench', '--model', 'mlp', ...TINY, '--epochs', '1', '--out', 'b'];
  // an empty value (a shell variable that was not set)
  await refused([...bench, '--methods', ''], { code: 2, message: /^lethe: --methods: expected a value, got ""$/ });
  // a list of nothing but separators
  await refused([...bench, '--methods', ' , '], { code: 2, message: /^lethe: --methods: empty list; use 'all' or names like salun,ft,ga$/ });
  // the reference itself as a method
  await refused([...bench, '--methods', 'ga,retrain'], { code: 2, message: /^lethe: --methods: 'retrain' is the reference every benchmark trains and reports anyway; leave it out$/ });
  assert.ok(!existsSync(join(dir, 'b')), 'no results directory for a bench that never started');
  // the positional argument forgotten: commander refuses before the command runs (its message, then the --help hint)
  await refused(['eval', '--forget', 'random:0.1'], { code: 2, inStderr: true, message: /^error: missing required argument 'dir'$/m });
  await refused(['import', '--model', 'mlp', '--out', 'x'], { code: 2, inStderr: true, message: /^error: missing required argument 'file'$/m });
});
