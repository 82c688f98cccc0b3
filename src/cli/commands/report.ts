// lethe report: a self-contained HTML page of a results directory: a bench or demo (inline SVG charts), or the
// diffusion benchmark (tables and the sample grids).
import { basename, dirname, extname, join, resolve } from 'node:path';
import { required, type Opts } from '../options.js';
import type { ResultsDoc } from '../results.js';
import { buildCharts, renderSvg, svgToPng } from '../report/charts.js';
import { renderDiffusionHtml } from '../report/diffusion-html.js';
import { readGrids } from '../report/grids.js';
import { renderHtml } from '../report/html.js';
import { readReportSource } from '../report/read.js';
import { outputFile, print } from './shared.js';
import { writeBytesAtomic } from '../../io/artifacts.js';

async function classifierReport(doc: ResultsDoc, html: string, png: boolean): Promise<void> {
  const charts = buildCharts(doc);
  const rendered = [];
  for (const c of charts) rendered.push({ id: c.id, title: c.title, svg: await renderSvg(c) });
  writeBytesAtomic(html, Buffer.from(renderHtml(doc, rendered)));
  print(`report → ${html} (${rendered.length} charts)`);
  if (png) {
    const stem = join(dirname(html), basename(html, extname(html)));
    for (const c of rendered) {
      const file = `${stem}-${c.id}.png`;
      writeBytesAtomic(file, await svgToPng(c.svg));
      print(`png → ${file}`);
    }
  }
}

export default async function report(o: Opts, args: string[]): Promise<void> {
  const dir = resolve(args[0] ?? '.');
  // (the page may go into the results directory, but not over the results it is made from)
  const html = outputFile('--html', required(o, 'html', 'the HTML file to write'), [['results', join(dir, 'results.json')]]);
  const source = readReportSource(dir);
  if (source.kind === 'classifier') return classifierReport(source.doc, html, o.bool('png'));
  // every grid is read (and checked) before the page is written, so a missing one leaves no half-made report
  const grids = readGrids(source.dir, source.doc);
  writeBytesAtomic(html, Buffer.from(renderDiffusionHtml(source.doc, grids)));
  print(`report → ${html} (diffusion results, ${source.doc.rows.length} models, ${grids.size} sample grids)`);
  // the page has no charts to rasterise, and the grids are PNG files already
  if (o.bool('png')) print(`--png: ignored for diffusion results; the sample grids are PNG files in ${source.dir}`);
}
