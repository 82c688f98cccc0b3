// lethe eval: every metric of a checkpoint with its definition; JSON with --json, CSV with --csv.
import { resolve } from 'node:path';
import { evaluateUnlearningAsync, type EvaluationReport } from '../../eval/evaluate.js';
import type { HeadlineMetrics } from '../../eval/gap.js';
import { UsageError } from '../errors.js';
import type { Opts } from '../options.js';
import { prepareFromCheckpoint, referenceMetrics } from '../unlearning.js';
import { renderTable, toCsv } from '../table.js';
import { outputFile, print, printJson, withRun } from './shared.js';
import { writeBytesAtomic } from '../../io/artifacts.js';

/** The metrics as rows: name, value, (retrain value), definition. */
export function metricRows(r: EvaluationReport, ref?: HeadlineMetrics): { name: string; value: number; reference?: number; definition: string }[] {
  const rows: { name: string; value: number; reference?: number; definition: string }[] = [];
  for (const k of ['UA', 'RA', 'TA', 'MIA'] as const) {
    rows.push({ name: k, value: r[k], ...(ref ? { reference: ref[k] } : {}), definition: r.definitions[k] ?? '' });
  }
  if (r.avgGap !== undefined) rows.push({ name: 'Avg.Gap', value: r.avgGap, definition: r.definitions['AvgGap'] ?? '' });
  for (const [view, v] of Object.entries(r.miaViews)) {
    if (view !== 'confidence' && Number.isFinite(v)) rows.push({ name: `MIA.${view}`, value: v, definition: r.definitions[`MIA.${view}`] ?? '' });
  }
  return rows;
}

export function metricsTable(r: EvaluationReport, ref?: HeadlineMetrics): string {
  const rows = metricRows(r, ref);
  const header = ref ? ['metric', 'value', 'retrain', 'definition'] : ['metric', 'value', 'definition'];
  return renderTable(
    header,
    rows.map((x) => (ref ? [x.name, x.value, x.reference ?? NaN, x.definition] : [x.name, x.value, x.definition])),
  );
}

export default async function evalCommand(o: Opts, args: string[]): Promise<void> {
  const dirArg = args[0];
  if (dirArg === undefined) throw new UsageError('eval: give the checkpoint directory, e.g. lethe eval runs/salun');
  const dir = resolve(dirArg);
  const refDir = o.has('reference') ? resolve(o.string('reference')!) : null;
  const csvPath = o.has('csv') ? outputFile('--csv', o.string('csv')!, [['eval DIR', dir], ['--reference', refDir]]) : undefined;
  const result = await withRun(o, async ({ reporter, signal }) => {
    const run = prepareFromCheckpoint(dir, o.string('forget'), { dataDir: o.string('dataDir'), flag: 'eval DIR' });
    try {
      const ref = refDir === null ? null : await referenceMetrics(run, refDir, { signal });
      reporter.log(`evaluating ${dir} (${run.manifest.kind}) on D_f ${run.sets.forget.size}, D_r ${run.sets.retain.size}, test ${run.sets.test.size}`);
      const report = await evaluateUnlearningAsync(run.original, { forget: run.sets.forget, retain: run.sets.retain, test: run.sets.test }, { ...(ref ? { reference: ref.metrics } : {}), signal });
      return { report, ref: ref?.metrics, protocol: run.protocol, kind: run.manifest.kind, method: run.manifest['method'] ?? null, classNames: run.data.classNames ?? null };
    } finally {
      run.dispose();
    }
  });
  const { report, ref } = result;
  if (csvPath !== undefined) {
    const rows = metricRows(report, ref);
    writeBytesAtomic(csvPath, Buffer.from(toCsv(['metric', 'value', 'retrain', 'definition'], rows.map((x) => [x.name, x.value, x.reference, x.definition]))));
  }
  if (o.bool('json')) {
    printJson({ checkpoint: dir, kind: result.kind, method: result.method, protocol: result.protocol, ...report, reference: ref ? { dir: refDir, metrics: ref } : null, classNames: result.classNames });
    return;
  }
  print(result.protocol.map((l) => `# ${l}`).join('\n'));
  print(`# ${dir}: ${result.kind}${result.method ? ` (${String(result.method)})` : ''}`);
  print(metricsTable(report, ref));
  const names = result.classNames ?? report.perClassTest.map((_, i) => String(i));
  print('\nper-class test accuracy (%):');
  print(renderTable(['class', 'accuracy'], report.perClassTest.map((a, i) => [names[i] ?? String(i), a])));
  if (csvPath !== undefined) print(`csv → ${csvPath}`);
}
