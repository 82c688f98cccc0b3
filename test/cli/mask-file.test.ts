// Saliency masks as files on the command line: `--save-mask` writes the mask a run computes, `--mask-file` gives it to
// a later run instead of the gradient pass (as the SalUn reference's generate_mask / with_0.5.pt), and the two runs
// agree bit for bit; bad combinations and bad files are clear errors before any work.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSafetensors, saveSafetensors } from '../../src/io/index.js';
import { memory, tidy, type Tensor } from '../../src/index.js';
import { sha256 } from '../../src/io/artifacts.js';
import { TINY, errorLine, runCli, tempDir } from './helpers.js';
import { baselineMemory } from '../baseline.js';

let dir: string;
const manifest = (d: string): Record<string, unknown> => JSON.parse(readFileSync(join(dir, d, 'manifest.json'), 'utf8')) as Record<string, unknown>;
const unlearn = (...args: string[]) => runCli(['unlearn', '--from', 'orig', '--forget', 'class:3', '--epochs', '1', '--lr', '0.05', '--quiet', ...args], dir);

before(async () => {
  dir = tempDir('lethe-mask-file-');
  const train = await runCli(['train', '--model', 'mlp', ...TINY, '--epochs', '2', '--out', 'orig', '--quiet'], dir);
  assert.equal(train.code, 0, train.stderr);
});

test('--save-mask writes the mask the run computed; --mask-file gives the same run without the gradient pass', async () => {
  const saved = await unlearn('--method', 'salun', '--mask', '0.3', '--save-mask', 'mask.safetensors', '--out', 'a');
  assert.equal(saved.code, 0, saved.stderr);
  const base = baselineMemory();
  const { tensors, metadata } = loadSafetensors(join(dir, 'mask.safetensors'));
  const weights = loadSafetensors(join(dir, 'orig', 'model.safetensors')).tensors;
  // one 0/1 tensor per parameter, floor(0.3·N) ones, and the record of where it came from
  let ones = 0;
  let total = 0;
  for (const [name, m] of tensors) {
    assert.deepEqual(m.shape, weights.get(name)!.shape, name);
    tidy(() => {
      assert.equal(Number(m.eq(0).logicalOr(m.eq(1)).all().item()), 1, `${name} is not 0/1`);
      ones += m.sum().item();
    });
    total += m.numel();
  }
  // (the state dict also holds buffers, e.g. the input normalisation, which no mask covers)
  assert.deepEqual([...tensors.keys()], [...weights.keys()].filter((k) => !k.startsWith('normalize.')));
  assert.equal(ones, Math.floor(0.3 * total));
  assert.equal(metadata['kind'], 'lethe-saliency-mask');
  assert.equal(Number(metadata['salient']), ones);
  assert.equal(metadata['forget'], 'class:3');
  assert.equal(metadata['model'], (manifest('orig')['weights'] as { sha256: string }).sha256);
  for (const t of [...tensors.values(), ...weights.values()]) t.dispose();
  assert.deepEqual(memory(), base);
  assert.deepEqual(manifest('a')['savedMask'], { path: join(dir, 'mask.safetensors'), sha256: sha256(readFileSync(join(dir, 'mask.safetensors'))) });

  const loaded = await unlearn('--method', 'salun', '--mask-file', 'mask.safetensors', '--out', 'b');
  assert.equal(loaded.code, 0, loaded.stderr);
  assert.deepEqual(readFileSync(join(dir, 'b', 'model.safetensors')), readFileSync(join(dir, 'a', 'model.safetensors')));
  const b = manifest('b');
  assert.deepEqual(b['maskFile'], { path: join(dir, 'mask.safetensors'), sha256: sha256(readFileSync(join(dir, 'mask.safetensors'))), format: 'safetensors' });
  assert.equal(b['trainableParams'], ones);

  // the file turns the mask block on for any method (GA inside SalUn's mask), with its own ratio
  const ga = await unlearn('--method', 'ga', '--mask-file', 'mask.safetensors', '--json');
  assert.equal(ga.code, 0, ga.stderr);
  const summary = JSON.parse(ga.stdout) as { trainableParams: number; blocks: { mask: { salient: number } } };
  assert.equal(summary.trainableParams, ones);
  assert.equal(summary.blocks.mask.salient, ones);
});

test('a mask file made for another forget set or other weights runs, with a warning (even with --quiet) kept in the manifest', async () => {
  const other = await runCli(['unlearn', '--from', 'orig', '--forget', 'class:5', '--epochs', '1', '--lr', '0.05', '--quiet', '--method', 'salun', '--mask-file', 'mask.safetensors', '--out', 'e'], dir);
  assert.equal(other.code, 0, other.stderr);
  const warning = "it was computed for the forget set 'class:3'; this run forgets 'class:5'";
  assert.equal(other.stderr.trim(), `lethe: warning: --mask-file: ${warning}`);
  assert.deepEqual((manifest('e')['maskFile'] as { warnings: string[] }).warnings, [warning]);
  // another model (trained one more epoch): the weights differ, named by their hashes' first digits
  const retrained = await runCli(['train', '--model', 'mlp', ...TINY, '--epochs', '3', '--out', 'orig3', '--quiet'], dir);
  assert.equal(retrained.code, 0, retrained.stderr);
  const model = await runCli(['unlearn', '--from', 'orig3', '--forget', 'class:3', '--epochs', '1', '--quiet', '--method', 'salun', '--mask-file', 'mask.safetensors', '--json'], dir);
  assert.equal(model.code, 0, model.stderr);
  assert.match(model.stderr, /^lethe: warning: --mask-file: it was computed from other weights \(sha256 [0-9a-f]{12}…; this run starts from [0-9a-f]{12}…\)$/m);
  assert.doesNotMatch(model.stderr, /forget set/);
});

