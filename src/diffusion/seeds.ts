// The generative benchmark over several DDPM seeds: one results document per seed (bench/diffusion/run.ts --seed N,
// each run in its own directory) combined into mean ± sample std per model. The documents must agree on what makes
// their numbers comparable — the forgotten class, the evaluation classifier and the sampler — or the combination is
// refused, naming the document and the field. A model missing from some seeds keeps the seeds it has, and the table
// says how many.
import { meanStd } from '../eval/gap.js';
import { cellNumber, markdownRow, summaryLines, type DiffusionResultsDoc, type DiffusionSampling } from './results.js';

/** A mean and sample standard deviation over seeds (std 0 for one seed; NaN when a value is missing). */
export interface SeedSpread {
  /** The mean over the seeds. */
  mean: number;
  /** The sample standard deviation (n − 1), as the papers report "mean ± std". */
  std: number;
}

/** One model over the seeds that ran it. */
export interface DiffusionSeedRow {
  /** 'original', 'retrain' or the unlearning method */
  model: string;
  /** The seeds (in the order the documents were given) whose document has this model. */
  seeds: number[];
  /** UA %, mean ± std over those seeds. */
  ua: SeedSpread;
  /** Accuracy on the remaining classes %, mean ± std. */
  remainingAccuracy: SeedSpread;
  /** Classifier-feature Fréchet distance, mean ± std. */
  frechet: SeedSpread;
}

/** Several seeds' results documents of one benchmark setting, combined. */
export interface DiffusionSeedsSummary {
  /** The first document: the class, classifier and sampler every document shares. */
  setting: DiffusionResultsDoc;
  /** Each document's seed, in the order given. */
  seeds: number[];
  /** One row per model, in order of first appearance. */
  rows: DiffusionSeedRow[];
}

/**
 * A document's DDPM seed: `config.seed` as run.ts records it. A document without one was written before run.ts had
 * --seed, when every stage ran with seed 0.
 */
export function documentSeed(doc: DiffusionResultsDoc, where: string): number {
  const raw = doc.config['seed'];
  if (raw === undefined) return 0;
  const seed = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  if (typeof seed !== 'number' || !Number.isInteger(seed)) throw new Error(`${where}: config.seed must be an integer, got ${JSON.stringify(raw)}`);
  return seed;
}

const SAMPLING_KEYS: readonly (keyof DiffusionSampling)[] = ['sampler', 'steps', 'eta', 'guidance', 'samplesForget', 'samplesPerClass'];

/**
 * Combines results documents of different DDPM seeds (`where` names each in errors). Throws when there are none, when
 * two have the same seed, or when one differs from the first in the forgotten class, the classes, the evaluation
 * classifier's accuracy (another judge) or a sampling setting.
 */
export function combineDiffusionSeeds(docs: readonly { doc: DiffusionResultsDoc; where: string }[]): DiffusionSeedsSummary {
  const first = docs[0];
  if (first === undefined) throw new RangeError('combineDiffusionSeeds: no results documents given');
  for (const { doc, where } of docs.slice(1)) {
    const differs = (what: string, mine: unknown, theirs: unknown, fix: string): never => {
      throw new Error(`${where}: ${what} is ${JSON.stringify(mine)}, ${first.where}'s is ${JSON.stringify(theirs)}; ${fix}`);
    };
    const same = 'combine only runs of one setting';
    if (doc.forgetClass !== first.doc.forgetClass) differs('the forgotten class', doc.forgetClass, first.doc.forgetClass, same);
    if (doc.classNames.join('\n') !== first.doc.classNames.join('\n')) differs('the class list', doc.classNames, first.doc.classNames, same);
    if (doc.classifierAccuracy !== first.doc.classifierAccuracy) {
      differs('the evaluation classifier\u2019s accuracy', doc.classifierAccuracy, first.doc.classifierAccuracy, 'every seed must be scored by the same classifier (copy one classifier/ directory into each run before run.js evaluates)');
    }
    for (const k of SAMPLING_KEYS) if (doc.sampling[k] !== first.doc.sampling[k]) differs(`sampling.${k}`, doc.sampling[k], first.doc.sampling[k], same);
  }
  const seeds = docs.map(({ doc, where }) => documentSeed(doc, where));
  const repeated = seeds.findIndex((s, i) => seeds.indexOf(s) !== i);
  if (repeated >= 0) throw new Error(`${docs[repeated]!.where}: seed ${seeds[repeated]} is also ${docs[seeds.indexOf(seeds[repeated]!)]!.where}'s; give each seed's results once`);
  const models = [...new Set(docs.flatMap(({ doc }) => doc.rows.map((r) => r.model)))];
  const rows = models.map((model) => {
    const hits = docs.flatMap(({ doc }, i) => doc.rows.filter((r) => r.model === model).map((r) => ({ r, seed: seeds[i]! })));
    const spread = (pick: (r: (typeof hits)[number]['r']) => number): SeedSpread => meanStd(hits.map((h) => pick(h.r)));
    return { model, seeds: hits.map((h) => h.seed), ua: spread((r) => r.ua), remainingAccuracy: spread((r) => r.remainingAccuracy), frechet: spread((r) => r.frechet) };
  });
  return { setting: first.doc, seeds, rows };
}

const cell = (m: SeedSpread, digits: number): string => (Number.isFinite(m.mean) ? `${cellNumber(m.mean, digits)} ± ${cellNumber(m.std, digits)}` : '–');

/** The combined table as Markdown: the shared setting, the seeds, one row per model. */
export function diffusionSeedsMarkdown(s: DiffusionSeedsSummary): string {
  const header = ['model', 'seeds', 'UA %', 'acc. on remaining classes %', 'FD (remaining classes)'];
  return [
    ...summaryLines(s.setting),
    `Mean ± sample standard deviation over DDPM seeds ${s.seeds.join(', ')} (each seed: its own DDPM, retrain reference, unlearning runs and sampling; the same evaluation classifier).`,
    '',
    markdownRow(header),
    `|---|---|${new Array<string>(header.length - 2).fill('---:').join('|')}|`,
    ...s.rows.map((r) => markdownRow([r.model, r.seeds.length === s.seeds.length ? String(r.seeds.length) : `${r.seeds.length} (${r.seeds.join(', ')})`, cell(r.ua, 1), cell(r.remainingAccuracy, 1), cell(r.frechet, 1)])),
    '',
  ].join('\n');
}
