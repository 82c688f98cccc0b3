// The generative-unlearning benchmark's results document (results.json) and its Markdown (results.md): one row per
// model with UA, accuracy on the remaining classes, the classifier-feature Fréchet distance, per-class accuracy,
// what the forgotten class's samples were classified as, the unlearning cost and the file of its sample grid.
// bench/diffusion/run.ts writes it; `lethe report` renders it as HTML. The table cells are built here once, so the
// Markdown and the HTML page cannot disagree.
import { join } from 'node:path';
import { writeBytesAtomic, writeJsonAtomic } from '../io/artifacts.js';
import type { GenerationReport } from './evaluate.js';

/** The `format` tag of a diffusion results.json. */
export const DIFFUSION_RESULTS_FORMAT = 'lethe-diffusion-results';

/** How the evaluated samples were drawn (the same for every row of a results document). */
export interface DiffusionSampling {
  /** 'ddim' or 'ddpm'. */
  sampler: string;
  /** Denoising steps. */
  steps: number;
  /** DDIM η. */
  eta: number;
  /** Classifier-free guidance weight w. */
  guidance: number;
  /** samples generated for the forgotten class */
  samplesForget: number;
  /** samples generated for each remaining class */
  samplesPerClass: number;
}

/** One evaluated model in a results document; accuracies in percent. */
export interface DiffusionResultRow {
  /** 'original' or the unlearning method */
  model: string;
  /** Unlearning accuracy: share of the forgotten class's samples not classified as it (%). */
  ua: number;
  /** Mean accuracy of the classifier on the samples of the other classes (%). */
  remainingAccuracy: number;
  /** Classifier-feature Fréchet distance on the other classes (not Inception FID). */
  frechet: number;
  /** Per class: the classifier's accuracy on the samples generated for it (%). */
  perClassAccuracy: number[];
  /**
   * How the classifier classified the forgotten class's samples: a count per predicted class (what the class turned
   * into); null in a document written before this was recorded.
   */
  forgetPredictions: number[] | null;
  /** unlearning cost; null for the original model, or when the run predates its record */
  seconds: number | null;
  /** Parameters the unlearning trained (mask entries, subspace core entries, or all); null as for seconds. */
  trainable: number | null;
  /** The model's parameter count; null as for seconds. */
  total: number | null;
  /** the sample grid's file name, relative to the results directory */
  grid: string | null;
}

/**
 * The generative-unlearning benchmark's results.json: one row per model, all with the same forgotten class and sampler.
 */
export interface DiffusionResultsDoc {
  /** Identifies the document (DIFFUSION_RESULTS_FORMAT). */
  format: typeof DIFFUSION_RESULTS_FORMAT;
  /** The document format's version. */
  formatVersion: 1;
  /** The forgotten class. */
  forgetClass: number;
  /** The dataset's class names, in label order. */
  classNames: string[];
  /** the evaluation classifier's accuracy on the real test set, % */
  classifierAccuracy: number;
  /** How the samples were drawn. */
  sampling: DiffusionSampling;
  /** One row per evaluated model, in the order given to diffusionResults. */
  rows: DiffusionResultRow[];
  /** The metrics' definitions (DIFFUSION_DEFINITIONS), printed with the tables. */
  definitions: string[];
  /** what produced the results (the benchmark's arguments), shown verbatim by the report */
  config: Record<string, unknown>;
}

/** The definitions of the diffusion results' metrics (UA, remaining accuracy, FD, cost), one sentence each. */
export const DIFFUSION_DEFINITIONS: readonly string[] = [
  'UA = share of the samples generated for the forgotten class that the evaluation classifier does not classify as that class (%).',
  'Accuracy on remaining classes = mean over the other classes of the share of the samples generated for a class that the classifier assigns to it (%); the per-class table gives each class.',
  "FD = Fréchet distance on the evaluation classifier's 128-d penultimate features, generated samples of the remaining classes against real test images of the remaining classes. NOT Inception FID: comparable only within Lethe.",
  "Forgotten class's samples, classified as = how many of the samples generated for the forgotten class the evaluation classifier assigns to each class (what the class turned into).",
  'Unlearning time = wall-clock seconds of the unlearning run; trainable = the parameters it trained (mask entries, subspace core entries, or all) / all parameters.',
];

