// `lethe bench --jobs N` and `lethe sweep --jobs N`: the runs are made by N child processes at once, and they are the
// runs one process makes with the children's thread count; a failing run is named, and Ctrl-C stops the children
// and exits 130.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunRecord as Run } from '../../src/cli/results.js';
import { errorLine, runCli, startCli, tempDir } from './helpers.js';

const DATA = ['--model', 'mlp', '--train-size', '1200', '--test-size', '500', '--epochs', '3'];

const runs = (dir: string, out: string): Run[] => (JSON.parse(readFileSync(join(dir, out, 'results.json'), 'utf8')) as { runs: Run[] }).runs;

test('bench --jobs 2 makes, in child processes, the runs one process makes with their thread count', async () => {
  const dir = tempDir('lethe-jobs-');
  const bench = ['bench', ...DATA, '--methods', 'ga,ft,rl', '--seeds', '2', '--seed', '1'];
  const par = await runCli([...bench, '--jobs', '2', '--out', 'par', '--json'], dir, { LETHE_NUM_THREADS: '2' });
  assert.equal(par.code, 0, par.stderr);
  // first the two seeds' four models, each by a `lethe train --cache` worker, then the six runs
  assert.match(par.stderr, /train: 4 run\(s\), 2 at a time, 1 thread\(s\) each/);
  for (const label of ['original s1', 'retrain s1', 'original s2', 'retrain s2']) assert.match(par.stderr, new RegExp(`^\\[${label}\\] `, 'm'), `no line from ${label}`);
  assert.match(par.stderr, /original \(seed 1\): reusing the finished model/, 'the parent found the workers\u2019 models');
  assert.match(par.stderr, /bench: 6 run\(s\), 2 at a time, 1 thread\(s\) each/);
  for (const label of ['ga s1', 'ft s1', 'rl s1', 'ga s2', 'ft s2', 'rl s2']) {
    assert.match(par.stderr, new RegExp(`^\\[${label}\\] .*Avg\\.Gap`, 'm'), `no result line from ${label}`);
  }
  const doc = JSON.parse(par.stdout) as { rows: { method: string }[]; protocol: string[] };
  assert.deepEqual(doc.rows.map((r) => r.method), ['original', 'retrain', 'ga', 'ft', 'rl']);
  // the header describes both seeds' forget sets (each seed draws its own 1,200-image subset), not seed 1's alone
  const forgetLine = doc.protocol.find((l) => l.startsWith('forget '));
  assert.match(forgetLine ?? '', /^forget random:0\.1: seed 1: .*\(seed 1\); seed 2: .*\(seed 2\)$/);

  // one process, one thread, the same models (the same cache), every run recomputed: the same numbers to the bit
  const one = await runCli([...bench, '--fresh', '--out', 'one', '--quiet'], dir, { LETHE_NUM_THREADS: '1' });
  assert.equal(one.code, 0, one.stderr);
  const byKey = new Map(runs(dir, 'par').map((r) => [`${r.method} s${r.seed}`, r]));
  const single = runs(dir, 'one');
  assert.equal(single.length, 10);
  for (const r of single) {
    const p = byKey.get(`${r.method} s${r.seed}`);
    assert.ok(p !== undefined, `${r.method} s${r.seed} missing from the --jobs table`);
    assert.deepEqual([p.UA, p.RA, p.TA, p.MIA, p.avgGap, p.models], [r.UA, r.RA, r.TA, r.MIA, r.avgGap, r.models], `${r.method} s${r.seed}`);
  }

  // a rerun finds every run on file and starts no process
  const again = await runCli([...bench, '--jobs', '2', '--out', 'par'], dir, { LETHE_NUM_THREADS: '2' });
  assert.equal(again.code, 0, again.stderr);
  assert.doesNotMatch(again.stderr, /at a time/);
  assert.match(again.stderr, /seed 2: every run is on file/);

  const bad = await runCli([...bench, '--jobs', '0', '--out', 'bad'], dir);
  assert.equal(bad.code, 2);
  assert.match(errorLine(bad), /--jobs: expected an integer ≥ 1/);
});

