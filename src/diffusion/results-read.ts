// Reads a diffusion benchmark's results.json back: the current document, or the older file bench/diffusion/run.ts
// wrote before the document existed ({ args, classifierAccuracy, runs, reports }, grids as grid-<model>.png beside
// it), converted through the same builder the benchmark uses, so both give the same rows. Parsed JSON is checked
// field by field: a hand-edited or truncated file gets a message naming the field, not a crash in the renderer.
import { FASHION_MNIST_CLASSES } from '../data/datasets.js';
import { diffusionResults, DIFFUSION_RESULTS_FORMAT, type DiffusionResultRow, type DiffusionResultsDoc, type EvaluatedModel, type ReportSummary, type UnlearningCost } from './results.js';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

class Fields {
  constructor(
    private readonly where: string,
    private readonly o: Json,
  ) {}
  private fail(key: string, what: string): never {
    throw new Error(`${this.where}.${key} is not ${what}; rerun the diffusion benchmark to rewrite the results`);
  }
  /** JSON has no NaN: null stands for a number that was not finite */
  number(key: string): number {
    const v = this.o[key];
    if (v === null) return NaN;
    return typeof v === 'number' ? v : this.fail(key, 'a number');
  }
  numberOrNull(key: string): number | null {
    const v = this.o[key];
    return v === null || v === undefined ? null : this.number(key);
  }
  string(key: string): string {
    const v = this.o[key];
    return typeof v === 'string' ? v : this.fail(key, 'a string');
  }
  /** an array of numbers, or null when the key is missing (a record older than the field) */
  numbersOrNull(key: string): number[] | null {
    const v = this.o[key];
    return v === null || v === undefined ? null : this.numbers(key);
  }
  numbers(key: string): number[] {
    const v = this.o[key];
    if (!Array.isArray(v) || !v.every((x) => x === null || typeof x === 'number')) return this.fail(key, 'an array of numbers');
    return v.map((x) => (x === null ? NaN : (x as number)));
  }
  strings(key: string): string[] {
    const v = this.o[key];
    return Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : this.fail(key, 'an array of strings');
  }
  object(key: string): Fields {
    const v = this.o[key];
    return isObject(v) ? new Fields(`${this.where}.${key}`, v) : this.fail(key, 'an object');
  }
  raw(key: string): unknown {
    return this.o[key];
  }
  keys(): string[] {
    return Object.keys(this.o);
  }
}

// the scores a row and an old report both hold, under the same names (forgetPredictions: null where not recorded)
function readScores(f: Fields): Pick<DiffusionResultRow, 'ua' | 'remainingAccuracy' | 'frechet' | 'perClassAccuracy' | 'forgetPredictions'> {
  return {
    ua: f.number('ua'),
    remainingAccuracy: f.number('remainingAccuracy'),
    frechet: f.number('frechet'),
    perClassAccuracy: f.numbers('perClassAccuracy'),
    forgetPredictions: f.numbersOrNull('forgetPredictions'),
  };
}

function readRow(f: Fields): DiffusionResultRow {
  const grid = f.raw('grid');
  return {
    model: f.string('model'),
    ...readScores(f),
    seconds: f.numberOrNull('seconds'),
    trainable: f.numberOrNull('trainable'),
    total: f.numberOrNull('total'),
    grid: grid === null || grid === undefined ? null : f.string('grid'),
  };
}

function readCurrent(doc: Json, where: string): DiffusionResultsDoc {
  const f = new Fields(where, doc);
  if (doc['formatVersion'] !== 1) throw new Error(`${where}: diffusion results format version ${String(doc['formatVersion'])} is not supported (this Lethe reads version 1)`);
  const s = f.object('sampling');
  const rows = f.raw('rows');
  if (!Array.isArray(rows)) throw new Error(`${where}.rows is not an array; rerun the diffusion benchmark to rewrite the results`);
  const config = f.raw('config');
  return {
    format: DIFFUSION_RESULTS_FORMAT,
    formatVersion: 1,
    forgetClass: f.number('forgetClass'),
    classNames: f.strings('classNames'),
    classifierAccuracy: f.number('classifierAccuracy'),
    sampling: {
      sampler: s.string('sampler'),
      steps: s.number('steps'),
      eta: s.number('eta'),
      guidance: s.number('guidance'),
      samplesForget: s.number('samplesForget'),
      samplesPerClass: s.number('samplesPerClass'),
    },
    rows: rows.map((r: unknown, i) => {
      if (!isObject(r)) throw new Error(`${where}.rows[${i}] is not an object; rerun the diffusion benchmark to rewrite the results`);
      return readRow(new Fields(`${where}.rows[${i}]`, r));
    }),
    definitions: f.strings('definitions'),
    config: isObject(config) ? config : {},
  };
}

function readLegacyReport(f: Fields): ReportSummary {
  const sampler = f.object('sampler');
  const samples = f.object('samples');
  return {
    forgetClass: f.number('forgetClass'),
    ...readScores(f),
    samples: { forget: samples.number('forget'), perRemainingClass: samples.number('perRemainingClass'), realImages: samples.numberOrNull('realImages') ?? NaN },
    sampler: { sampler: sampler.string('sampler'), steps: sampler.number('steps'), eta: sampler.number('eta'), guidance: sampler.number('guidance') },
  };
}

function readLegacy(doc: Json, where: string): DiffusionResultsDoc {
  const f = new Fields(where, doc);
  const reports = f.object('reports');
  const runs = f.object('runs');
  const args = f.raw('args');
  const models: EvaluatedModel[] = reports.keys().map((model) => {
    const run = runs.raw(model);
    let cost: UnlearningCost | null = null;
    if (isObject(run)) {
      const r = runs.object(model);
      cost = { seconds: r.number('seconds'), trainable: r.number('trainable'), total: r.number('total') };
    }
    // the old benchmark always drew grid-<model>.png beside results.json
    return { model, report: readLegacyReport(reports.object(model)), cost, grid: `grid-${model}.png` };
  });
  if (models.length === 0) throw new Error(`${where}.reports is empty: the benchmark evaluated no model yet; rerun it`);
  // the old benchmark ran on Fashion-MNIST only and recorded no class names
  return diffusionResults({ classNames: FASHION_MNIST_CLASSES, classifierAccuracy: f.number('classifierAccuracy'), models, config: isObject(args) ? args : {} });
}

/** The results file written by bench/diffusion/run.ts before results had a format: no format, these four keys. */
export function isLegacyDiffusionResults(doc: unknown): doc is Json {
  return isObject(doc) && doc['format'] === undefined && isObject(doc['reports']) && isObject(doc['runs']) && 'classifierAccuracy' in doc;
}

/**
 * The diffusion results in `doc` (parsed results.json; `where` names it in errors), or null when `doc` is not a
 * diffusion results file of either kind.
 */
export function readDiffusionResults(doc: unknown, where: string): DiffusionResultsDoc | null {
  if (isObject(doc) && doc['format'] === DIFFUSION_RESULTS_FORMAT) return readCurrent(doc, where);
  if (isLegacyDiffusionResults(doc)) return readLegacy(doc, where);
  return null;
}
