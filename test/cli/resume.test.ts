// Ctrl-C during training: exit 130, no manifest (nothing partial looks complete), resume state on disk; the same
// command again resumes from the last finished epoch and completes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TINY, runCli, startCli, tempDir } from './helpers.js';

test('SIGINT during train leaves no manifest, and a rerun resumes', async () => {
  const dir = tempDir();
  const args = ['train', '--model', 'mlp', ...TINY, '--batch-size', '32', '--epochs', '4', '--out', 'orig'];
  let sent = false;
  const first = await startCli(args, {
    cwd: dir,
    onStderr: (text, child) => {
      // after epoch 1's resume state is written (the epoch line comes after it), stop the run
      if (!sent && /epoch 1\/4 {2}loss/.test(text)) {
        sent = true;
        child.kill('SIGINT');
      }
    },
  });
  assert.ok(sent, `never saw epoch 1 finish:\n${first.stderr}`);
  assert.equal(first.code, 130, first.stderr);
  assert.match(first.stderr, /interrupted: .*rerun the same command to resume/);
  assert.ok(!existsSync(join(dir, 'orig', 'manifest.json')), 'an interrupted run has no manifest');
  assert.ok(existsSync(join(dir, 'orig', 'resume.json')));
  const saved = JSON.parse(readFileSync(join(dir, 'orig', 'resume.json'), 'utf8')) as { epoch: number };
  assert.ok(saved.epoch >= 1 && saved.epoch < 4, `resume state after epoch ${saved.epoch}`);

  // a usage error must not destroy it: another configuration is refused
  const other = await runCli(['train', '--model', 'mlp', ...TINY, '--epochs', '3', '--out', 'orig'], dir);
  assert.equal(other.code, 2);
  assert.match(other.stderr, /interrupted run with other settings \(recipe\.epochs 4 there, 3 now; recipe\.batchSize 32 there, 256 now; recipe\.milestones \[2,3\] there, \[2\] now\); pass --force/);

  const second = await runCli(args, dir);
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stderr, new RegExp(`resuming .* after epoch ${saved.epoch} of 4`));
  const m = JSON.parse(readFileSync(join(dir, 'orig', 'manifest.json'), 'utf8')) as { history: { epoch: number }[] };
  assert.deepEqual(m.history.map((h) => h.epoch), [1, 2, 3, 4]);
  assert.ok(!existsSync(join(dir, 'orig', 'resume.json')));

  // resuming is exact: an unbroken run of the same command ends with bit-identical weights
  const unbroken = await runCli([...args.slice(0, -1), 'unbroken', '--quiet'], dir);
  assert.equal(unbroken.code, 0, unbroken.stderr);
  const u = JSON.parse(readFileSync(join(dir, 'unbroken', 'manifest.json'), 'utf8')) as { weights: { sha256: string } };
  const r = JSON.parse(readFileSync(join(dir, 'orig', 'manifest.json'), 'utf8')) as { weights: { sha256: string } };
  assert.equal(r.weights.sha256, u.weights.sha256);
});