/** What an unlearning run cost (DiffusionUnlearnResult's seconds, trainable and totalParameters). */
export interface UnlearningCost {
  /** Wall-clock seconds of the unlearning run. */
  seconds: number;
  /** Parameters it trained (mask entries, subspace core entries, or all). */
  trainable: number;
  /** The model's parameter count. */
  total: number;
}

/** The part of a GenerationReport the results keep (forgetPredictions: missing or null in an older record). */
export type ReportSummary = Pick<GenerationReport, 'forgetClass' | 'ua' | 'remainingAccuracy' | 'frechet' | 'perClassAccuracy' | 'samples' | 'sampler'> & {
  forgetPredictions?: number[] | null;
};

/** One model's evaluation, as diffusionResults takes it. */
export interface EvaluatedModel {
  /** The row's name: 'original' or the unlearning method. */
  model: string;
  /** The evaluateGenerator report (the fields the results keep). */
  report: ReportSummary;
  /** The unlearning run's cost; null for the original model. */
  cost: UnlearningCost | null;
  /** The sample grid's file name, relative to the results directory, if one was drawn. */
  grid: string | null;
}

/** The document, from every model's evaluation (all of them made with the same forgotten class and sampler). */
export function diffusionResults(o: {
  classNames: readonly string[];
  classifierAccuracy: number;
  models: EvaluatedModel[];
  config?: Record<string, unknown>;
}): DiffusionResultsDoc {
  const first = o.models[0];
  if (first === undefined) throw new Error('diffusionResults: no evaluated models');
  const odd = o.models.find((m) => m.report.forgetClass !== first.report.forgetClass);
  // rows of different forgotten classes in one table would be meaningless
  if (odd) throw new Error(`diffusionResults: '${odd.model}' forgot class ${odd.report.forgetClass}, '${first.model}' class ${first.report.forgetClass}`);
  const s = first.report.sampler;
  return {
    format: DIFFUSION_RESULTS_FORMAT,
    formatVersion: 1,
    forgetClass: first.report.forgetClass,
    classNames: [...o.classNames],
    classifierAccuracy: o.classifierAccuracy,
    sampling: { sampler: s.sampler, steps: s.steps, eta: s.eta, guidance: s.guidance, samplesForget: first.report.samples.forget, samplesPerClass: first.report.samples.perRemainingClass },
    rows: o.models.map(({ model, report: r, cost, grid }) => ({
      model,
      ua: r.ua,
      remainingAccuracy: r.remainingAccuracy,
      frechet: r.frechet,
      perClassAccuracy: [...r.perClassAccuracy],
      forgetPredictions: r.forgetPredictions ? [...r.forgetPredictions] : null,
      seconds: cost?.seconds ?? null,
      trainable: cost?.trainable ?? null,
      total: cost?.total ?? null,
      grid,
    })),
    definitions: [...DIFFUSION_DEFINITIONS],
    config: o.config ?? {},
  };
}

/** A table cell's number, '–' for what is missing (JSON turns NaN into null, and costs are null for the original model). */
export const cellNumber = (x: number | null, digits: number): string => (x !== null && Number.isFinite(x) ? x.toFixed(digits) : '–');

/** One Markdown table row, with any '|' in a cell escaped. */
export const markdownRow = (cells: readonly string[]): string => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;

export const MAIN_HEADER: readonly string[] = [
  'model',
  'UA % (forgotten class not recognised)',
  'acc. on remaining classes %',
  'FD (remaining classes)',
  'unlearning time s',
  'trainable',
];

