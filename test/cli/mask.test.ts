// lethe mask: the reference's generate_mask step on its own. One gradient pass, one file per ratio; each file is,
// byte for byte in its tensors, the mask `lethe unlearn --save-mask` writes for the same method, seed and ratio; the
// masks are nested and hold exactly floor(ratio·N) ones; bad input is a usage error before any work.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSafetensors } from '../../src/io/index.js';
import { memory, tidy } from '../../src/index.js';
import { TINY, errorLine, runCli, tempDir } from './helpers.js';
import { baselineMemory } from '../baseline.js';

let dir: string;
const mask = (...args: string[]) => runCli(['mask', '--from', 'orig', '--forget', 'class:3', '--quiet', ...args], dir);

before(async () => {
  dir = tempDir('lethe-mask-');
  const train = await runCli(['train', '--model', 'mlp', ...TINY, '--epochs', '2', '--out', 'orig', '--quiet'], dir);
  assert.equal(train.code, 0, train.stderr);
});

/** The tensors of a mask file, compared as raw bytes per name (the metadata is not compared). */
function maskBytes(path: string): Map<string, string> {
  const { tensors } = loadSafetensors(path);
  const out = new Map([...tensors].map(([k, t]) => [k, Buffer.from(t.toTypedArray().buffer).toString("base64")]));
  for (const t of tensors.values()) t.dispose();
  return out;
}

test('one mask equals the one the unlearning run builds and saves (same method, seed, ratio)', async () => {
  const run = await runCli(['unlearn', '--from', 'orig', '--forget', 'class:3', '--method', 'salun', '--mask', '0.3', '--epochs', '1', '--save-mask', 'run.safetensors', '--quiet'], dir);
  assert.equal(run.code, 0, run.stderr);
  const r = await mask('--ratio', '0.3', '--out', 'alone.safetensors');
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(maskBytes(join(dir, 'alone.safetensors')), maskBytes(join(dir, 'run.safetensors')));
  const meta = loadSafetensors(join(dir, 'alone.safetensors'));
  for (const t of meta.tensors.values()) t.dispose();
  assert.equal(meta.metadata['method'], 'salun');
  assert.equal(meta.metadata['seed'], '1');
  assert.equal(meta.metadata['batchSize'], '256');
  assert.equal(meta.metadata['forget'], 'class:3');
  // another seed orders the pass differently; the partial last batch weighs its images more, so the mask may differ —
  // but it is recorded; the run reads it back, unchanged
  const again = await runCli(['unlearn', '--from', 'orig', '--forget', 'class:3', '--method', 'salun', '--mask-file', 'alone.safetensors', '--epochs', '1', '--json', '--quiet'], dir);
  assert.equal(again.code, 0, again.stderr);
  assert.equal((JSON.parse(again.stdout) as { blocks: { mask: { salient: number } } }).blocks.mask.salient, Number(meta.metadata['salient']));
});

test('several ratios from one pass: with_<ratio>.safetensors each, floor(ratio·N) ones, nested', async () => {
  const r = await mask('--ratio', '0.1,0.5,0.9', '--out', 'masks', '--json', '--layers');
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { total: number; files: { ratio: number; salient: number; path: string }[]; layers: { name: string; size: number; shares: number[] }[] };
  assert.deepEqual(out.files.map((f) => f.ratio), [0.1, 0.5, 0.9]);
  const base = baselineMemory();
  const loaded = [0.1, 0.5, 0.9].map((ratio) => loadSafetensors(join(dir, 'masks', `with_${ratio}.safetensors`)).tensors);
  const n = out.total;
  loaded.forEach((m, i) => {
    const ones = [...m.values()].reduce((a, t) => a + tidy(() => t.sum().item()), 0);
    assert.equal(ones, Math.floor([0.1, 0.5, 0.9][i]! * n));
    assert.equal(out.files[i]!.salient, ones);
  });
  // a smaller ratio's salient weights are among a larger one's (one ranking, cut at three places)
  for (const name of loaded[0]!.keys()) {
    tidy(() => {
      assert.equal(loaded[0]!.get(name)!.gt(loaded[1]!.get(name)!).sum().item(), 0, name);
      assert.equal(loaded[1]!.get(name)!.gt(loaded[2]!.get(name)!).sum().item(), 0, name);
    });
  }
  // the per-layer shares add up to the whole mask's count
  const fromLayers = out.layers.reduce((a, l) => a + l.shares[1]! * l.size, 0);
  assert.ok(Math.abs(fromLayers - out.files[1]!.salient) < 1e-6 * n);
  for (const m of loaded) for (const t of m.values()) t.dispose();
  assert.deepEqual(memory(), base);
});

test('bad input is a usage error before any gradient pass, and nothing is written', async () => {
  const cases: [string[], RegExp][] = [
    [['--ratio', '0', '--out', 'm.safetensors'], /--ratio: each ratio must be in \(0, 1\], got '0'/],
    [['--ratio', '0.5,x', '--out', 'm.safetensors'], /--ratio: each ratio must be in \(0, 1\], got 'x'/],
    [['--ratio', '0.5,0.5', '--out', 'ms'], /--ratio: '0\.5,0\.5' repeats a ratio/],
    [['--ratio', '0.5'], /--out: required/],
    [['--ratio', '0.5', '--out', 'orig/mask.safetensors'], /--out: '.*mask\.safetensors' lies inside the --from input/],
    [['--ratio', '0.5', '--out', 'nodir/m.safetensors'], /--out: directory '.*nodir' does not exist/],
    [['--method', 'nope', '--out', 'm.safetensors'], /unknown method 'nope'/],
    [['--batch-size', '0', '--out', 'm.safetensors'], /--batch-size: expected an integer ≥ 1/],
  ];
  for (const [args, message] of cases) {
    const r = await mask(...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(errorLine(r), message);
  }
  assert.equal(existsSync(join(dir, 'm.safetensors')), false);
  assert.equal(existsSync(join(dir, 'ms')), false);
  // a forget set that selects nothing of the training set is refused by the forget-set parser, naming the spec
  const empty = await runCli(['mask', '--from', 'orig', '--forget', 'class:12', '--out', 'm.safetensors', '--quiet'], dir);
  assert.notEqual(empty.code, 0);
  assert.match(errorLine(empty), /class/);
  assert.equal(existsSync(join(dir, 'm.safetensors')), false);
  assert.ok(readFileSync(join(dir, 'orig', 'manifest.json')).length > 0);
});