test('bench --jobs: a run that fails is named and no new run starts; Ctrl-C stops the running ones', async () => {
  const dir = tempDir('lethe-jobs-fail-');
  // the models of seed 5 are trained first; once the parent hands out the runs, its original model is broken
  let broken = false;
  const failed = await startCli(['bench', ...DATA, '--methods', 'ga,ft,rl', '--seeds', '1', '--seed', '5', '--jobs', '2', '--out', 'b'], {
    cwd: dir,
    onStderr: (text) => {
      if (broken || !/bench: 3 run\(s\)/.test(text)) return;
      broken = true;
      const models = join(dir, 'cache', 'models');
      for (const d of readdirSync(models).filter((n) => n.startsWith('original-'))) writeFileSync(join(models, d, 'model.safetensors'), 'not weights');
    },
  });
  assert.ok(broken, failed.stderr);
  assert.equal(failed.code, 1, failed.stderr);
  // both running children failed (in either order), each with the reason in its own words: a worker does not
  // remake a damaged cached model (two would race to write it); a rerun's parent does
  assert.match(errorLine(failed), /^lethe: 2 of 3 run\(s\) failed: (ga|ft) s5 exited with code 1 \(its last output: .*fails its hash check \(damaged after this command made it\); rerun the command.*\); (ga|ft) s5 exited/);
  assert.match(errorLine(failed), /ga s5/);
  assert.match(errorLine(failed), /ft s5/);
  assert.doesNotMatch(failed.stderr, /^\[rl s5\]/m, 'a run started after a failure');
  assert.ok(!existsSync(join(dir, 'b', 'results.json')));

  // a slow recipe, so that the signal finds the run going
  mkdirSync(join(dir, 'slow'));
  writeFileSync(join(dir, 'slow', 'ft.json'), JSON.stringify({ method: 'ft', options: { epochs: 5000, lr: 0.01 } }));
  let sent = false;
  const stopped = await startCli(['bench', ...DATA, '--methods', 'ft', '--seeds', '2', '--seed', '1', '--jobs', '2', '--out', 's'], {
    cwd: dir,
    env: { LETHE_RECIPES: join(dir, 'slow') },
    onStderr: (text, child) => {
      if (!sent && /\[ft s1\] .*epoch/.test(text) && /\[ft s2\] .*epoch/.test(text)) {
        sent = true;
        child.kill('SIGINT');
      }
    },
  });
  assert.ok(sent, stopped.stderr);
  assert.equal(stopped.code, 130, stopped.stderr);
  assert.match(stopped.stderr, /\[ft s1\] SIGINT: stopping after the current batch/);
  assert.match(stopped.stderr, /\[ft s2\] SIGINT: stopping after the current batch/);
  assert.match(errorLine(stopped), /interrupted/);
  assert.ok(!existsSync(join(dir, 's', 'results.json')));
});

test('sweep --jobs 2 makes the trials one process makes, and the same table', async () => {
  const dir = tempDir('lethe-jobs-sweep-');
  const sweep = ['sweep', '--method', 'ga', ...DATA, '--values', '0.001,0.003', '--seeds', '2', '--no-write'];
  const par = await runCli([...sweep, '--jobs', '2', '--out', 'par'], dir, { LETHE_NUM_THREADS: '2' });
  assert.equal(par.code, 0, par.stderr);
  // the two seeds' models first, one `lethe train --cache` worker each; the parent then finds them
  assert.match(par.stderr, /train: 4 run\(s\), 2 at a time, 1 thread\(s\) each/);
  assert.match(par.stderr, /retrain \(seed 2\): reusing the finished model/);
  assert.match(par.stderr, /sweep: 4 run\(s\), 2 at a time, 1 thread\(s\) each/);
  for (const label of ['lr 0.001 s1', 'lr 0.001 s2', 'lr 0.003 s1', 'lr 0.003 s2']) assert.match(par.stderr, new RegExp(`^\\[${label}\\] `, 'm'));
  // each seed's retrain is evaluated once, by the parent: the workers read its numbers from the reference store
  assert.deepEqual(par.stderr.match(/^.*retrain \(seed \d\): evaluating/gm), ['retrain (seed 1): evaluating', 'retrain (seed 2): evaluating']);
  const one = await runCli([...sweep, '--fresh', '--out', 'one'], dir, { LETHE_NUM_THREADS: '1' });
  assert.equal(one.code, 0, one.stderr);
  const trials = (out: string): unknown => (JSON.parse(readFileSync(join(dir, out, 'sweep.json'), 'utf8')) as { trials: { perSeed: Run[] }[] }).trials.map((t) => t.perSeed.map((r) => [r.UA, r.RA, r.TA, r.MIA, r.avgGap]));
  assert.deepEqual(trials('par'), trials('one'));
  // the table, times aside
  const table = (text: string): string[] => text.split('\n').filter((l) => /^0\.00/.test(l)).map((l) => l.replace(/\s+\S+$/, ''));
  assert.deepEqual(table(par.stdout), table(one.stdout));
  assert.equal(table(par.stdout).length, 2);
});
