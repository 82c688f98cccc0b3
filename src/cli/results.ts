// The results document of a benchmark (results.json): per-run evaluations, their mean ± std per method, the
// original model's memorisation gap, and the configuration that produced it. `report` renders it to HTML.
import { HEADLINE_DEFINITIONS, meanStd } from '../eval/gap.js';
import { fmt, fmtMeanStd, renderTable, toCsv } from './table.js';

export interface MeanStd {
  mean: number;
  std: number;
}

/** One (method, seed) result, as written to runs/<method>-seed<k>.json. */
export interface RunRecord {
  method: string;
  seed: number;
  UA: number;
  RA: number;
  TA: number;
  MIA: number;
  avgGap: number;
  seconds: number;
  /** seconds / retrain's training seconds (same seed) */
  timeRatio: number;
  trainableShare: number;
  perClassTest: number[];
  options?: Record<string, unknown>;
  blocks?: unknown;
  recipe?: { tuned: boolean; file: string | null };
  miaViews?: Record<string, number>;
  /** the original's record only: its train/val/test accuracy, so a finished seed can be tabled without its models */
  accuracy?: OriginalAccuracy;
  /** why the run has no metrics: it diverged (every number NaN; it ranks last, a sweep skips it) */
  diverged?: string;
  /** the weights the run was made with (absent in records written before they were kept) */
  models?: ModelDigests;
}

/**
 * The original and retrain checkpoints a record was made with: the first 16 hex digits of each weights file's
 * sha256. Their configuration hash names the cache directory, but the same configuration trained on another CPU (or
 * thread count) gives other weights, so results made with one must not be mixed with runs on the other.
 */
export interface ModelDigests {
  original: string;
  retrain: string;
}

export interface ResultRow {
  method: string;
  runs: number;
  UA: MeanStd;
  RA: MeanStd;
  TA: MeanStd;
  MIA: MeanStd;
  avgGap: MeanStd;
  seconds: MeanStd;
  timeRatio: MeanStd;
  trainableShare: number;
  perClassTest: number[];
}

export interface OriginalAccuracy {
  seed: number;
  train: number;
  val: number;
  test: number;
  memorisationGap: number;
}

export interface ResultsDoc {
  format: 'lethe-results';
  formatVersion: 1;
  created: string;
  protocol: string[];
  config: Record<string, unknown>;
  classNames: string[];
  original: { perSeed: OriginalAccuracy[]; train: MeanStd; test: MeanStd; memorisationGap: MeanStd };
  rows: ResultRow[];
  runs: RunRecord[];
  definitions: Record<string, string>;
}

export const EXTRA_DEFINITIONS: Record<string, string> = {
  time: 'wall-clock seconds of the unlearning run (mask/subspace/curriculum building included); for Retrain, its training time',
  timeRatio: 'run time divided by the time Retrain took to train (same seed)',
  trainableShare: 'share of the model\u2019s parameters the method trained (mask, subspace cores, or all)',
  memorisationGap: 'the original model\u2019s train accuracy minus its test accuracy: unlearning is only measurable when it is large',
};

export const DEFINITIONS: Record<string, string> = { ...HEADLINE_DEFINITIONS, ...EXTRA_DEFINITIONS };

/** JSON has no NaN: JSON.stringify writes a missing number (NaN) as null; read back, null is NaN again. */
export const numberFromJson = (x: number | null): number => (x === null ? NaN : x);

const ms = (xs: number[]): MeanStd => (xs.length === 0 ? { mean: NaN, std: NaN } : meanStd(xs));

function meanVector(vs: number[][]): number[] {
  if (vs.length === 0) return [];
  return vs[0]!.map((_, k) => {
    const xs = vs.map((v) => v[k]!).filter((x) => Number.isFinite(x));
    return xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
  });
}

