// Which tensors open CUFG's gate? A diagnostic of the reference's rule "correct every tensor when ANY tensor has
// cos(g_r, g_f) > τ" on a trained model.
//
// For a number of retain batches (train mode, as a CUFG step computes g_r; BatchNorm's running statistics are put
// back after each, so the model is not changed), it takes g_r = ∇ CE(B_r) per tensor and g_f = ∇ −CE over the easiest
// curriculum stage's forget subset (or --stage N's; eval mode, as the reference), and prints per tensor: its size, its median
// cosine, and how often its cosine alone exceeds τ (at τ0 and the later stages' thresholds). A cosine between two
// random directions in n dimensions has spread ≈ 1/√n, so a tensor of 16 numbers (a BatchNorm bias) crosses 0.45 by
// chance about 4% of the time and a conv kernel of 2,304 never does: if the gate opens on the small tensors, it is
// a coin flip on noise, not agreement between the two gradients.
//
//   node dist/bench/cufg/gate.js --from .cache/lethe/models/original-resnet20-… [--forget random:0.1] [--trials 40]
//     [--seed 1] [--taus 0.45,0.4,0.35]
import type { Module } from '../../src/nn/module.js';
import { DataLoader } from '../../src/data/loader.js';
import type { TensorDataset } from '../../src/data/dataset.js';
import { crossEntropy, noGrad, tidy, type Tensor } from '../../src/torch/index.js';
import { prepareFromCheckpoint } from '../../src/cli/unlearning.js';
import { accumulateGradients, disposeGradients, type Gradients } from '../../src/unlearn/blocks/gradients.js';
import { buildCurriculum } from '../../src/unlearn/blocks/curriculum.js';
import { deriveSeed } from '../../src/data/random.js';
import { fmt, renderTable } from '../../src/cli/table.js';
import { integerOption, median, textOptions } from '../stats.js';

function args(argv: readonly string[]): { from: string; forget: string; trials: number; seed: number; stage: number; taus: number[] } {
  const o = textOptions(argv, ['from', 'forget', 'trials', 'seed', 'stage', 'taus'], '--from DIR [--forget SPEC] [--trials N] [--seed N] [--stage 0|1|2] [--taus LIST]');
  if (!o['from']) throw new Error('--from DIR (an original checkpoint) is required');
  const count = (key: string, fallback: number, min: number): number => integerOption(o, key, fallback, min);
  const taus = (o['taus'] ?? '0.45,0.4,0.35').split(',').map(Number);
  if (!taus.every((t) => Number.isFinite(t) && t > -1 && t < 1)) throw new Error(`--taus must be a comma-separated list of thresholds in (−1, 1), got '${o['taus']}'`);
  return { from: o['from'], forget: o['forget'] ?? 'random:0.1', trials: count('trials', 40, 1), seed: count('seed', 1, 0), stage: count('stage', 0, 0), taus };
}

/** ⟨a, b⟩, ‖a‖², ‖b‖² of two gradients of one tensor. */
function products(a: Tensor, b: Tensor): [number, number, number] {
  return tidy(() => noGrad(() => [a.flatten().dot(b.flatten()).item(), a.pow(2).sum().item(), b.pow(2).sum().item()]));
}

function main(): void {
  const o = args(process.argv.slice(2));
  const run = prepareFromCheckpoint(o.from, o.forget, { flag: '--from' });
  const model: Module = run.original;
  const params = [...model.namedParameters()].filter(([, p]) => p.requiresGrad);
  const { forget, retain } = run.sets;
  model.eval();
  const curriculum = buildCurriculum(model, forget); // K = 3, the default
  if (o.stage >= curriculum.numStages) throw new Error(`--stage must be below ${curriculum.numStages}, got ${o.stage}`);
  const stage = curriculum.stages[o.stage]!;
  const gf: Gradients = accumulateGradients(model, new DataLoader(forget as TensorDataset, { batchSize: 256, indices: stage }), (b) => crossEntropy(model.forward(b.x), b.y).neg(), { params, reduce: 'mean' });
  const saved = model.stateDict({ clone: true });
  const cos: number[][] = params.map(() => []);
  const whole: number[] = []; // cos over the whole model's gradient (all tensors concatenated)
  let trials = 0;
  for (const batch of new DataLoader(retain, { batchSize: 256, shuffle: true, seed: deriveSeed(o.seed, 'gate') })) {
    if (trials >= o.trials) {
      batch.dispose();
      break; // (the loader stops; the batches it did not yield are never loaded)
    }
    trials++;
    model.train();
    const gr = accumulateGradients(model, [batch], (b) => crossEntropy(model.forward(b.x), b.y), { params });
    try {
      const p = params.map(([k]) => products(gr.get(k)!, gf.get(k)!));
      p.forEach(([d, a, b], i) => cos[i]!.push(d / Math.sqrt(a * b)));
      const [d, a, b] = p.reduce((s, x) => [s[0] + x[0], s[1] + x[1], s[2] + x[2]], [0, 0, 0]);
      whole.push(d / Math.sqrt(a * b));
    } finally {
      disposeGradients(gr);
      model.loadStateDict(saved); // the train-mode pass moved BatchNorm's running statistics
    }
  }
  for (const t of saved.values()) t.dispose();
  disposeGradients(gf);
  // per threshold: how often the gate opens at all, and how often only tensors of ≤ 64 numbers open it
  const size = params.map(([, p]) => p.numel());
  const summary = o.taus.map((tau) => {
    let open = 0;
    let smallOnly = 0;
    for (let t = 0; t < trials; t++) {
      const over = params.map((_, i) => i).filter((i) => cos[i]![t]! > tau);
      if (over.length > 0) open++;
      if (over.length > 0 && over.every((i) => size[i]! <= 64)) smallOnly++;
    }
    return { tau, open, smallOnly, model: whole.filter((c) => c > tau).length };
  });
  console.log(`# CUFG gate on ${o.from} (${run.sets.description}); ${trials} retain batches against stage ${o.stage + 1}'s g_f (${stage.length} forget samples; stage 1 is the easiest)`);
  for (const s of summary) console.log(`τ ${s.tau}: the reference's gate (any tensor) opens on ${s.open}/${trials} batches, on ${s.smallOnly} of them only by tensors of ≤ 64 numbers; the whole-model gate on ${s.model}/${trials}`);
  console.log(`whole-model cosine: median ${fmt(median(whole), 3)}, min ${fmt(Math.min(...whole), 3)}, max ${fmt(Math.max(...whole), 3)}`);
  const rows = params
    .map(([k], i) => ({ k, n: size[i]!, med: median(cos[i]!), over: o.taus.map((tau) => cos[i]!.filter((c) => c > tau).length) }))
    .filter((r) => r.over.some((c) => c > 0) || r.n > 1000);
  console.log(renderTable(['tensor', 'numbers', 'median cos', ...o.taus.map((t) => `> ${t}`)], rows.map((r) => [r.k, String(r.n), fmt(r.med, 3), ...r.over.map(String)])));
  run.dispose();
}

try {
  main();
} catch (e) {
  console.error(`gate: ${(e as Error).message}`);
  process.exit(1);
}
