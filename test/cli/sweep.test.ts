// lethe sweep through the real CLI: the grid, the winner by Avg.Gap, the recipe file per scenario, the tuned
// option per method (IU: alpha), and bench picking the tuned recipe up (and rerunning, not reusing, old runs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TINY, errorLine, runCli, tempDir } from './helpers.js';
import { recipeForMethod, recipeScenario } from '../../src/cli/recipes.js';
import { seedsDescription } from '../../src/cli/data.js';
import { logGrid, mergeTrials, parseValues, readTarget, sharedSettings, sweepHistory, withValue } from '../../src/cli/commands/sweep.js';
import { gridEdge, sweepScore, sweepWinner } from '../../src/cli/sweep-winner.js';

const dir = tempDir('lethe-sweep-');
const MODEL = ['--model', 'mlp', ...TINY, '--epochs', '1'];

interface SweepJson {
  tuned: boolean;
  options: Record<string, number>;
  recipeFile: string;
  sweep: { param: string; trials: { value: number; avgGap: number }[]; reference: Record<string, number>; edge?: string };
}

test('sweep ft over two learning rates writes the Avg.Gap winner as recipes/ft.json', async () => {
  const r = await runCli(['sweep', '--method', 'ft', ...MODEL, '--lr', '1e-3:1e-1', '--points', '2', '--recipes-dir', 'recipes', '--json'], dir);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as SweepJson;
  assert.equal(doc.tuned, true);
  assert.equal(doc.sweep.param, 'lr');
  assert.deepEqual(doc.sweep.trials.map((t) => t.value), [0.001, 0.1]);
  const best = doc.sweep.trials.reduce((a, b) => (b.avgGap < a.avgGap ? b : a));
  assert.equal(doc.options['lr'], best.value);
  // two points cannot bracket an optimum: the recipe says on which side of the grid its winner sits, and so does the table
  assert.equal(doc.sweep.edge, best.value === 0.001 ? 'lowest' : 'highest');
  const text = await runCli(['sweep', '--method', 'ft', ...MODEL, '--lr', '1e-3:1e-1', '--points', '2', '--no-write'], dir); // its trials are reused
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, new RegExp(`note: ${best.value} is the ${doc.sweep.edge} lr tried, so the best may lie (below|above) it`));
  assert.equal(doc.recipeFile, join(dir, 'recipes', 'ft.json'));
  const written = JSON.parse(readFileSync(doc.recipeFile, 'utf8')) as SweepJson;
  assert.equal(written.options['lr'], best.value);
  assert.equal(written.options['epochs'], 10, 'the other options keep the reference recipe');

  // bench reads the tuned recipe from LETHE_RECIPES and does not reuse a run made with another recipe
  const bench = ['bench', ...MODEL, '--methods', 'ft', '--seeds', '1', '--out', 'bench'];
  const untuned = await runCli(bench, dir, { LETHE_RECIPES: join(dir, 'no-recipes') });
  assert.equal(untuned.code, 0, untuned.stderr);
  assert.match(untuned.stderr, /ft \(seed 1\): untuned recipe/);
  const tuned = await runCli(bench, dir, { LETHE_RECIPES: join(dir, 'recipes') });
  assert.equal(tuned.code, 0, tuned.stderr);
  // the tuned recipe's run is the one the sweep made for the winning lr: bench takes it from the run store
  assert.match(tuned.stderr, /ft \(seed 1\): the same run is in the run store \([0-9a-f]{16}\), skipping/);
  assert.doesNotMatch(tuned.stderr, /done before, skipping|ft \(seed 1\): tuned recipe/);
  const fromStore = JSON.parse(readFileSync(join(dir, 'bench', 'results.json'), 'utf8')) as { rows: { method: string; avgGap: { mean: number } }[] };
  assert.equal(fromStore.rows.find((r) => r.method === 'ft')!.avgGap.mean, best.avgGap);
  assert.equal(readdirSync(join(dir, 'bench', 'runs')).filter((f) => f.startsWith('ft-')).length, 2);
});

test('a second sweep over a further grid keeps the earlier trials and picks the best over all of them', async () => {
  const r = await runCli(['sweep', '--method', 'ft', ...MODEL, '--lr', '1e-2:1e-1', '--points', '1', '--recipes-dir', 'recipes', '--json'], dir);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as SweepJson;
  assert.deepEqual(doc.sweep.trials.map((t) => t.value), [0.001, 0.0316, 0.1], 'the grid of the first test plus the new point, by value');
  const best = doc.sweep.trials.reduce((a, b) => (b.avgGap < a.avgGap ? b : a));
  assert.equal(doc.options['lr'], best.value);
});

