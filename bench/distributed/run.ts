// Data-parallel benchmark: the same training (fixed global batch) on 1 and on 2 local processes, one libtorch
// thread each, through launch(). Reports steps/s, images/s, the time per step spent in collectives (gradient
// all-reduce as measured inside each rank: transfer plus waiting for the slower rank), the all-reduce alone
// (timed right after a barrier) and the speed-up. Usage:
//   node dist/bench/distributed/run.js [--model smallcnn|mlp|resnet20] [--batch 128] [--steps 40] [--out file.json]
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { availableParallelism } from 'node:os';
import { launch } from '../../src/distributed/launch.js';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : dflt;
}

interface RankOut {
  stepMs: number[];
  commMs: number[];
  pureMs: number[];
  threads: number;
  paramBytes: number;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const model = arg('model', 'smallcnn');
const batch = arg('batch', '128');
const steps = arg('steps', '40');
const entry = fileURLToPath(new URL('./worker.js', import.meta.url));

const rows: Record<string, unknown>[] = [];
let base = NaN;
for (const nproc of [1, 2]) {
  const r = await launch({ nproc, entry, args: [model, batch, steps, '5'], timeoutMs: 120_000, threadsPerProcess: 1, stdout: null });
  const outs = r.results as RankOut[];
  // a step ends when the slowest rank ends it: take the per-step maximum over ranks
  const stepMs = outs[0]!.stepMs.map((_, i) => Math.max(...outs.map((o) => o.stepMs[i]!)));
  const commMs = outs.map((o) => median(o.commMs));
  const med = median(stepMs);
  if (nproc === 1) base = med;
  const row = {
    model,
    globalBatch: Number(batch),
    processes: nproc,
    threadsPerProcess: outs[0]!.threads,
    stepMsMedian: +med.toFixed(2),
    stepsPerSecond: +(1000 / med).toFixed(2),
    imagesPerSecond: Math.round((Number(batch) * 1000) / med),
    commMsPerStepMedian: +Math.max(...commMs).toFixed(3),
    commShare: +(Math.max(...commMs) / med).toFixed(3),
    // the all-reduce alone (after a barrier): what the network costs, without waiting for a slower rank
    pureAllReduceMs: +Math.max(...outs.map((o) => median(o.pureMs))).toFixed(3),
    speedup: +(base / med).toFixed(2),
    gradientMB: +(outs[0]!.paramBytes / 2 ** 20).toFixed(2),
  };
  rows.push(row);
  console.log(JSON.stringify(row));
}
console.log(`machine: ${availableParallelism()} cores`);
const out = arg('out', '');
if (out) writeFileSync(out, JSON.stringify(rows, null, 2) + '\n');
