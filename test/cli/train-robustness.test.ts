// `lethe train` when things go wrong: a diverging run fails with one clear line and leaves nothing that looks finished;
// an interrupted run whose resume state is torn or damaged starts over (never resumes from a mix); --force over an
// interrupted run with other settings starts over; a damaged run.json, or a finished or damaged checkpoint, in
// --out is refused without --force and left as it was.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TINY, errorLine, runCli, startCli, tempDir } from './helpers.js';

const ONE = { LETHE_NUM_THREADS: '1' };
const MLP = ['train', '--model', 'mlp', ...TINY];

interface Manifest {
  history: { epoch: number }[];
  weights: { sha256: string };
}
const manifest = (dir: string): Manifest => JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;

// Promise: a diverging `lethe train` ends with one clear line and exit 1, and nothing in --out looks finished.
test('a diverging lr: exit 1 with the one-line advice to lower it, no stack, no manifest and no resume state', async () => {
  const dir = tempDir('lethe-train-robust-');
  const r = await runCli([...MLP, '--epochs', '1', '--lr', '1e30', '--out', 'd'], dir, ONE);
  assert.equal(r.code, 1, r.stderr);
  assert.match(errorLine(r), /^lethe: training diverged: the loss became (NaN|-?Infinity) at epoch 1, batch \d+\. Lower the learning rate \(the recipe's lr; --lr on the command line\); nothing was saved from this epoch\.$/);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  assert.ok(!existsSync(join(dir, 'd', 'manifest.json')), 'a diverged run leaves no finished checkpoint');
  assert.ok(!existsSync(join(dir, 'd', 'resume.json')), 'nor a resume state of the diverged epoch');
});

// Promise: a rerun never continues from resume state that is torn, unreadable, or from a run of other settings: it
// starts over (bit-identical to a run from scratch) or, for an unknown run.json without --force, refuses and keeps it.
test('an interrupted run with a torn or damaged resume state, a damaged run.json, or --force with other settings: it starts over', async () => {
  const dir = tempDir('lethe-train-robust-');
  const args = (out: string, ...more: string[]) => [...MLP, '--batch-size', '32', '--epochs', '3', ...more, '--out', out];
  let sent = false;
  const first = await startCli(args('run'), {
    cwd: dir,
    env: ONE,
    onStderr: (text, child) => {
      if (!sent && /epoch 1\/3 {2}loss/.test(text)) {
        sent = true;
        child.kill('SIGINT');
      }
    },
  });
  assert.equal(first.code, 130, first.stderr);
  const saved = JSON.parse(readFileSync(join(dir, 'run', 'resume.json'), 'utf8')) as { epoch: number };
  assert.ok(saved.epoch >= 1 && saved.epoch < 3, `resume state after epoch ${saved.epoch}`);
  for (const copy of ['torn', 'badjson', 'badrun', 'other']) cpSync(join(dir, 'run'), join(dir, copy), { recursive: true });
  const startsOver = (r: Awaited<ReturnType<typeof runCli>>, out: string, epochs = 3): string => {
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /resuming/, `${out} did not start over`);
    const m = manifest(join(dir, out));
    assert.deepEqual(m.history.map((h) => h.epoch), Array.from({ length: epochs }, (_, i) => i + 1));
    for (const f of ['resume.json', 'resume.safetensors', 'run.json']) assert.ok(!existsSync(join(dir, out, f)), `${out}/${f} removed`);
    return m.weights.sha256;
  };

  // resume.safetensors changed after resume.json recorded its hash: its weights are not loaded
  const tensors = join(dir, 'torn', 'resume.safetensors');
  const torn = readFileSync(tensors);
  torn[torn.length - 1] = torn[torn.length - 1]! ^ 0x10;
  writeFileSync(tensors, torn);
  const fromScratch = startsOver(await runCli(args('torn'), dir, ONE), 'torn');

  // resume.json unreadable: started over, not a JSON parse error
  writeFileSync(join(dir, 'badjson', 'resume.json'), '{"epoch": 1, "hist');
  assert.equal(startsOver(await runCli(args('badjson'), dir, ONE), 'badjson'), fromScratch, 'the weights of a run from scratch');

  // run.json unreadable: the run it describes is unknown, so it is refused (the resume state kept) until --force
  writeFileSync(join(dir, 'badrun', 'run.json'), '{"configHash": "');
  const refused = await runCli(args('badrun'), dir, ONE);
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(errorLine(refused), /^lethe: --out: '.*badrun' holds an interrupted run with other settings; pass --force to start over or choose another --out$/);
  assert.ok(existsSync(join(dir, 'badrun', 'resume.json')) && existsSync(join(dir, 'badrun', 'resume.safetensors')), 'a refusal destroys nothing');
  assert.equal(startsOver(await runCli(args('badrun', '--force'), dir, ONE), 'badrun'), fromScratch, 'the weights of a run from scratch');

  // --force with another configuration (2 epochs): the old resume state is cleared, not continued
  startsOver(await runCli([...MLP, '--batch-size', '32', '--epochs', '2', '--force', '--out', 'other'], dir, ONE), 'other', 2);
});

// Promise: a finished or damaged checkpoint in --out is never trained over without --force, and --force retrains it.
test('--out holding a finished model of other settings or a damaged checkpoint: refused without --force, kept as it was', async () => {
  const dir = tempDir('lethe-train-robust-');
  const args = (...more: string[]) => [...MLP, '--epochs', '1', ...more, '--out', 'fin'];
  const made = await runCli(args('--quiet'), dir, ONE);
  assert.equal(made.code, 0, made.stderr);
  const manifestPath = join(dir, 'fin', 'manifest.json');
  const weightsPath = join(dir, 'fin', 'model.safetensors');
  const original = readFileSync(manifestPath);

  const other = await runCli([...MLP, '--epochs', '2', '--out', 'fin'], dir, ONE);
  assert.equal(other.code, 2, other.stderr);
  assert.match(errorLine(other), /^lethe: --out: '.*fin' already holds a model trained with other settings \(recipe\.epochs 1 there, 2 now.*\); pass --force to replace it or choose another --out$/);
  assert.deepEqual(readFileSync(manifestPath), original, 'the finished model is kept');

  // damaged weights: not a finished model any more, yet not silently retrained over either
  const damaged = readFileSync(weightsPath);
  damaged[damaged.length - 1] = damaged[damaged.length - 1]! ^ 0x10;
  writeFileSync(weightsPath, damaged);
  const refused = await runCli(args(), dir, ONE);
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(errorLine(refused), /^lethe: --out: '.*fin' holds a checkpoint that fails its hash check; pass --force to retrain into it or choose another --out$/);
  assert.deepEqual(readFileSync(manifestPath), original);
  assert.deepEqual(readFileSync(weightsPath), damaged, 'the damaged files are left for the user to inspect');
  const forced = await runCli(args('--force', '--quiet'), dir, ONE);
  assert.equal(forced.code, 0, forced.stderr);
  const remade = manifest(join(dir, 'fin'));
  assert.equal(remade.weights.sha256, (JSON.parse(original.toString()) as Manifest).weights.sha256, 'retrained into the same weights');

});