test('sweep --seeds 2 scores a value by its mean over two seeds, each with its own split and retrain', async () => {
  const r = await runCli(['sweep', '--method', 'ga', ...MODEL, '--lr', '1e-3:1e-2', '--points', '1', '--seeds', '2', '--no-write', '--json'], dir);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as SweepJson & { protocol: string; sweep: { trials: { avgGap: number; UA: number; perSeed: { seed: number; avgGap: number; UA: number }[] }[] } };
  assert.match(doc.protocol, /seeds 1-2 \(mean\)/);
  const [t] = doc.sweep.trials;
  assert.deepEqual(t!.perSeed.map((p) => p.seed), [1, 2]);
  assert.ok(Math.abs(t!.avgGap - (t!.perSeed[0]!.avgGap + t!.perSeed[1]!.avgGap) / 2) < 1e-9);
  assert.ok(Math.abs(t!.UA - (t!.perSeed[0]!.UA + t!.perSeed[1]!.UA) / 2) < 1e-9);
  // the printed table shows each seed's gap beside the mean (the trials are reused: no run)
  const text = await runCli(['sweep', '--method', 'ga', ...MODEL, '--lr', '1e-3:1e-2', '--points', '1', '--seeds', '2', '--no-write'], dir);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /Avg\.Gap\s+per seed/);
  // the tiny sets differ per seed (each seed draws its own --train-size subset), so the header lists each after its seed
  const header = text.stdout.split('\n').find((l) => l.startsWith('# sweep ga'));
  assert.ok(header !== undefined && header.includes('seed 1: val ') && header.includes('seed 2: val '), text.stdout);
  assert.ok(text.stdout.includes(`${t!.perSeed[0]!.avgGap.toFixed(2)} / ${t!.perSeed[1]!.avgGap.toFixed(2)}`), text.stdout);
  assert.doesNotMatch(text.stdout, /^note:/m, 'one point has no side to extend');
});

test('sweep --by worst-gap picks the value whose worst seed is best, and says so in the recipe and the table', async () => {
  const args = ['sweep', '--method', 'ga', ...MODEL, '--values', '0.001,0.01,0.1', '--seeds', '2', '--by', 'worst-gap', '--recipes-dir', 'recipes-worst'];
  const r = await runCli([...args, '--json'], dir);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as SweepJson & { source: string; protocol: string; sweep: { by: string } };
  const trials = doc.sweep.trials as { value: number; avgGap: number; perSeed: { avgGap: number }[] }[];
  assert.equal(doc.sweep.by, 'worst-gap');
  assert.match(doc.protocol, /seeds 1-2 \(worst seed\)$/, 'the protocol names the criterion, not "(mean)"');
  assert.match(doc.source, /^lethe sweep --by worst-gap over lr 0\.001, 0\.01, 0\.1/);
  const worst = (t: { perSeed: { avgGap: number }[] }) => Math.max(...t.perSeed.map((p) => p.avgGap));
  const best = trials.reduce((a, b) => (worst(b) < worst(a) ? b : a));
  assert.equal(doc.options['lr'], best.value, 'the recipe holds the value with the smallest worst-seed gap');
  // the trials are on file now: the table reruns nothing and names the winner's worst seed
  const text = await runCli(['sweep', '--method', 'ga', ...MODEL, '--values', '0.001,0.01,0.1', '--seeds', '2', '--by', 'worst-gap', '--no-write'], dir);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^# sweep ga by worst-gap/m);
  assert.ok(text.stdout.includes(`best lr ${best.value} (Avg.Gap ${best.avgGap.toFixed(2)}, worst seed ${worst(best).toFixed(2)})`), text.stdout);
  const bad = await runCli(['sweep', '--method', 'ga', ...MODEL, '--by', 'median-gap', '--no-write'], dir);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /'median-gap' is invalid\. Allowed choices are avg-gap, worst-gap/);
});

test('sweepWinner: the mean picks the edge of a cliff that one seed falls off; the worst seed does not', () => {
  // CUFG's reduced random sweep in shape: the largest lr is best on average, because one seed gains more than the
  // other loses
  const trials = [
    { value: 0.0003, avgGap: 5.0, perSeed: [{ avgGap: 5.2 }, { avgGap: 4.8 }] },
    { value: 0.0006, avgGap: 4.2, perSeed: [{ avgGap: 4.4 }, { avgGap: 4.0 }] },
    { value: 0.001, avgGap: 3.9, perSeed: [{ avgGap: 1.8 }, { avgGap: 6.0 }] },
  ];
  assert.equal(sweepWinner(trials, 'avg-gap')?.best.value, 0.001);
  assert.equal(sweepWinner(trials, 'worst-gap')?.best.value, 0.0006);
  assert.equal(sweepScore(trials[2]!, 'worst-gap'), 6.0);
  assert.equal(sweepScore(trials[2]!, 'avg-gap'), 3.9);
  // one seed: the two rules agree
  const single = [{ value: 1, avgGap: 2 }, { value: 2, avgGap: 1 }];
  assert.equal(sweepWinner(single, 'worst-gap')?.best.value, 2);
  assert.equal(sweepScore(single[0]!, 'worst-gap'), 2);
  // a seed that diverged (NaN) rules the value out under worst-gap, as its NaN mean does under avg-gap
  const diverged = [{ value: 1, avgGap: Number.NaN, perSeed: [{ avgGap: 0.5 }, { avgGap: Number.NaN }] }, { value: 2, avgGap: 3, perSeed: [{ avgGap: 3 }, { avgGap: 3 }] }];
  assert.equal(sweepWinner(diverged, 'worst-gap')?.best.value, 2);
  assert.deepEqual(sweepWinner(diverged, 'worst-gap')?.finite.map((t) => t.value), [2]);
  assert.equal(sweepWinner([diverged[0]!], 'avg-gap'), null, 'nothing can win');
  // ties go to the first value tried, as before
  assert.equal(sweepWinner([{ value: 1, avgGap: 2 }, { value: 2, avgGap: 2 }], 'avg-gap')?.best.value, 1);
});

