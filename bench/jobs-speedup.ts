// How much sooner `lethe bench --jobs N` makes a table than one process with N threads: the same runs (a --fresh
// bench of the given methods, on models trained once beforehand), timed both ways, alternating, in one sitting.
//
//   npx tsc -p tsconfig.json && node dist/bench/jobs-speedup.js [--jobs 2] [--methods ft,rl] [--model resnet20]
//        [--train-size 3000] [--test-size 1000] [--epochs 4] [--rounds 3]
//
// Prints each round's wall times, the medians and their ratio, and a SUMMARY {json} line.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './stats.js';

const BIN = fileURLToPath(new URL('../../bin/lethe', import.meta.url));

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : dflt;
}

const jobs = Number(arg('jobs', '2'));
const rounds = Number(arg('rounds', '3'));
const methods = arg('methods', 'ft,rl');
const common = ['--model', arg('model', 'resnet20'), '--train-size', arg('train-size', '3000'), '--test-size', arg('test-size', '1000'), '--epochs', arg('epochs', '4'), '--seeds', '1', '--quiet'];
const dir = mkdtempSync(join(tmpdir(), 'lethe-jobs-speedup-'));
const env = { ...process.env, LETHE_CACHE: join(dir, 'cache'), LETHE_NUM_THREADS: String(jobs) };

/** Wall seconds of one `lethe bench`; exits on failure with its stderr. */
function timed(extra: string[], out: string): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [BIN, 'bench', ...common, ...extra, '--out', join(dir, out)], { env, encoding: 'utf8' });
  if (r.status !== 0) {
    process.stderr.write(r.stderr);
    throw new Error(`lethe bench ${extra.join(' ')} exited with ${r.status}`);
  }
  return (performance.now() - t0) / 1000;
}

try {
  console.log(`models: training once (${jobs} threads) …`);
  timed(['--methods', 'ga'], 'warmup');
  const one: number[] = [];
  const par: number[] = [];
  for (let i = 0; i < rounds; i++) {
    // alternate which goes first, so a load spike on the shared machine does not always land on one side
    const order = i % 2 === 0 ? ['one', 'par'] : ['par', 'one'];
    for (const side of order) {
      if (side === 'one') one.push(timed(['--methods', methods, '--fresh'], `one${i}`));
      else par.push(timed(['--methods', methods, '--fresh', '--jobs', String(jobs)], `par${i}`));
    }
    console.log(`round ${i + 1}: one process, ${jobs} threads ${one[i]!.toFixed(1)} s; --jobs ${jobs} ${par[i]!.toFixed(1)} s`);
  }
  const summary = { methods, jobs, rounds, oneProcessSeconds: median(one), jobsSeconds: median(par), speedup: median(one) / median(par) };
  console.log(`median: one process ${summary.oneProcessSeconds.toFixed(1)} s, --jobs ${jobs} ${summary.jobsSeconds.toFixed(1)} s → ${summary.speedup.toFixed(2)}× sooner`);
  console.log(`SUMMARY ${JSON.stringify(summary)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