test("a mask written by DataParallel ('module.' before every name) loads; a part of the model's weights stays frozen", async () => {
  const base = baselineMemory();
  const { tensors } = loadSafetensors(join(dir, 'mask.safetensors'));
  const [first, ...rest] = [...tensors.keys()];
  // the prefixed copy names every parameter; the partial one only the first (the others stay frozen)
  saveSafetensors(join(dir, 'prefixed.safetensors'), new Map([...tensors].map(([k, t]) => [`module.${k}`, t])));
  saveSafetensors(join(dir, 'partial.safetensors'), new Map([[first!, tensors.get(first!)!]]));
  const firstOnes = tidy(() => tensors.get(first!)!.sum().item());
  for (const t of tensors.values()) t.dispose();
  assert.deepEqual(memory(), base);
  const prefixed = await unlearn('--method', 'salun', '--mask-file', 'prefixed.safetensors', '--out', 'c');
  assert.equal(prefixed.code, 0, prefixed.stderr);
  assert.deepEqual(readFileSync(join(dir, 'c', 'model.safetensors')), readFileSync(join(dir, 'a', 'model.safetensors')));
  const partial = await unlearn('--method', 'salun', '--mask-file', 'partial.safetensors', '--out', 'd');
  assert.equal(partial.code, 0, partial.stderr);
  assert.equal(manifest('d')['trainableParams'], firstOnes);
  const before = loadSafetensors(join(dir, 'orig', 'model.safetensors')).tensors;
  const after = loadSafetensors(join(dir, 'd', 'model.safetensors')).tensors;
  for (const name of rest) tidy(() => assert.equal(after.get(name)!.sub(before.get(name)!).abs().sum().item(), 0, `${name} moved`));
  for (const t of [...before.values(), ...after.values()]) t.dispose();
});

test('mask files: bad combinations and bad files are clear errors, and nothing is written', async () => {
  const zeros = join(dir, 'zeros.safetensors');
  const wrong = join(dir, 'wrong.safetensors');
  tidy(() => {
    const { tensors } = loadSafetensors(join(dir, 'mask.safetensors'));
    saveSafetensors(zeros, new Map([...tensors].map(([k, t]): [string, Tensor] => [k, t.mul(0)])));
    const [name, t] = [...tensors].find(([, m]) => m.shape.length === 2)!;
    saveSafetensors(wrong, new Map([[name, t.flatten()]]));
  });
  writeFileSync(join(dir, 'junk.safetensors'), 'not a mask');
  const cases: [string[], number, RegExp][] = [
    [['--method', 'salun', '--mask', '0.3', '--mask-file', 'mask.safetensors'], 2, /--mask-file: the file's mask has its own ratio and turns the mask block on; drop --mask 0\.3/],
    [['--method', 'salun', '--no-mask', '--mask-file', 'mask.safetensors'], 2, /--mask-file: .*drop --no-mask/],
    [['--method', 'salun', '--mask-file', 'mask.safetensors', '--save-mask', 'm2.safetensors'], 2, /--save-mask: the mask comes from --mask-file, which is already a file; drop one of them/],
    [['--method', 'ft', '--save-mask', 'm2.safetensors'], 2, /--save-mask: method 'ft' runs without a saliency mask here; add --mask/],
    [['--method', 'salun', '--save-mask', 'nodir/m.safetensors'], 2, /--save-mask: directory '.*nodir' does not exist/],
    [['--method', 'salun', '--save-mask', 'orig/model.safetensors'], 2, /--save-mask: '.*model\.safetensors' lies inside the --from input/],
    [['--method', 'semu', '--mask-file', 'mask.safetensors'], 2, /choose either a saliency mask or an SVD subspace/],
    [['--method', 'salun', '--mask-file', 'nope.safetensors'], 2, /--mask-file: '.*nope\.safetensors' does not exist/],
    [['--method', 'salun', '--mask-file', 'orig'], 2, /--mask-file: '.*orig' is not a file/],
    [['--method', 'salun', '--mask-file', 'zeros.safetensors'], 2, /--mask-file: mask file '.*zeros\.safetensors' selects no weight of the model/],
    [['--method', 'salun', '--mask-file', 'wrong.safetensors'], 2, /--mask-file: mask file '.*wrong\.safetensors': saliency mask: '.*' has shape \[\d+\] but the parameter has \[\d+,\d+\]/],
    [['--method', 'salun', '--mask-file', 'junk.safetensors'], 2, /--mask-file: .*neither a torch\.save file .* nor a safetensors file/],
  ];
  for (const [args, code, message] of cases) {
    const r = await unlearn(...args, '--out', 'x');
    assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
    assert.match(errorLine(r), message);
  }
  assert.equal(readFileSync(join(dir, 'mask.safetensors')).length > 0, true);
  assert.throws(() => readFileSync(join(dir, 'x', 'manifest.json')));
  assert.throws(() => readFileSync(join(dir, 'm2.safetensors')));
});