test('an interrupted or repeated sweep reuses its finished (value, seed) trials; --fresh runs them again', async () => {
  const args = ['sweep', '--method', 'ga', ...MODEL, '--lr', '1e-3:1e-2', '--points', '1', '--seeds', '2', '--no-write', '--json'];
  const first = await runCli(args, dir); // the same command as the --seeds 2 test: its two trials are on disk
  assert.equal(first.code, 0, first.stderr);
  assert.equal((first.stderr.match(/done before, skipping/g) ?? []).length, 2, first.stderr);
  assert.doesNotMatch(first.stderr, /running ga/);
  assert.doesNotMatch(first.stderr, /retrain \(seed \d\): evaluating/, 'retrain\'s metrics come from the reference store');
  // the metrics of each trial and seed, without the run times
  const trials = (r: { stdout: string }): unknown =>
    JSON.stringify((JSON.parse(r.stdout) as SweepJson).sweep.trials, (k, v: unknown) => (k === 'seconds' ? undefined : v));
  const fresh = await runCli([...args, '--fresh'], dir);
  assert.equal(fresh.code, 0, fresh.stderr);
  assert.doesNotMatch(fresh.stderr, /done before/);
  assert.equal((fresh.stderr.match(/retrain \(seed \d\): evaluating/g) ?? []).length, 2, '--fresh evaluates each seed\'s retrain anew');
  assert.deepEqual(trials(fresh), trials(first), 'a rerun on the same seeds and thread count reproduces the trials exactly');
  // a trial is the run, not the sweep that made it: seed 2 alone reuses seed 2's trial ...
  const withSeed2 = MODEL.map((a, i) => (MODEL[i - 1] === '--seed' ? '2' : a)); // (a flag may be given once)
  const seed2 = await runCli(['sweep', '--method', 'ga', ...withSeed2, '--values', '0.00316', '--no-write', '--json'], dir);
  assert.equal(seed2.code, 0, seed2.stderr);
  assert.equal((seed2.stderr.match(/done before, skipping/g) ?? []).length, 1, seed2.stderr);
  // ... while another original model (trained 2 epochs) is another trial
  const other = await runCli(['sweep', '--method', 'ga', '--model', 'mlp', ...TINY, '--epochs', '2', '--values', '0.00316', '--no-write', '--json'], dir);
  assert.equal(other.code, 0, other.stderr);
  assert.doesNotMatch(other.stderr, /done before/);
});

test('a seed whose every trial and retrain metrics are on file is scored without its models: seeds swept apart combine', async () => {
  const d = tempDir('lethe-sweep-files-');
  const seed2 = MODEL.map((a, i) => (MODEL[i - 1] === '--seed' ? '2' : a));
  const values = ['--values', '0.001,0.003', '--no-write', '--json'];
  // each seed swept on its own (as on two machines), into the same trials folder
  const alone: number[][] = [];
  for (const model of [MODEL, seed2]) {
    const r = await runCli(['sweep', '--method', 'ga', ...model, ...values], d);
    assert.equal(r.code, 0, r.stderr);
    alone.push((JSON.parse(r.stdout) as { sweep: { trials: { avgGap: number }[] } }).sweep.trials.map((t) => t.avgGap));
  }
  // the models are gone (a new machine): the trials and retrain's kept metrics are enough for the two-seed sweep
  const models = join(d, 'cache', 'models');
  rmSync(models, { recursive: true, force: true });
  const both = await runCli(['sweep', '--method', 'ga', ...MODEL, '--seeds', '2', ...values], d);
  assert.equal(both.code, 0, both.stderr);
  assert.match(both.stderr, /seed 1: every trial and retrain's metrics are on file; the models are not needed/);
  assert.match(both.stderr, /seed 2: every trial and retrain's metrics are on file; the models are not needed/);
  assert.doesNotMatch(both.stderr, /running ga|retrain \(seed \d\): evaluating/);
  assert.equal(existsSync(models), false, 'no model was trained');
  const doc = JSON.parse(both.stdout) as { sweep: { trials: { avgGap: number; perSeed: { seed: number; avgGap: number }[] }[] } };
  doc.sweep.trials.forEach((t, i) => {
    assert.deepEqual(t.perSeed.map((p) => [p.seed, p.avgGap]), [[1, alone[0]![i]], [2, alone[1]![i]]]);
    assert.ok(Math.abs(t.avgGap - (alone[0]![i]! + alone[1]![i]!) / 2) < 1e-9);
  });
  // a value with no trial on file (here on both seeds) needs the seed's models: they are trained again
  const more = await runCli(['sweep', '--method', 'ga', ...MODEL, '--seeds', '2', '--values', '0.001,0.003,0.002', '--no-write'], d);
  assert.equal(more.code, 0, more.stderr);
  assert.doesNotMatch(more.stderr, /seed \d: every trial/);
  assert.ok(existsSync(models));
  // retrain's kept metrics of another retrain model (say, trained on another CPU) do not vouch for the trials
  rmSync(models, { recursive: true, force: true });
  const refs = join(d, 'cache', 'references');
  for (const name of readdirSync(refs)) {
    const file = join(refs, name);
    writeFileSync(file, JSON.stringify({ ...(JSON.parse(readFileSync(file, 'utf8')) as object), retrain: 'another-model' }));
  }
  const other = await runCli(['sweep', '--method', 'ga', ...MODEL, '--seeds', '2', ...values], d);
  assert.equal(other.code, 0, other.stderr);
  assert.doesNotMatch(other.stderr, /every trial and retrain's metrics are on file/);
  assert.ok(existsSync(models), 'the models were trained again');
  rmSync(d, { recursive: true, force: true });
});

test('retrain\'s metrics are kept per retrain model and protocol, and a record of another retrain model is not used', async () => {
  const d = tempDir('lethe-sweep-reference-');
  const args = ['sweep', '--method', 'ga', ...MODEL, '--values', '0.001', '--no-write', '--json'];
  const first = await runCli(args, d);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /retrain \(seed 1\): evaluating/);
  const refs = join(d, 'cache', 'references');
  const [name, ...others] = readdirSync(refs);
  assert.equal(others.length, 0);
  const file = join(refs, name!);
  const kept = JSON.parse(readFileSync(file, 'utf8')) as { retrain: string; metrics: Record<string, number> };
  assert.deepEqual(kept.metrics, (JSON.parse(first.stdout) as SweepJson).sweep.reference);
  // the kept numbers are what a rerun scores against: changed by hand, they change the reference (and so the trial)
  writeFileSync(file, JSON.stringify({ ...kept, metrics: { ...kept.metrics, UA: 50 } }));
  const edited = await runCli(args, d);
  assert.equal(edited.code, 0, edited.stderr);
  assert.doesNotMatch(edited.stderr, /retrain \(seed 1\): evaluating/);
  assert.equal((JSON.parse(edited.stdout) as SweepJson).sweep.reference['UA'], 50);
  // a record of another retrain model on the same protocol (a cache rebuilt on another CPU) is not this model's:
  // evaluated again, and the record replaced
  writeFileSync(file, JSON.stringify({ ...kept, retrain: 'another-model' }));
  const other = await runCli(args, d);
  assert.equal(other.code, 0, other.stderr);
  assert.match(other.stderr, /retrain \(seed 1\): evaluating/);
  assert.match(other.stderr, /done before, skipping/, 'the trial scored against the true reference is found again');
  assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), kept);
  rmSync(d, { recursive: true, force: true });
});

