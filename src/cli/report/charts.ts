// Charts of a results document as vega-lite specs, rendered headless to SVG by vega (renderer 'none' +
// view.toSVG(): no browser, no canvas), and optionally rasterised to PNG with resvg.
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { ResultsDoc } from '../results.js';

export interface Chart {
  id: string;
  title: string;
  spec: TopLevelSpec;
}

const METRICS: { key: 'UA' | 'RA' | 'TA' | 'MIA' | 'avgGap'; label: string }[] = [
  { key: 'UA', label: 'UA (%)' },
  { key: 'RA', label: 'RA (%)' },
  { key: 'TA', label: 'TA (%)' },
  { key: 'MIA', label: 'MIA-efficacy (%)' },
  { key: 'avgGap', label: 'Avg.Gap vs retrain (lower is better)' },
];

function metricChart(doc: ResultsDoc, key: (typeof METRICS)[number]['key'], label: string): Chart {
  const values = doc.rows
    .filter((r) => Number.isFinite(r[key].mean))
    .map((r) => ({ method: r.method, mean: r[key].mean, lo: r[key].mean - (r[key].std || 0), hi: r[key].mean + (r[key].std || 0) }));
  const order = doc.rows.map((r) => r.method);
  return {
    id: `metric-${key}`,
    title: label,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      title: label,
      width: 260,
      height: 160,
      data: { values },
      encoding: { x: { field: 'method', type: 'nominal', sort: order, axis: { labelAngle: -30 }, title: null } },
      layer: [
        { mark: { type: 'bar', color: '#4c78a8' }, encoding: { y: { field: 'mean', type: 'quantitative', title: label } } },
        { mark: { type: 'rule', color: '#222' }, encoding: { y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } } },
      ],
    } as TopLevelSpec,
  };
}

function perClassChart(doc: ResultsDoc): Chart {
  const values: { class: string; model: string; accuracy: number }[] = [];
  for (const r of doc.rows) {
    r.perClassTest.forEach((acc, c) => {
      if (Number.isFinite(acc)) values.push({ class: doc.classNames[c] ?? String(c), model: r.method, accuracy: acc });
    });
  }
  return {
    id: 'per-class',
    title: 'Per-class test accuracy: original (before) and after each method',
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      title: 'Per-class test accuracy, before (original) and after',
      width: 640,
      height: 220,
      data: { values },
      mark: 'bar',
      encoding: {
        x: { field: 'class', type: 'nominal', sort: doc.classNames, axis: { labelAngle: -30 }, title: null },
        xOffset: { field: 'model', sort: doc.rows.map((r) => r.method) },
        y: { field: 'accuracy', type: 'quantitative', title: 'test accuracy (%)', scale: { zero: true } },
        color: { field: 'model', type: 'nominal', sort: doc.rows.map((r) => r.method), title: 'model' },
      },
    } as TopLevelSpec,
  };
}

function runtimeChart(doc: ResultsDoc): Chart {
  const values = doc.rows
    .filter((r) => r.method !== 'original' && Number.isFinite(r.seconds.mean))
    .map((r) => ({ method: r.method, seconds: r.seconds.mean, ratio: r.timeRatio.mean }));
  return {
    id: 'runtime',
    title: 'Run time (retrain: its training time)',
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      title: 'Run time in seconds (retrain = training from scratch)',
      width: 420,
      height: { step: 22 },
      data: { values },
      encoding: { y: { field: 'method', type: 'nominal', sort: values.map((v) => v.method), title: null } },
      layer: [
        {
          mark: 'bar',
          encoding: {
            x: { field: 'seconds', type: 'quantitative', title: 'seconds' },
            color: { condition: { test: "datum.method === 'retrain'", value: '#e45756' }, value: '#4c78a8' },
          },
        },
        {
          mark: { type: 'text', align: 'left', dx: 3 },
          encoding: { x: { field: 'seconds', type: 'quantitative' }, text: { field: 'ratio', type: 'quantitative', format: '.3f' } },
        },
      ],
    } as TopLevelSpec,
  };
}

export function buildCharts(doc: ResultsDoc): Chart[] {
  return [...METRICS.map((m) => metricChart(doc, m.key, m.label)), perClassChart(doc), runtimeChart(doc)];
}

/** vega-lite → vega → SVG text, headless. */
export async function renderSvg(chart: Chart): Promise<string> {
  const vgSpec = compile(chart.spec).spec;
  const view = new vega.View(vega.parse(vgSpec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Rasterises an SVG with resvg (its binary ships inside the npm package; no download). */
export async function svgToPng(svg: string): Promise<Uint8Array> {
  const { Resvg } = await import('@resvg/resvg-js');
  const r = new Resvg(svg, {
    background: 'white',
    fitTo: { mode: 'zoom', value: 2 },
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
  });
  return r.render().asPng();
}