export function mainRows(doc: DiffusionResultsDoc): string[][] {
  return doc.rows.map((r) => [
    r.model,
    cellNumber(r.ua, 1),
    cellNumber(r.remainingAccuracy, 1),
    cellNumber(r.frechet, 2),
    cellNumber(r.seconds, 0),
    r.trainable !== null && r.total !== null ? `${r.trainable} / ${r.total}` : '–',
  ]);
}

export function perClassHeader(doc: DiffusionResultsDoc): string[] {
  return ['model', ...doc.classNames.map((c, i) => `${i} ${c}`)];
}

export function perClassRows(doc: DiffusionResultsDoc): string[][] {
  return doc.rows.map((r) => [r.model, ...r.perClassAccuracy.map((v) => cellNumber(v, 0))]);
}

/** The caption of the forgotten-class table. */
export function forgetPredictionsCaption(doc: DiffusionResultsDoc): string {
  return `The ${doc.sampling.samplesForget} samples of the forgotten class (${doc.forgetClass} ${doc.classNames[doc.forgetClass] ?? '?'}), classified as:`;
}

/** One row per model whose record has them (none for an older document): counts per predicted class. */
export function forgetPredictionRows(doc: DiffusionResultsDoc): string[][] {
  return doc.rows.flatMap((r) => (r.forgetPredictions === null ? [] : [[r.model, ...r.forgetPredictions.map((v) => cellNumber(v, 0))]]));
}

/** The forgotten class, the evaluation classifier and the sampler, one sentence each. */
export function summaryLines(doc: DiffusionResultsDoc): string[] {
  const s = doc.sampling;
  return [
    `Forgotten class: ${doc.forgetClass} (${doc.classNames[doc.forgetClass] ?? '?'}). Evaluation classifier: smallcnn, ${cellNumber(doc.classifierAccuracy, 2)}% test accuracy.`,
    // DDPM has no eta: its posterior variance is what DDIM's eta 1 gives over all T steps (the report's eta says 1)
    `Sampler: ${s.sampler.toUpperCase()}, ${s.steps} steps, ${s.sampler === 'ddpm' ? 'posterior variance' : `eta ${s.eta}`}, guidance w = ${s.guidance}; ${s.samplesForget} samples of the forgotten class, ${s.samplesPerClass} per remaining class.`,
  ];
}

/** results.md: the summary, the definitions, the main table, the per-class table and the grids' file names. */
export function diffusionResultsMarkdown(doc: DiffusionResultsDoc): string {
  const rule = (n: number): string => `|---|${new Array<string>(n - 1).fill('---:').join('|')}|`;
  const classes = perClassHeader(doc);
  const grids = doc.rows.flatMap((r) => (r.grid === null ? [] : [r.grid]));
  const predictions = forgetPredictionRows(doc);
  return [
    ...summaryLines(doc),
    ...doc.definitions,
    '',
    markdownRow(MAIN_HEADER),
    rule(MAIN_HEADER.length),
    ...mainRows(doc).map(markdownRow),
    '',
    markdownRow(classes),
    rule(classes.length),
    ...perClassRows(doc).map(markdownRow),
    '',
    ...(predictions.length === 0 ? [] : [forgetPredictionsCaption(doc), '', markdownRow(classes), rule(classes.length), ...predictions.map(markdownRow), '']),
    `Grids: ${grids.join(', ')} (one row per class, classes 0–${doc.classNames.length - 1} top to bottom).`,
    '',
  ].join('\n');
}

/** Writes results.json and results.md into `dir`, each atomically (a reader never sees half a file). */
export function writeDiffusionResults(dir: string, doc: DiffusionResultsDoc): void {
  writeJsonAtomic(join(dir, 'results.json'), doc);
  writeBytesAtomic(join(dir, 'results.md'), Buffer.from(diffusionResultsMarkdown(doc), 'utf8'));
}