test('mergeTrials keeps earlier trials only under the same identity, and a repeated value takes the new result', () => {
  const id = { method: 'ga', by: 'avg-gap', param: 'lr', protocol: 'p', reference: { UA: 1, RA: 2, TA: 3, MIA: 4 }, options: { lr: 0.1, epochs: 5 } };
  const earlier = { method: 'ga', protocol: 'p', options: { lr: 0.01, epochs: 5 }, sweep: { by: 'avg-gap', param: 'lr', reference: id.reference, trials: [{ value: 0.01, avgGap: 3 }, { value: 0.1, avgGap: 9 }] } };
  const now = [{ value: 0.1, avgGap: 2 }, { value: 1, avgGap: 5 }];
  assert.deepEqual(mergeTrials(earlier, id, now), [{ value: 0.01, avgGap: 3 }, { value: 0.1, avgGap: 2 }, { value: 1, avgGap: 5 }]);
  assert.deepEqual(mergeTrials({ ...earlier, protocol: 'other' }, id, now), now, 'another protocol');
  assert.deepEqual(mergeTrials({ ...earlier, options: { lr: 0.01, epochs: 10 } }, id, now), now, 'other options');
  assert.deepEqual(mergeTrials({ ...earlier, sweep: { ...earlier.sweep, reference: { UA: 0, RA: 2, TA: 3, MIA: 4 } } }, id, now), now, 'another retrain reference');
  assert.deepEqual(mergeTrials(null, id, now), now);
  // blocks are part of the identity: an lr sweep under another mask ratio is another sweep; a ratio sweep ignores the ratio
  const masked = { ...earlier, blocks: { mask: { ratio: 0.5 } } };
  assert.deepEqual(mergeTrials(masked, { ...id, blocks: { mask: { ratio: 0.7 } } }, now), now, 'another mask ratio');
  assert.equal(mergeTrials(masked, { ...id, blocks: { mask: { ratio: 0.5 } } }, now).length, 3, 'the same mask ratio');
  const ratioSweep = { ...masked, options: id.options, sweep: { ...earlier.sweep, param: 'mask.ratio' } };
  assert.equal(mergeTrials(ratioSweep, { ...id, param: 'mask.ratio', blocks: { mask: { ratio: 0.9 } } }, now).length, 3, 'the swept setting itself aside');
});

test('sweepHistory keeps a sweep of another option on record, and nothing when the sweep extends the last one', () => {
  const id = { method: 'cufg', by: 'avg-gap', param: 'normalization', protocol: 'p', reference: { UA: 1, RA: 2, TA: 3, MIA: 4 }, options: { lr: 0.001, normalization: 'reference' } };
  const lrSweep = { by: 'avg-gap', param: 'lr', reference: id.reference, trials: [{ value: 0.001, avgGap: 4.6 }] };
  const earlier = { method: 'cufg', protocol: 'p', options: { lr: 0.001, normalization: 'reference' }, sweep: lrSweep, history: [{ param: 'tau0' }] };
  assert.deepEqual(sweepHistory(earlier, id), [{ param: 'tau0' }, { ...lrSweep, protocol: 'p', options: earlier.options }]);
  assert.deepEqual(sweepHistory(earlier, { ...id, param: 'lr' }), [{ param: 'tau0' }], 'extending the lr sweep adds no history');
  assert.deepEqual(sweepHistory(null, id), []);
  // categorical values merge and sort too
  const merged = mergeTrials({ ...earlier, options: { lr: 0.001, normalization: 'weighted' }, sweep: { ...lrSweep, param: 'normalization', trials: [{ value: 'weighted', avgGap: 3 }] } }, id, [{ value: 'reference', avgGap: 4 }]);
  assert.deepEqual(merged.map((t) => t.value), ['reference', 'weighted']);
});

