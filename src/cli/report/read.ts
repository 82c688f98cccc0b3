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
    return { kind: 'classifier', doc: restoreNaN(raw as ResultsDoc), dir: resultsDir };
  }
  const diffusion = readDiffusionResults(raw, path);
  if (diffusion !== null) return { kind: 'diffusion', doc: diffusion, dir: resultsDir };
  throw new UsageError(`report: '${path}' is not a Lethe results file`);
}
