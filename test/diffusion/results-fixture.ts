// A hand-made diffusion benchmark output for the results and report tests: three models' evaluations (one with a
// non-finite FD, as JSON turns it into null), the old format-less results.json the benchmark wrote before the
// results document, and tiny sample grids written by the project's own PNG encoder. No training, no sampling.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FASHION_MNIST_CLASSES } from '../../src/data/index.js';
import { diffusionResults, writePng, type DiffusionResultsDoc, type GenerationReport, type RasterImage, type UnlearningCost } from '../../src/diffusion/index.js';

const sampler = { sampler: 'ddim', steps: 20, eta: 0, guidance: 2 };
const samples = { forget: 50, perRemainingClass: 20, realImages: 9000 };

function report(ua: number, remainingAccuracy: number, frechet: number, perClassAccuracy: number[]): GenerationReport {
  return {
    forgetClass: 1,
    ua,
    forgetPredictions: [0, 50 - Math.round(ua / 2), Math.round(ua / 2), 0, 0, 0, 0, 0, 0, 0],
    perClassAccuracy,
    remainingAccuracy,
    frechet,
    frechetNote: 'not Inception FID',
    samples,
    sampler,
    seconds: 42,
  };
}

export const REPORTS: Record<string, GenerationReport> = {
  original: report(31.96, 37.24, 447.4, [60, 68.04, 30.4, 25, 40, 33, 10, 55, 41, 30.6]),
  salun: report(98, 36.14, 443.9, [58, 2, 31, 24.5, 41, 35, 9, 52, 44, 30]),
  ga: report(52, 31.7, NaN, [50, 48, 20, 19, 33, 30, 8, 47, 40, 28]),
};

export const RUNS: Record<string, UnlearningCost | null> = {
  original: null,
  salun: { seconds: 83.4, trainable: 343736, total: 687473 },
  ga: { seconds: 35.2, trainable: 687473, total: 687473 },
};

export const ARGS = { out: 'bench/out/diffusion-reduced', preset: 'small', 'train-iterations': '800', 'forget-class': '1', steps: '20', eta: '0', guidance: '2' };

/** The grids, each a different size and kind: 2×2 gray, 3×3 RGB, 3×2 gray. */
export const GRIDS: Record<string, RasterImage> = {
  original: { pixels: Uint8Array.from([0, 255, 128, 7]), width: 2, height: 2, channels: 1 },
  salun: { pixels: Uint8Array.from({ length: 27 }, (_, i) => (i * 37) % 256), width: 3, height: 3, channels: 3 },
  ga: { pixels: Uint8Array.from([9, 8, 7, 6, 5, 4]), width: 3, height: 2, channels: 1 },
};

/** The document the benchmark writes now, for these evaluations. */
export function currentDoc(): DiffusionResultsDoc {
  return diffusionResults({
    classNames: FASHION_MNIST_CLASSES,
    classifierAccuracy: 91.51,
    models: Object.entries(REPORTS).map(([model, r]) => ({ model, report: r, cost: RUNS[model] ?? null, grid: `grid-${model}.png` })),
    config: ARGS,
  });
}

/** What the old bench/diffusion/run.ts wrote for the same evaluations (through JSON: NaN became null). */
export function legacyJson(): unknown {
  return JSON.parse(JSON.stringify({ args: ARGS, classifierAccuracy: 91.51, runs: RUNS, reports: REPORTS }));
}

/** A fresh directory holding the three grids (results.json is up to the test). */
export function gridsDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lethe-diffusion-results-'));
  for (const [model, img] of Object.entries(GRIDS)) writePng(join(dir, `grid-${model}.png`), img);
  return dir;
}