/** Aggregates runs into rows, in the order of `methods` (original and retrain first when present). */
export function aggregate(runs: RunRecord[], methods: string[]): ResultRow[] {
  return methods
    .map((method) => {
      const rs = runs.filter((r) => r.method === method);
      return {
        method,
        runs: rs.length,
        UA: ms(rs.map((r) => r.UA)),
        RA: ms(rs.map((r) => r.RA)),
        TA: ms(rs.map((r) => r.TA)),
        MIA: ms(rs.map((r) => r.MIA)),
        avgGap: ms(rs.map((r) => r.avgGap)),
        seconds: ms(rs.map((r) => r.seconds)),
        timeRatio: ms(rs.map((r) => r.timeRatio)),
        trainableShare: rs.length === 0 ? NaN : rs.reduce((a, r) => a + r.trainableShare, 0) / rs.length,
        perClassTest: meanVector(rs.map((r) => r.perClassTest)),
      };
    })
    .filter((r) => r.runs > 0);
}

export const TABLE_HEADER = ['method', 'UA', 'RA', 'TA', 'MIA', 'Avg.Gap', 'time (s)', '× retrain', 'trainable'];

export function tableRows(doc: ResultsDoc): string[][] {
  return doc.rows.map((r) => [
    r.method,
    fmtMeanStd(r.UA),
    fmtMeanStd(r.RA),
    fmtMeanStd(r.TA),
    fmtMeanStd(r.MIA),
    fmtMeanStd(r.avgGap),
    fmtMeanStd(r.seconds, 1),
    r.method === 'original' ? '-' : fmt(r.timeRatio.mean, 3),
    r.method === 'original' ? '-' : `${fmt(100 * r.trainableShare, 1)}%`,
  ]);
}

/** Rows that are not unlearning methods: the starting point and the reference every gap is measured against. */
const NOT_RANKED = ['original', 'retrain'];

export interface SeedGaps {
  seeds: number[];
  /** per unlearning method: its Avg.Gap on each seed (NaN where it has no run) and its mean rank over the seeds */
  rows: { method: string; gaps: number[]; meanRank: number }[];
}

/**
 * Avg.Gap per seed, and each method's rank on each seed (1 = the smallest gap; ties share the mean of their ranks;
 * a diverged or missing run ranks last) averaged over the seeds. With few forget samples the seed-to-seed spread is
 * as large as the differences between methods: the per-seed view shows which wins are consistent.
 */
export function seedGaps(doc: Pick<ResultsDoc, 'rows' | 'runs'>): SeedGaps {
  const methods = doc.rows.map((r) => r.method).filter((m) => !NOT_RANKED.includes(m));
  const seeds = [...new Set(doc.runs.filter((r) => methods.includes(r.method)).map((r) => r.seed))].sort((a, b) => a - b);
  const gap = (method: string, seed: number): number => doc.runs.find((r) => r.method === method && r.seed === seed)?.avgGap ?? NaN;
  const gaps = methods.map((m) => seeds.map((s) => gap(m, s)));
  const rankSums = methods.map(() => 0);
  seeds.forEach((_, j) => {
    const score = (i: number): number => (Number.isFinite(gaps[i]![j]!) ? gaps[i]![j]! : Infinity);
    methods.forEach((_, i) => {
      const below = methods.filter((__, k) => score(k) < score(i)).length;
      const tied = methods.filter((__, k) => score(k) === score(i)).length;
      rankSums[i]! += below + (tied + 1) / 2;
    });
  });
  return { seeds, rows: methods.map((method, i) => ({ method, gaps: gaps[i]!, meanRank: seeds.length === 0 ? NaN : rankSums[i]! / seeds.length })) };
}

/** The per-seed table: header and rows (methods by mean rank, best first); null with fewer than two seeds to compare. */
export function seedGapTable(doc: Pick<ResultsDoc, 'rows' | 'runs'>): { header: string[]; rows: string[][] } | null {
  const g = seedGaps(doc);
  if (g.seeds.length < 2) return null;
  const rows = [...g.rows].sort((a, b) => a.meanRank - b.meanRank);
  return {
    header: ['method', ...g.seeds.map((s) => `seed ${s}`), 'mean rank'],
    rows: rows.map((r) => [r.method, ...r.gaps.map((x) => fmt(x)), fmt(r.meanRank, 1)]),
  };
}

