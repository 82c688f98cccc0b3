// The HTML report in a real browser: headless Chromium (Debian's `chromium`) loads the page and every chart is
// an SVG element with a rendered size and drawn marks, with no page errors. The results document is synthetic
// (hand-written numbers), so this test needs no training.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempDir } from './helpers.js';

function findChromium(): string | null {
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    const r = spawnSync('which', [name], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim() !== '') return r.stdout.trim();
  }
  return null;
}

const ms = (mean: number, std = 0): { mean: number; std: number } => ({ mean, std });
const row = (method: string, UA: number, gap: number, seconds: number, ratio: number, share: number): Record<string, unknown> => ({
  method,
  runs: 2,
  UA: ms(UA, 0.5),
  RA: ms(99 - UA / 10, 0.2),
  TA: ms(92, 0.3),
  MIA: ms(UA * 1.5, 1),
  avgGap: ms(gap, 0.4),
  seconds: ms(seconds, 1),
  timeRatio: ms(ratio),
  trainableShare: share,
  perClassTest: Array.from({ length: 10 }, (_, c) => 80 + c + UA / 10),
});

const doc = {
  format: 'lethe-results',
  formatVersion: 1,
  created: '2025-01-01T00:00:00.000Z',
  protocol: ['data: fashion-mnist (synthetic numbers for the browser test)'],
  config: { model: 'resnet20', forget: 'random:0.1', seeds: [1, 2] },
  classNames: ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
  original: { perSeed: [], train: ms(99.8, 0.1), test: ms(92.8, 0.2), memorisationGap: ms(7, 0.2) },
  rows: [
    { ...row('original', 0.2, 5.1, NaN, NaN, NaN), seconds: { mean: null, std: null }, timeRatio: { mean: null, std: null }, trainableShare: null },
    row('retrain', 7.5, 0, 600, 1, 1),
    row('salun', 6.9, 1.2, 40, 0.067, 0.5),
    row('ga', 2.1, 3.4, 5, 0.008, 1),
  ],
  runs: [],
  definitions: { UA: 'unlearning accuracy', AvgGap: 'average gap' },
};

// Injected into a copy of the page: records errors, then writes each SVG's rendered size and mark count into
// the DOM, which --dump-dom prints after the load.
const PROBE = `<script>
window.__errors = [];
window.addEventListener('error', (e) => window.__errors.push(String(e.message)));
window.addEventListener('load', () => {
  const out = [...document.querySelectorAll('figure.chart > svg')].map((s) => {
    const r = s.getBoundingClientRect();
    return { id: s.parentElement.id, w: Math.round(r.width), h: Math.round(r.height), marks: s.querySelectorAll('path, rect, line, text').length, ns: s.namespaceURI };
  });
  const pre = document.createElement('pre');
  pre.id = 'probe';
  pre.textContent = JSON.stringify({ errors: window.__errors, charts: out });
  document.body.appendChild(pre);
});
</script>`;

test('the HTML report renders its charts in headless Chromium', async (t) => {
  const chromium = findChromium();
  if (chromium === null) {
    t.skip('chromium is not installed (apt-get install chromium)');
    return;
  }
  const dir = tempDir();
  mkdirSync(join(dir, 'bench'));
  writeFileSync(join(dir, 'bench', 'results.json'), JSON.stringify(doc));
  const rep = await runCli(['report', 'bench', '--html', 'report.html', '--png'], dir);
  assert.equal(rep.code, 0, rep.stderr);
  assert.ok(existsSync(join(dir, 'report-per-class.png')));
  const png = readFileSync(join(dir, 'report-runtime.png'));
  assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47], 'a PNG file');

  const html = readFileSync(join(dir, 'report.html'), 'utf8');
  writeFileSync(join(dir, 'probe.html'), html.replace('</head>', `${PROBE}\n</head>`));
  const dom = execFileSync(
    chromium,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--user-data-dir=${join(dir, 'chrome-profile')}`,
      '--virtual-time-budget=2000',
      '--dump-dom',
      `file://${join(dir, 'probe.html')}`,
    ],
    { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const m = /<pre id="probe">([^<]*)<\/pre>/.exec(dom);
  assert.ok(m, 'the probe ran in the page');
  const probe = JSON.parse(m[1]!.replace(/&quot;/g, '"').replace(/&amp;/g, '&')) as { errors: string[]; charts: { id: string; w: number; h: number; marks: number; ns: string }[] };
  assert.deepEqual(probe.errors, []);
  assert.equal(probe.charts.length, 7);
  for (const c of probe.charts) {
    assert.equal(c.ns, 'http://www.w3.org/2000/svg', c.id);
    assert.ok(c.w > 100 && c.h > 100, `${c.id} renders at ${c.w}×${c.h}`);
    assert.ok(c.marks > 10, `${c.id} draws ${c.marks} marks`);
  }
  assert.ok(dom.includes('<td>salun</td>'), 'the table is in the rendered page');
});
