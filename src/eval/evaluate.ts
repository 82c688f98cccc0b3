// The evaluation protocol of the SalUn / SEMU / CUFG papers: UA, RA, TA, MIA-efficacy (+ the other MIA views),
// per-class test accuracy, and Avg.Gap to a retrained model when one is given.
import type { Module } from '../nn/module.js';
import type { TensorDataset } from '../data/dataset.js';
import { perClassAccuracy, runSteps, runStepsAsync, splitSteps } from './outputs.js';
import { miaEfficacy, MIA_DEFINITIONS, MIA_FEATURES, type MiaFeature } from './mia.js';
import { avgGap, HEADLINE_DEFINITIONS, type HeadlineMetrics } from './gap.js';

/** The three data sets evaluateUnlearning scores a model on. */
export interface EvaluationSets {
  /** D_f */
  forget: TensorDataset;
  /** D_r */
  retain: TensorDataset;
  /** the test set, with forgotten classes already removed in class-wise runs */
  test: TensorDataset;
}

/** What evaluateUnlearning returns: the headline metrics (percent) and the rest of the evaluation. */
export interface EvaluationReport extends HeadlineMetrics {
  /** every MIA feature view (×100) */
  miaViews: Record<MiaFeature, number>;
  /** test accuracy per class (NaN where a class has no test sample) */
  perClassTest: number[];
  /** Avg.Gap to the reference (retrain) metrics, when given */
  avgGap?: number;
  /** conditions that make a number unreliable (e.g. an MIA with fewer members than non-members) */
  warnings: string[];
  /** Samples in each set. */
  sizes: { forget: number; retain: number; test: number };
  /** What each metric means, by name ('UA', 'MIA.entropy', …), for reports. */
  definitions: Record<string, string>;
}

/** Options of evaluateUnlearning. */
export interface EvaluateOptions {
  /** retrain's metrics, for Avg.Gap */
  reference?: HeadlineMetrics;
  /** compute every MIA view (default true); false computes only 'confidence' */
  allMiaViews?: boolean;
  /** images per forward pass (default 512; it changes no metric, only memory and speed) */
  batchSize?: number;
}

/**
 * The papers' evaluation of an unlearned model: UA = 100 − accuracy on D_f, RA on D_r, TA on the test set, and
 * MIA-efficacy (an RBF SVC on true-class confidence, members = the first |test| retain samples, non-members = the
 * test set; the share of D_f predicted non-member), with the other MIA feature views, per-class test accuracy,
 * and Avg.Gap when retrain's metrics are given as `reference`. Each definition is in the report's `definitions`.
 * The model's train/eval mode is restored afterwards; nothing is modified.
 */
export function evaluateUnlearning(model: Module, sets: EvaluationSets, o: EvaluateOptions = {}): EvaluationReport {
  return runSteps(evaluationSteps(model, sets, o));
}

/**
 * evaluateUnlearning, yielding to the event loop between batches so that a signal (Ctrl-C) is seen: with `signal`
 * aborted it rejects with the signal's reason after the current batch (the MIA's SVC fits, seconds each, are not
 * interrupted), the model's mode restored.
 */
export function evaluateUnlearningAsync(model: Module, sets: EvaluationSets, o: EvaluateOptions & { signal?: AbortSignal } = {}): Promise<EvaluationReport> {
  return runStepsAsync(evaluationSteps(model, sets, o), o.signal);
}

/** The evaluation as steps, one per batch (see splitSteps). */
function* evaluationSteps(model: Module, sets: EvaluationSets, o: EvaluateOptions): Generator<void, EvaluationReport> {
  model.checkLive('evaluateUnlearning');
  const bs = o.batchSize ?? 512;
  const numClasses = sets.test.numClasses;
  const forget = yield* splitSteps(model, sets.forget, { batchSize: bs }, 'evaluateUnlearning');
  const retain = yield* splitSteps(model, sets.retain, { batchSize: bs }, 'evaluateUnlearning');
  const test = yield* splitSteps(model, sets.test, { batchSize: bs }, 'evaluateUnlearning');
  const miaInputs = { retain, test, forget };
  const views = (o.allMiaViews ?? true) ? MIA_FEATURES : (['confidence'] as const);
  const miaViews = Object.fromEntries(MIA_FEATURES.map((f) => [f, NaN])) as Record<MiaFeature, number>;
  for (const f of views) miaViews[f] = miaEfficacy(miaInputs, f);
  const report: EvaluationReport = {
    UA: 100 - forget.accuracy,
    RA: retain.accuracy,
    TA: test.accuracy,
    MIA: miaViews.confidence,
    miaViews,
    perClassTest: perClassAccuracy(test, numClasses),
    sizes: { forget: sets.forget.size, retain: sets.retain.size, test: sets.test.size },
    warnings:
      sets.retain.size < sets.test.size
        ? [
            `MIA: the attack trains on the first |test| = ${sets.test.size} retain samples as members, but D_r has only ${sets.retain.size}: ` +
              'the SVC sees more non-members than members and leans towards "non-member"; use a smaller test set (--test-size on the command line) or more training data',
          ]
        : [],
    definitions: { ...HEADLINE_DEFINITIONS, ...Object.fromEntries(Object.entries(MIA_DEFINITIONS).map(([k, v]) => [`MIA.${k}`, v])) },
  };
  if (o.reference) report.avgGap = avgGap(report, o.reference);
  return report;
}
