// lethe report: a self-contained HTML page (inline SVG charts) of a bench or demo results directory.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { required, type Opts } from '../options.js';
import type { ResultsDoc } from '../results.js';
import { buildCharts, renderSvg, svgToPng } from '../report/charts.js';
import { renderHtml } from '../report/html.js';
import { print } from './shared.js';

export function readResults(dir: string): ResultsDoc {
  const path = existsSync(dir) && !dir.endsWith('.json') ? join(dir, 'results.json') : dir;
  if (!existsSync(path)) {
    throw new UsageError(`report: '${dir}' has no results.json; pass a directory written by lethe bench or lethe demo`);
  }
  let doc: ResultsDoc;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8')) as ResultsDoc;
  } catch (e) {
    throw new Error(`report: '${path}' is not valid JSON (${(e as Error).message}); rerun the bench to rewrite it`);
  }
  if (doc.format !== 'lethe-results') throw new UsageError(`report: '${path}' is not a Lethe results file`);
  // JSON has no NaN: restore the missing numbers
  const fix = (m: { mean: number | null; std: number | null }): void => {
    if (m.mean === null) m.mean = NaN;
    if (m.std === null) m.std = NaN;
  };
  for (const r of doc.rows) {
    for (const k of ['UA', 'RA', 'TA', 'MIA', 'avgGap', 'seconds', 'timeRatio'] as const) fix(r[k] as unknown as { mean: number | null; std: number | null });
    r.perClassTest = r.perClassTest.map((x) => (x === null ? NaN : x));
    if ((r.trainableShare as number | null) === null) r.trainableShare = NaN;
  }
  return doc;
}

export default async function report(o: Opts, args: string[]): Promise<void> {
  const dir = resolve(args[0] ?? '.');
  const html = resolve(required(o, 'html', 'the HTML file to write'));
  if (!existsSync(dirname(html))) throw new UsageError(`--html: directory '${dirname(html)}' does not exist`);
  const doc = readResults(dir);
  const charts = buildCharts(doc);
  const rendered = [];
  for (const c of charts) rendered.push({ id: c.id, title: c.title, svg: await renderSvg(c) });
  writeFileSync(html, renderHtml(doc, rendered));
  print(`report → ${html} (${rendered.length} charts)`);
  if (o.bool('png')) {
    const stem = join(dirname(html), basename(html, extname(html)));
    for (const c of rendered) {
      const file = `${stem}-${c.id}.png`;
      writeFileSync(file, await svgToPng(c.svg));
      print(`png → ${file}`);
    }
  }
}