/** The terminal rendering: protocol, table, memorisation gap, definitions. */
export function renderResults(doc: ResultsDoc, o: { definitions?: boolean } = {}): string {
  const lines: string[] = [];
  lines.push(...doc.protocol.map((l) => `# ${l}`));
  lines.push('');
  lines.push(renderTable(TABLE_HEADER, tableRows(doc)));
  lines.push('');
  const perSeed = seedGapTable(doc);
  if (perSeed !== null) {
    lines.push('Avg.Gap per seed (rank 1 = the smallest gap on that seed):');
    lines.push(renderTable(perSeed.header, perSeed.rows));
    lines.push('');
  }
  const g = doc.original;
  lines.push(
    `original model: train accuracy ${fmtMeanStd(g.train)}%, test accuracy ${fmtMeanStd(g.test)}%, memorisation gap ${fmtMeanStd(g.memorisationGap)} points` +
      ` (${g.perSeed.length} seed${g.perSeed.length === 1 ? '' : 's'}; mean ± std over seeds)`,
  );
  if (o.definitions ?? true) {
    lines.push('');
    lines.push('definitions:');
    for (const [k, v] of Object.entries(doc.definitions)) lines.push(`  ${k.padEnd(16)} ${v}`);
  }
  return lines.join('\n');
}

/** The table as Markdown (for READMEs), with the protocol and the original model's memorisation gap under it. */
export function resultsMarkdown(doc: ResultsDoc): string {
  const esc = (c: string): string => c.replace(/\|/g, '\\|');
  const row = (cells: string[]): string => `| ${cells.map(esc).join(' | ')} |`;
  const table = (header: string[], rows: string[][]): string[] => [row(header), row(header.map((_, i) => (i === 0 ? '---' : '---:'))), ...rows.map(row)];
  const g = doc.original;
  const perSeed = seedGapTable(doc);
  return [
    ...table(TABLE_HEADER, tableRows(doc)),
    '',
    `Original model: train ${fmtMeanStd(g.train)}%, test ${fmtMeanStd(g.test)}%, memorisation gap ${fmtMeanStd(g.memorisationGap)} points` +
      ` (${g.perSeed.length} seed${g.perSeed.length === 1 ? '' : 's'}). Mean ± std over seeds. ${doc.protocol.join('; ')}.`,
    '',
    ...(perSeed !== null ? ['Avg.Gap per seed, methods by their mean rank over the seeds (1 = the smallest gap on a seed; ties share their mean rank):', '', ...table(perSeed.header, perSeed.rows), ''] : []),
  ].join('\n');
}

export function resultsCsv(doc: ResultsDoc): string {
  const header = ['method', 'runs'];
  for (const k of ['UA', 'RA', 'TA', 'MIA', 'avgGap', 'seconds', 'timeRatio']) header.push(`${k}_mean`, `${k}_std`);
  header.push('trainableShare');
  const rows = doc.rows.map((r) => {
    const cells: unknown[] = [r.method, r.runs];
    for (const k of ['UA', 'RA', 'TA', 'MIA', 'avgGap', 'seconds', 'timeRatio'] as const) cells.push(r[k].mean, r[k].std);
    cells.push(r.trainableShare);
    return cells;
  });
  return toCsv(header, rows);
}

export function originalSummary(perSeed: OriginalAccuracy[]): ResultsDoc['original'] {
  return {
    perSeed,
    train: ms(perSeed.map((p) => p.train)),
    test: ms(perSeed.map((p) => p.test)),
    memorisationGap: ms(perSeed.map((p) => p.memorisationGap)),
  };
}