test('gridEdge: the winner at either end of a numeric grid, nothing when it is bracketed or the grid is categorical', () => {
  assert.equal(gridEdge([0.0001, 0.0002], 0.0001), 'lowest');
  assert.equal(gridEdge([0.0006, 0.002], 0.002), 'highest');
  assert.equal(gridEdge([0.0006, 0.002, 0.004], 0.002), null);
  assert.equal(gridEdge([0.004, 0.0006, 0.002], 0.004), 'highest', 'by value, not by the order tried');
  assert.equal(gridEdge([0.002], 0.002), null, 'one point has no sides');
  assert.equal(gridEdge(['reference', 'weighted'], 'weighted'), null);
});

test('parseValues: numbers for numeric options, strings for categorical ones, clear errors', () => {
  assert.deepEqual(parseValues('0.3, 0.45,0.6', 0.45), [0.3, 0.45, 0.6]);
  assert.deepEqual(parseValues('reference,weighted', 'reference'), ['reference', 'weighted']);
  assert.throws(() => parseValues('0.3,x', 0.45), /--values: 'x' is not a number/);
  assert.throws(() => parseValues('a,,b', 'a'), /comma-separated list/);
  assert.throws(() => parseValues('a,a', 'a'), /repeats a value/);
  // a switch (bnLeak) takes booleans, which the method's check accepts; strings 'true' and 'false' it refuses
  assert.deepEqual(parseValues('false, true', false), [false, true]);
  assert.deepEqual(parseValues('true,false', undefined), [true, false]);
  assert.throws(() => parseValues('false,yes', false), /'yes' is neither true nor false, and the option is a switch/);
});

test('logGrid: log-spaced, three significant digits, the geometric midpoint for one point', () => {
  assert.deepEqual(logGrid(1e-3, 1e-1, 3), [0.001, 0.01, 0.1]);
  assert.deepEqual(logGrid(3e-3, 3e-2, 3), [0.003, 0.00949, 0.03]);
  assert.deepEqual(logGrid(1e-2, 1e-1, 1), [0.0316]);
});

test('sweep tunes IU by alpha, and a class-wise sweep writes recipes/class-wise/<method>.json', async () => {
  const r = await runCli(['sweep', '--method', 'iu', ...MODEL, '--forget', 'class:1', '--range', '0.5:5', '--points', '2', '--recipes-dir', 'recipes2', '--json'], dir);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as SweepJson;
  assert.equal(doc.sweep.param, 'alpha');
  assert.deepEqual(doc.sweep.trials.map((t) => t.value), [0.5, 5]);
  assert.equal(doc.recipeFile, join(dir, 'recipes2', 'class-wise', 'iu.json'));
  assert.ok(!existsSync(join(dir, 'recipes2', 'iu.json')), 'the random-forgetting recipe is untouched');
  // class-wise retrain's UA is 100: the forgotten class is never predicted
  assert.equal(doc.sweep.reference['UA'], 100);
});

