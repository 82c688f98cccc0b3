// What `lethe report` was pointed at: a directory (or its results.json) written by lethe bench / lethe demo
// (format 'lethe-results') or by the diffusion benchmark (format 'lethe-diffusion-results', or that benchmark's
// older format-less results.json). The file is parsed once and its kind decides the page.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { readDiffusionResults } from '../../diffusion/results-read.js';
import type { DiffusionResultsDoc } from '../../diffusion/results.js';
import { UsageError } from '../errors.js';
import { numberFromJson, type ResultsDoc } from '../results.js';

export type ReportSource = { kind: 'classifier'; doc: ResultsDoc; dir: string } | { kind: 'diffusion'; doc: DiffusionResultsDoc; dir: string };

// JSON has no NaN: the classifier document's missing numbers come back as null
function restoreNaN(doc: ResultsDoc): ResultsDoc {
  const fix = (m: { mean: number | null; std: number | null }): void => {
    m.mean = numberFromJson(m.mean);
    m.std = numberFromJson(m.std);
  };
  for (const r of doc.rows) {
    for (const k of ['UA', 'RA', 'TA', 'MIA', 'avgGap', 'seconds', 'timeRatio'] as const) fix(r[k] as unknown as { mean: number | null; std: number | null });
    r.perClassTest = (r.perClassTest as (number | null)[]).map(numberFromJson);
    r.trainableShare = numberFromJson(r.trainableShare as number | null);
  }
  return doc;
}

/**
 * Where a classifier results document departs from the shape the report reads (a hand-edited or damaged file), or
 * null: so the report says which field is wrong instead of failing inside the renderer.
 */
export function resultsDocProblem(raw: Record<string, unknown>): string | null {
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const isNumber = (v: unknown): boolean => v === null || typeof v === 'number';
  const isPair = (v: unknown): boolean => isObject(v) && isNumber(v['mean']) && isNumber(v['std']);
  const numbers = (v: unknown): boolean => Array.isArray(v) && v.every(isNumber);
  const strings = (v: unknown): boolean => Array.isArray(v) && v.every((x) => typeof x === 'string');
  if (!strings(raw['protocol'])) return 'protocol is not a list of lines';
  if (!isObject(raw['config'])) return 'config is not an object';
  if (!strings(raw['classNames'])) return 'classNames is not a list of names';
  if (!isObject(raw['definitions'])) return 'definitions is not an object';
  const original = raw['original'];
  if (!isObject(original) || !Array.isArray(original['perSeed'])) return 'original is not the original model\u2019s summary';
  for (const k of ['train', 'test', 'memorisationGap']) if (!isPair(original[k])) return `original.${k} is not a {mean, std} pair`;
  if (!Array.isArray(raw['rows'])) return 'rows is not a list';
  for (const [i, r] of (raw['rows'] as unknown[]).entries()) {
    if (!isObject(r) || typeof r['method'] !== 'string') return `rows[${i}] has no method name`;
    for (const k of ['UA', 'RA', 'TA', 'MIA', 'avgGap', 'seconds', 'timeRatio']) if (!isPair(r[k])) return `rows[${i}].${k} is not a {mean, std} pair`;
    if (!numbers(r['perClassTest']) || !isNumber(r['trainableShare'])) return `rows[${i}] has no per-class accuracies or trainable share`;
  }
  if (!Array.isArray(raw['runs'])) return 'runs is not a list';
  for (const [i, r] of (raw['runs'] as unknown[]).entries()) {
    if (!isObject(r) || typeof r['method'] !== 'string' || typeof r['seed'] !== 'number') return `runs[${i}] has no method and seed`;
    for (const k of ['UA', 'RA', 'TA', 'MIA', 'avgGap']) if (!isNumber(r[k])) return `runs[${i}].${k} is not a number`;
  }
  return null;
}

export function readReportSource(dir: string): ReportSource {
  const path = existsSync(dir) && !dir.endsWith('.json') ? join(dir, 'results.json') : dir;
  if (!existsSync(path)) {
    throw new UsageError(`report: '${dir}' has no results.json; pass a directory written by lethe bench, lethe demo or the diffusion benchmark`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`report: '${path}' is not valid JSON (${(e as Error).message}); rerun the bench to rewrite it`);
  }
  const resultsDir = dirname(path);
  if (typeof raw === 'object' && raw !== null && (raw as { format?: unknown }).format === 'lethe-results') {
    const problem = resultsDocProblem(raw as Record<string, unknown>);
    if (problem !== null) throw new Error(`report: '${path}' is damaged: ${problem}; rerun the bench (or lethe demo) to rewrite it`);
    return { kind: 'classifier', doc: restoreNaN(raw as ResultsDoc), dir: resultsDir };
  }
  const diffusion = readDiffusionResults(raw, path);
  if (diffusion !== null) return { kind: 'diffusion', doc: diffusion, dir: resultsDir };
  throw new UsageError(`report: '${path}' is not a Lethe results file`);
}
