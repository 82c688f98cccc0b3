// The generative benchmark over several DDPM seeds: mean ± sample std per model against hand-computed values, a
// model missing from one seed, the Markdown table, and the refusals (another class, another judge, another sampler,
// a seed given twice).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { combineDiffusionSeeds, diffusionSeedsMarkdown, documentSeed, type DiffusionResultsDoc } from '../../src/diffusion/index.js';
import { currentDoc } from './results-fixture.js';

/** The fixture's document as seed `seed` wrote it, with its rows' numbers replaced. */
function seedDoc(seed: number | undefined, rows: Record<string, [number, number, number]>): DiffusionResultsDoc {
  const doc = currentDoc();
  doc.config = seed === undefined ? { ...doc.config } : { ...doc.config, seed: String(seed) };
  doc.rows = Object.entries(rows).map(([model, [ua, remainingAccuracy, frechet]]) => ({ ...doc.rows[0]!, model, ua, remainingAccuracy, frechet }));
  return doc;
}

test('seeds: mean and sample std per model, in order of first appearance; a model missing from a seed keeps its seeds', () => {
  const s = combineDiffusionSeeds([
    // written before run.ts had --seed: seed 0
    { doc: seedDoc(undefined, { original: [0, 84, 88], salun: [100, 82, 105] }), where: 'a' },
    { doc: seedDoc(1, { original: [2, 86, 90], salun: [100, 83, 109], esd: [98, 70, 101] }), where: 'b' },
    { doc: seedDoc(2, { original: [1, 85, 86], salun: [100, 81, 107] }), where: 'c' },
  ]);
  assert.deepEqual(s.seeds, [0, 1, 2]);
  assert.deepEqual(
    s.rows.map((r) => r.model),
    ['original', 'salun', 'esd'],
  );
  const [original, salun, esd] = s.rows;
  // original UA 0, 2, 1: mean 1, sample variance ((1 + 1 + 0) / 2) = 1
  assert.deepEqual(original!.ua, { mean: 1, std: 1 });
  assert.deepEqual(original!.remainingAccuracy, { mean: 85, std: 1 });
  // FD 88, 90, 86: mean 88, variance (0 + 4 + 4) / 2 = 4
  assert.deepEqual(original!.frechet, { mean: 88, std: 2 });
  assert.deepEqual(salun!.frechet, { mean: 107, std: 2 });
  assert.deepEqual(salun!.seeds, [0, 1, 2]);
  assert.deepEqual(esd!.seeds, [1]);
  assert.deepEqual(esd!.ua, { mean: 98, std: 0 });

  const md = diffusionSeedsMarkdown(s).split('\n');
  for (const line of [
    'Mean ± sample standard deviation over DDPM seeds 0, 1, 2 (each seed: its own DDPM, retrain reference, unlearning runs and sampling; the same evaluation classifier).',
    '| model | seeds | UA % | acc. on remaining classes % | FD (remaining classes) |',
    '| original | 3 | 1.0 ± 1.0 | 85.0 ± 1.0 | 88.0 ± 2.0 |',
    '| salun | 3 | 100.0 ± 0.0 | 82.0 ± 1.0 | 107.0 ± 2.0 |',
    '| esd | 1 (1) | 98.0 ± 0.0 | 70.0 ± 0.0 | 101.0 ± 0.0 |',
  ]) {
    assert.ok(md.includes(line), `missing line: ${line}\n${md.join('\n')}`);
  }
  // the shared setting heads the table, as in a single seed's results.md
  assert.equal(md[0], 'Forgotten class: 1 (Trouser). Evaluation classifier: smallcnn, 91.51% test accuracy.');
});

test('seeds: a non-finite metric stays visible as a dash, not as a number', () => {
  const s = combineDiffusionSeeds([
    { doc: seedDoc(0, { ga: [52, 31, NaN] }), where: 'a' },
    { doc: seedDoc(1, { ga: [60, 30, 700] }), where: 'b' },
  ]);
  assert.ok(Number.isNaN(s.rows[0]!.frechet.mean));
  assert.ok(diffusionSeedsMarkdown(s).split('\n').includes('| ga | 2 | 56.0 ± 5.7 | 30.5 ± 0.7 | – |'));
});

test('seeds: documents of different settings, or one seed twice, are refused with the document and the field', () => {
  const base = (seed: number) => ({ doc: seedDoc(seed, { original: [0, 84, 88] }), where: `run${seed}` });
  const other = (seed: number, change: (d: DiffusionResultsDoc) => void) => {
    const d = base(seed);
    change(d.doc);
    return d;
  };
  assert.throws(() => combineDiffusionSeeds([]), /no results documents given/);
  assert.throws(() => combineDiffusionSeeds([base(0), other(1, (d) => (d.forgetClass = 7))]), /run1: the forgotten class is 7, run0's is 1; combine only runs of one setting/);
  assert.throws(() => combineDiffusionSeeds([base(0), other(1, (d) => (d.classifierAccuracy = 90))]), /run1: the evaluation classifier’s accuracy is 90, run0's is 91\.51; every seed must be scored by the same classifier/);
  assert.throws(() => combineDiffusionSeeds([base(0), other(1, (d) => (d.sampling = { ...d.sampling, guidance: 0.5 }))]), /run1: sampling\.guidance is 0\.5, run0's is 2/);
  assert.throws(() => combineDiffusionSeeds([base(0), other(1, (d) => (d.classNames = d.classNames.slice(0, 9)))]), /run1: the class list is/);
  assert.throws(() => combineDiffusionSeeds([base(0), base(1), { ...base(1), where: 'again' }]), /again: seed 1 is also run1's; give each seed's results once/);
  // a seed the document cannot have come from
  assert.throws(() => documentSeed(other(0, (d) => (d.config = { seed: 'one' })).doc, 'x'), /x: config\.seed must be an integer, got "one"/);
  assert.equal(documentSeed(other(0, (d) => (d.config = { seed: '3' })).doc, 'x'), 3);
});