test('sweep rejects an unknown option, a mismatched range flag and a recipe value without a default range', async () => {
  const bad = await runCli(['sweep', '--method', 'ft', ...MODEL, '--param', 'nope'], dir);
  assert.equal(bad.code, 2);
  assert.match(errorLine(bad), /--param: 'ft' has no option 'nope' \(its options: .*lr/);
  const mixed = await runCli(['sweep', '--method', 'iu', ...MODEL, '--lr', '1e-3:1e-2'], dir);
  assert.equal(mixed.code, 2);
  assert.match(errorLine(mixed), /--lr is the learning-rate range; to tune 'alpha' give --range FROM:TO/);
  const twice = await runCli(['sweep', '--method', 'ft', ...MODEL, '--values', '0.1,0.2', '--lr', '1e-3:1e-2'], dir);
  assert.equal(twice.code, 2);
  assert.match(errorLine(twice), /give the grid once: .*got --values and --lr/);
  const categorical = await runCli(['sweep', '--method', 'rl', ...MODEL, '--param', 'labels'], dir, { LETHE_RECIPES: join(dir, 'no-recipes') });
  assert.equal(categorical.code, 2);
  assert.match(errorLine(categorical), /'labels' is not numeric \("uniform"\); give its candidates with --values a,b/);
  // the recipe the sweep would update is read before any run: a broken one stops it at once, naming the file
  mkdirSync(join(dir, 'broken'), { recursive: true });
  writeFileSync(join(dir, 'broken', 'ft.json'), '{ "method": "ft", ');
  const broken = await runCli(['sweep', '--method', 'ft', ...MODEL, '--lr', '1e-3:1e-2', '--points', '1', '--recipes-dir', 'broken'], dir);
  assert.equal(broken.code, 2);
  assert.match(errorLine(broken), /sweep: the recipe to update: '.*broken\/ft\.json' is not valid JSON/);
  assert.doesNotMatch(broken.stderr, /ft: lr/, 'no trial ran');
  const zero = await runCli(['sweep', '--method', 'iu', ...MODEL, '--param', 'lr'], dir);
  assert.equal(zero.code, 2);
  assert.match(errorLine(zero), /'iu' has lr = 0 in its recipe.*give --range FROM:TO/);
  const fixedTwice = await runCli(['sweep', '--method', 'ga', ...MODEL, '--values', '0.01', '--opt', 'lr=0.1'], dir);
  assert.equal(fixedTwice.code, 2);
  assert.match(errorLine(fixedTwice), /--opt: 'lr' is the option this sweep tunes; give its candidates with --values or --range/);
  const unknownOpt = await runCli(['sweep', '--method', 'ga', ...MODEL, '--values', '0.01', '--opt', 'bnLeak=true'], dir);
  assert.equal(unknownOpt.code, 2);
  assert.match(errorLine(unknownOpt), /--opt: method 'ga' has no option 'bnLeak'; its options are .*epochs/);
});

test('a sweep of another option reuses the same run from a sibling sweep folder and copies it under its own name', async () => {
  const lr = await runCli(['sweep', '--method', 'ga', ...MODEL, '--values', '0.003', '--no-write', '--out', 'family/ga', '--json'], dir);
  assert.equal(lr.code, 0, lr.stderr);
  // epochs 5 is GA's default, so with lr fixed at 0.003 this is the run the lr sweep made
  const epochs = await runCli(['sweep', '--method', 'ga', ...MODEL, '--param', 'epochs', '--values', '5', '--opt', 'lr=0.003', '--no-write', '--out', 'family/ga-epochs', '--json'], dir);
  assert.equal(epochs.code, 0, epochs.stderr);
  assert.match(epochs.stderr, /done before, skipping \(.*family\/ga\/trials\/ga-lr=0\.003-seed1-[0-9a-f]{16}\.json\)/);
  const copied = readdirSync(join(dir, 'family', 'ga-epochs', 'trials'));
  assert.equal(copied.length, 1);
  assert.match(copied[0]!, /^ga-epochs=5-seed1-[0-9a-f]{16}\.json$/);
  const gap = (r: { stdout: string }): number => (JSON.parse(r.stdout) as SweepJson).sweep.trials[0]!.avgGap;
  assert.equal(gap(epochs), gap(lr));
  // a folder elsewhere finds it in the run store (the cache), and --fresh runs it again, to the same result
  const elsewhere = await runCli(['sweep', '--method', 'ga', ...MODEL, '--values', '0.003', '--no-write', '--out', 'apart/ga', '--json'], dir);
  assert.equal(elsewhere.code, 0, elsewhere.stderr);
  assert.match(elsewhere.stderr, /done before, skipping \(the run store \([0-9a-f]{16}\)\)/);
  assert.equal(readdirSync(join(dir, 'apart', 'ga', 'trials')).length, 1, 'copied under this sweep\'s name');
  const rerun = await runCli(['sweep', '--method', 'ga', ...MODEL, '--values', '0.003', '--no-write', '--out', 'apart/ga', '--fresh', '--json'], dir);
  assert.equal(rerun.code, 0, rerun.stderr);
  assert.doesNotMatch(rerun.stderr, /done before/);
  assert.equal(gap(rerun), gap(lr), 'the rerun reproduces the reused result');
  // and bench, with a recipe at that lr, reuses the sweep's run instead of making it again
  mkdirSync(join(dir, 'recipes-store'), { recursive: true });
  writeFileSync(join(dir, 'recipes-store', 'ga.json'), JSON.stringify({ method: 'ga', tuned: true, options: { ...recipeForMethod('ga', 'random:0.1').options, lr: 0.003 } }));
  const bench = await runCli(['bench', ...MODEL, '--methods', 'ga', '--seeds', '1', '--out', 'bench-store', '--json'], dir, { LETHE_RECIPES: join(dir, 'recipes-store') });
  assert.equal(bench.code, 0, bench.stderr);
  assert.match(bench.stderr, /ga \(seed 1\): the same run is in the run store/);
  const row = (JSON.parse(bench.stdout) as { rows: { method: string; avgGap: { mean: number } }[] }).rows.find((r) => r.method === 'ga')!;
  assert.equal(row.avgGap.mean, gap(lr));
});

test('sweep --opt fixes another option for every trial and in the written recipe', async () => {
  const args = ['sweep', '--method', 'ga', ...MODEL, '--values', '0.003', '--recipes-dir', 'recipes-opt', '--json'];
  const plain = await runCli(args, dir);
  assert.equal(plain.code, 0, plain.stderr);
  const fixed = await runCli([...args, '--opt', 'epochs=1', '--opt', '{"batchSize":16}'], dir);
  assert.equal(fixed.code, 0, fixed.stderr);
  assert.doesNotMatch(fixed.stderr, /done before, skipping/, 'other options make other trials, not reused ones');
  const a = JSON.parse(plain.stdout) as SweepJson;
  const b = JSON.parse(fixed.stdout) as SweepJson;
  assert.equal(a.options['epochs'], 5);
  assert.deepEqual([b.options['epochs'], b.options['batchSize'], b.options['lr']], [1, 16, 0.003]);
  assert.notEqual(a.sweep.trials[0]!.avgGap, b.sweep.trials[0]!.avgGap);
  const written = JSON.parse(readFileSync(join(dir, 'recipes-opt', 'ga.json'), 'utf8')) as SweepJson & { source: string };
  assert.equal(written.options['epochs'], 1);
  assert.equal(written.source, 'lethe sweep --by avg-gap over lr 0.003 with --opt epochs=1 --opt batchSize=16', 'the recipe names what the sweep fixed');
  // the folder's sweep.json says what its trials shared, so a sweep run with --no-write keeps its --opt on record
  const record = JSON.parse(readFileSync(join(dir, 'cache', 'sweeps', 'ga', 'sweep.json'), 'utf8')) as { forget: string; param: string; options: Record<string, unknown> };
  assert.deepEqual([record.forget, record.param, record.options['epochs'], record.options['batchSize']], ['random:0.1', 'lr', 1, 16]);
  assert.ok(!('lr' in record.options), 'the swept option is each trial\'s, not a shared setting');
});

test('sharedSettings: the options and blocks every trial shares, less the swept one', () => {
  const base = { options: { lr: 0.01, epochs: 3 }, blocks: { mask: { ratio: 0.5, mode: 'grad' as const } } };
  assert.deepEqual(sharedSettings(base, readTarget('lr', 'salun', base)), { options: { epochs: 3 }, blocks: base.blocks });
  assert.deepEqual(sharedSettings(base, readTarget('mask.ratio', 'salun', base)), { options: base.options, blocks: { mask: { mode: 'grad' } } });
  assert.deepEqual(base.blocks.mask, { ratio: 0.5, mode: 'grad' }, 'the recipe is not modified');
});

test('recipes: class:K uses recipes/class-wise/<method>.json when present, else the random-forgetting recipe', () => {
  const recipes = join(dir, 'recipes3');
  mkdirSync(join(recipes, 'class-wise'), { recursive: true });
  writeFileSync(join(recipes, 'ga.json'), JSON.stringify({ method: 'ga', options: { lr: 1e-4 }, tuned: true }));
  writeFileSync(join(recipes, 'class-wise', 'ga.json'), JSON.stringify({ method: 'ga', options: { lr: 7e-4 }, tuned: true }));
  const before = process.env['LETHE_RECIPES'];
  process.env['LETHE_RECIPES'] = recipes;
  try {
    assert.equal(recipeScenario('class:3,7'), 'class-wise');
    assert.equal(recipeScenario('random:0.1'), 'random');
    assert.equal(recipeScenario('indices:f.json'), 'random');
    assert.equal(recipeForMethod('ga', 'class:3').options['lr'], 7e-4);
    assert.equal(recipeForMethod('ga', 'random:0.1').options['lr'], 1e-4);
    assert.equal(recipeForMethod('ga').options['lr'], 1e-4);
    // no recipe file at all: the method's reference defaults, untuned
    const ft = recipeForMethod('ft', 'class:3');
    assert.equal(ft.tuned, false);
    assert.equal(ft.file, null);
  } finally {
    if (before === undefined) delete process.env['LETHE_RECIPES'];
    else process.env['LETHE_RECIPES'] = before;
  }
});

test('a block setting is tuned as BLOCK.KEY: salun over mask.ratio writes the winner into the recipe\'s blocks', async () => {
  const r = await runCli(['sweep', '--method', 'salun', ...MODEL, '--param', 'mask.ratio', '--values', '0.2,0.8', '--recipes-dir', 'recipes-mask', '--json'], dir);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as SweepJson & { blocks: { mask: { ratio: number } } };
  assert.equal(doc.sweep.param, 'mask.ratio');
  assert.deepEqual(doc.sweep.trials.map((t) => t.value), [0.2, 0.8]);
  const best = doc.sweep.trials.reduce((a, b) => (b.avgGap < a.avgGap ? b : a));
  assert.equal(doc.blocks.mask.ratio, best.value, 'the winning ratio is the recipe\'s mask ratio');
  assert.equal(doc.options['lr'], recipeForMethod('salun').options['lr'], 'the options are the recipe\'s, untouched');
  // the two ratios are two different runs (different masks), not one run scored twice
  assert.notDeepEqual(doc.sweep.trials[0], { ...doc.sweep.trials[1], value: 0.2, 'mask.ratio': 0.2 });
  assert.equal(readdirSync(join(dir, 'cache', 'sweeps', 'salun', 'trials')).filter((f) => f.startsWith('salun-mask.ratio=')).length, 2);
  // bench's run of the recipe, blocks included, is the sweep's winning run: it comes from the run store
  const bench = await runCli(['bench', ...MODEL, '--methods', 'salun', '--seeds', '1', '--out', 'bench-mask'], dir, { LETHE_RECIPES: join(dir, 'recipes-mask') });
  assert.equal(bench.code, 0, bench.stderr);
  assert.match(bench.stderr, /salun \(seed 1\): the same run is in the run store/);
  const runFile = readdirSync(join(dir, 'bench-mask', 'runs')).find((f) => f.startsWith('salun-'))!;
  const record = JSON.parse(readFileSync(join(dir, 'bench-mask', 'runs', runFile), 'utf8')) as { blocks: { mask: { ratio: number } }; avgGap: number; recipe: { tuned: boolean } };
  assert.ok(Math.abs(record.blocks.mask.ratio - best.value) < 1e-3, 'the record keeps the mask\'s realised share'); // floor(ratio·N) of N
  assert.equal(record.avgGap, best.avgGap);
  assert.equal(record.recipe.tuned, true);
  // with the store emptied, bench runs the recipe with its blocks, says so, and lands on the same result
  rmSync(join(dir, 'cache', 'runs'), { recursive: true, force: true });
  const again = await runCli(['bench', ...MODEL, '--methods', 'salun', '--seeds', '1', '--out', 'bench-mask2'], dir, { LETHE_RECIPES: join(dir, 'recipes-mask') });
  assert.equal(again.code, 0, again.stderr);
  assert.ok(again.stderr.includes(`salun (seed 1): tuned recipe ${JSON.stringify(doc.options)} blocks {"mask":{"ratio":${best.value}}}`), again.stderr);
  const rerun = JSON.parse(readFileSync(join(dir, 'bench-mask2', 'results.json'), 'utf8')) as { rows: { method: string; avgGap: { mean: number } }[] };
  assert.equal(rerun.rows.find((r) => r.method === 'salun')!.avgGap.mean, best.avgGap);
});

test('readTarget and withValue: method options, block settings, and the errors that name what to do', () => {
  const base = { options: { lr: 0.01, epochs: 10 }, blocks: { mask: { ratio: 0.5 } } };
  assert.deepEqual(readTarget('lr', 'salun', base), { param: 'lr', block: null, key: 'lr', current: 0.01 });
  assert.deepEqual(readTarget('mask.ratio', 'salun', base), { param: 'mask.ratio', block: 'mask', key: 'ratio', current: 0.5 });
  // a block the method uses by default, with no setting in the recipe: no current value (the grid is given)
  assert.deepEqual(readTarget('mask.ratio', 'salun', { options: {} }), { param: 'mask.ratio', block: 'mask', key: 'ratio', current: undefined });
  assert.deepEqual(withValue(base, readTarget('mask.ratio', 'salun', base), 0.7), { options: base.options, blocks: { mask: { ratio: 0.7 } } });
  assert.deepEqual(withValue(base, readTarget('lr', 'salun', base), 0.1), { options: { lr: 0.1, epochs: 10 }, blocks: base.blocks });
  assert.deepEqual(withValue({ options: {}, blocks: { curriculum: true } }, readTarget('curriculum.stages', 'ga', { options: {}, blocks: { curriculum: true } }), 4), { options: {}, blocks: { curriculum: { stages: 4 } } });
  assert.equal(base.blocks.mask.ratio, 0.5, 'the recipe is not modified');
  assert.throws(() => readTarget('mask.ratio', 'ga', { options: {} }), /'ga' runs without the mask block; enable it in the recipe's "blocks"/);
  assert.throws(() => readTarget('mask.ratio', 'salun', { options: {}, blocks: { mask: false } }), /'salun' runs without the mask block/);
  assert.throws(() => readTarget('mask.nope', 'salun', base), /the mask block has no setting 'nope' \(its settings: ratio, mode\)/);
  assert.throws(() => readTarget('toString.x', 'salun', base), /'toString' is not a block/);
  assert.throws(() => readTarget('nope', 'salun', base), /'salun' has no option 'nope'.*BLOCK\.KEY/);
  assert.deepEqual(parseValues('0.3,0.5', undefined), [0.3, 0.5], 'an unset block setting: numbers when every item is one');
  assert.deepEqual(parseValues('update,grad', undefined), ['update', 'grad']);
});

test('a sweep that replaces a recipe tuned under another protocol says so', async () => {
  mkdirSync(join(dir, 'shipped'), { recursive: true });
  writeFileSync(join(dir, 'shipped', 'ga.json'), JSON.stringify({ method: 'ga', tuned: true, protocol: 'fmnist resnet20 random:0.1, original/retrain 20 epochs, seed 1', options: { lr: 0.001 } }));
  const r = await runCli(['sweep', '--method', 'ga', ...MODEL, '--values', '0.001', '--recipes-dir', 'shipped'], dir);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /note: .*shipped\/ga\.json was tuned under 'fmnist resnet20 random:0\.1, original\/retrain 20 epochs, seed 1'; it now holds this sweep's winner under 'fmnist mlp random:0\.1 train-size 1200/);
  const again = await runCli(['sweep', '--method', 'ga', ...MODEL, '--values', '0.001', '--recipes-dir', 'shipped'], dir);
  assert.doesNotMatch(again.stderr, /note: .*was tuned under/, 'the same protocol extends the recipe quietly');
});

test('a sweep checks every value before it trains anything', async () => {
  const d = tempDir('lethe-sweep-check-');
  const r = await runCli(['sweep', '--method', 'ga', ...MODEL, '--values', '-1,0.001', '--no-write'], d);
  assert.equal(r.code, 2);
  assert.match(errorLine(r), /--values: lr -1: ga: lr must be positive, got -1/);
  assert.ok(!existsSync(join(d, 'cache', 'models')), 'no model was trained');
  const c = await runCli(['sweep', '--method', 'cufg', ...MODEL, '--param', 'normalization', '--values', 'reference,bogus', '--no-write'], d);
  assert.equal(c.code, 2);
  assert.match(errorLine(c), /normalization bogus: cufg: normalization must be 'reference' or 'weighted'/);
});

test('seedsDescription names the seeds once when their sets differ only in the seed, and each seed otherwise', () => {
  const random = (seed: number): string => `val 10% per class (6000); forget: random 10% = 5400 of 54000 training samples (seed ${seed})`;
  assert.equal(seedsDescription([random(1), random(2), random(3)], [1, 2, 3]), 'val 10% per class (6000); forget: random 10% = 5400 of 54000 training samples (seeds 1,2,3)');
  assert.equal(seedsDescription([random(4)], [4]), random(4));
  const cls = 'val 10% per class (6000); forget: class 1 = 5400; test without class(es) 1: 9000';
  assert.equal(seedsDescription([cls, cls], [1, 2]), cls);
  assert.equal(seedsDescription(['train 1080', 'train 1079'], [1, 2]), 'seed 1: train 1080; seed 2: train 1079');
});
