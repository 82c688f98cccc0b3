// Where does CUFG's corrected step point? A diagnostic of the corrector's direction on a trained model, for the
// question "why does CUFG lose retain/test accuracy as fast as it forgets" (README, full-scale CUFG notes).
//
// For a number of retain batches B_r (eval mode, so the model is not changed), it forms the corrected direction u of
// the corrector (gate forced open, β = 1, 'weighted' normalisation, as the full-scale recipe) from
//   g_r = ∇ CE(B_r)   and   g_f = ∇ −CE on the easiest curriculum stage's forget subset,
// once with g_f over the whole subset (the reference) and once with g_f over one batch of it drawn afresh
// (what forgetBatches=1 would do; not an option: it measured less specific), and prints the first-order change of three big-sample losses along a step θ ← θ − η·u:
//   dL/dη = −⟨∇L, u⟩  for L_f (all of D_f), L_test (the test set: generalisation), L_r (D_r, other batches).
// Unlearning a random forget set should raise L_f without raising L_test; "specificity" = dL_f − dL_test.
//
//   node dist/bench/cufg/direction.js --from .cache/lethe/models/original-resnet20-… [--forget random:0.1]
//     [--trials 12] [--seed 1] [--samples 5120] [--etas 0.01,0.03,0.1]
import type { Module } from '../../src/nn/module.js';
import { DataLoader } from '../../src/data/loader.js';
import type { TensorDataset } from '../../src/data/dataset.js';
import { crossEntropy, keep, noGrad, tidy, type Tensor } from '../../src/torch/index.js';
import { prepareFromCheckpoint } from '../../src/cli/unlearning.js';
import { accumulateGradients, disposeGradients, type Gradients } from '../../src/unlearn/blocks/gradients.js';
import { buildCurriculum } from '../../src/unlearn/blocks/curriculum.js';
import { range } from '../../src/util/range.js';
import { correctGradients, CORRECTOR_DEFAULTS } from '../../src/unlearn/blocks/corrector.js';
import { deriveSeed, Rng } from '../../src/data/random.js';
import { integerOption, median, textOptions } from '../stats.js';

function args(argv: readonly string[]): { from: string; forget: string; trials: number; seed: number; samples: number; etas: number[] } {
  const o = textOptions(argv, ['from', 'forget', 'trials', 'seed', 'samples', 'etas'], '--from DIR [--forget SPEC] [--trials N] [--seed N] [--samples N] [--etas LIST]');
  if (!o['from']) throw new Error('--from DIR (an original checkpoint) is required');
  const count = (key: string, fallback: number, min: number): number => integerOption(o, key, fallback, min);
  const etas = (o['etas'] ?? '0.01,0.03,0.1').split(',').map(Number);
  if (!etas.every((e) => Number.isFinite(e) && e > 0)) throw new Error(`--etas must be a comma-separated list of positive step sizes, got '${o['etas']}'`);
  return { from: o['from'], forget: o['forget'] ?? 'random:0.1', trials: count('trials', 12, 1), seed: count('seed', 1, 0), samples: count('samples', 5120, 1), etas };
}

/** The mean gradient of sign·CE over the given samples of `data` (sign 1: the descent direction; −1: g_f). */
function meanGradient(model: Module, params: [string, Tensor][], data: TensorDataset, indices: Int32Array, sign = 1): Gradients {
  return accumulateGradients(model, new DataLoader(data, { batchSize: 256, indices }), (b) => crossEntropy(model.forward(b.x), b.y).mul(sign), { params, reduce: 'mean' });
}

/**
 * g_r of `count` shuffled retain batches drawn from the samples the retain probe does not use (positions `samples`
 * onwards), with their 1-based numbers; the caller disposes each.
 */
function* retainBatchGradients(model: Module, params: [string, Tensor][], retain: TensorDataset, o: { samples: number; seed: number }, label: string, count: number): Generator<{ gr: Gradients; t: number }> {
  let t = 0;
  for (const batch of new DataLoader(retain, { batchSize: 256, shuffle: true, seed: deriveSeed(o.seed, label), indices: range(o.samples, retain.size) })) {
    if (t++ >= count) {
      batch.dispose();
      return;
    }
    // (accumulateGradients disposes the batch)
    yield { gr: accumulateGradients(model, [batch], (b) => crossEntropy(model.forward(b.x), b.y), { params }), t };
  }
}

function main(): void {
  const o = args(process.argv.slice(2));
  const run = prepareFromCheckpoint(o.from, o.forget, { flag: '--from' });
  const model = run.original;
  model.eval();
  const params = [...model.namedParameters()].filter(([, p]) => p.requiresGrad);
  const { forget, retain, test } = run.sets;
  const probe = { f: meanGradient(model, params, forget, range(0, forget.size)), test: meanGradient(model, params, test, range(0, test.size)), r: meanGradient(model, params, retain, range(0, Math.min(o.samples, retain.size))) };
  const stage = buildCurriculum(model, forget).subsetAt(0); // the easiest stage, used first
  const whole = meanGradient(model, params, forget, stage, -1);
  const corrector = { ...CORRECTOR_DEFAULTS, normalization: 'weighted' as const, tau0: -2 };
  const rate = (g: Gradients, u: (Tensor | null)[]): number =>
    tidy(() => noGrad(() => -params.reduce((s, [k], i) => s + (u[i] ? g.get(k)!.flatten().dot(u[i]!.flatten()).item() : 0), 0)));
  const rows: Record<string, number[]> = {};
  for (const { gr, t } of retainBatchGradients(model, params, retain, o, 'direction', o.trials)) {
    const one = meanGradient(model, params, forget, new Rng(deriveSeed(o.seed, 'draw', t)).shuffleInPlace(stage.slice()).slice(0, 256).sort(), -1);
    try {
      for (const [name, gf] of [['whole subset', whole], ['one batch', one]] as const) {
        const out = correctGradients(params.map(([k]) => gr.get(k)!), params.map(([k]) => gf.get(k)!), corrector, 0, 0);
        const dF = rate(probe.f, out.grads);
        const dT = rate(probe.test, out.grads);
        const dR = rate(probe.r, out.grads);
        for (const [k, v] of [['dL_f', dF], ['dL_test', dT], ['dL_r', dR], ['specificity', dF - dT]] as const) (rows[`${name} ${k}`] ??= []).push(v);
        out.grads.forEach((g) => g?.dispose());
      }
    } finally {
      disposeGradients(gr);
      disposeGradients(one);
    }
  }
  finiteSteps(model, params, run.sets, whole, o, corrector);
  console.log(`# CUFG corrected direction u on ${o.from} (${run.sets.description}); ${o.trials} retain batches; medians of −⟨∇L, u⟩`);
  for (const [k, v] of Object.entries(rows)) console.log(`${k.padEnd(28)} ${median(v).toExponential(3)}   (min ${Math.min(...v).toExponential(2)}, max ${Math.max(...v).toExponential(2)})`);
  for (const g of [probe.f, probe.test, probe.r, whole]) disposeGradients(g);
  run.dispose();
}

/** Mean CE of `model` on the first `n` samples of `data` (eval mode). */
function meanLoss(model: Module, data: TensorDataset, n: number): number {
  let sum = 0;
  let count = 0;
  for (const b of new DataLoader(data, { batchSize: 512, indices: range(0, Math.min(n, data.size)) })) {
    try {
      sum += tidy(() => noGrad(() => crossEntropy(model.forward(b.x), b.y, { reduction: 'sum' }).item()));
      count += b.y.shape[0]!;
    } finally {
      b.dispose();
    }
  }
  return sum / count;
}

/**
 * The corrected step's length per tensor decides how far a finite step strays from its first-order promise. For a few
 * retain batches, three ways to distribute the same global step length over the tensors, each taken at several η
 * (θ − η·u, then restored): 'unit' (the reference: unit norm per tensor), 'relative' (per tensor ∝ ‖θ_l‖, as LARS),
 * 'global' (the bisector of the whole-model normalised gradients). Prints the change of the forget, test and
 * (held-out part of) retain losses.
 */
function finiteSteps(model: Module, params: [string, Tensor][], sets: { forget: TensorDataset; retain: TensorDataset; test: TensorDataset }, whole: Gradients, o: { trials: number; seed: number; samples: number; etas: number[] }, corrector: typeof CORRECTOR_DEFAULTS): void {
  const n = 2048;
  const base = { f: meanLoss(model, sets.forget, n), test: meanLoss(model, sets.test, n), r: meanLoss(model, sets.retain, n) };
  const saved = params.map(([, p]) => keep(noGrad(() => p.clone())));
  const out: Record<string, number[][]> = {};
  for (const { gr } of retainBatchGradients(model, params, sets.retain, o, 'finite', Math.min(o.trials, 6))) {
    const unit = correctGradients(params.map(([k]) => gr.get(k)!), params.map(([k]) => whole.get(k)!), corrector, 0, 0).grads as Tensor[];
    const spread: Record<string, Tensor[]> = tidy(() =>
      noGrad(() => {
        const L = Math.sqrt(params.length);
        const scaleTo = (us: Tensor[]): Tensor[] => {
          const norm = Math.sqrt(us.reduce((s, u) => s + u.pow(2).sum().item(), 0));
          return us.map((u) => u.mul(L / norm));
        };
        const relative = scaleTo(unit.map((u, i) => u.mul(params[i]![1].norm().item())));
        const globalNorm = (g: Gradients) => Math.sqrt(params.reduce((s, [k]) => s + g.get(k)!.pow(2).sum().item(), 0));
        const nr = globalNorm(gr);
        const nf = globalNorm(whole);
        const global = scaleTo(params.map(([k]) => gr.get(k)!.div(nr).add(whole.get(k)!.div(nf))));
        return { relative, global };
      }),
    );
    for (const [name, us] of Object.entries({ unit, ...spread })) {
      for (const eta of o.etas) {
        noGrad(() => params.forEach(([, p], i) => p.sub_(us[i]!, eta)));
        (out[`${name} η ${eta}`] ??= []).push([meanLoss(model, sets.forget, n) - base.f, meanLoss(model, sets.test, n) - base.test, meanLoss(model, sets.retain, n) - base.r]);
        noGrad(() => params.forEach(([, p], i) => p.copy_(saved[i]!)));
      }
      us.forEach((u) => u.dispose());
    }
    disposeGradients(gr);
  }
  saved.forEach((s) => s.dispose());
  console.log(`# finite steps θ − η·u (global length √L, L = ${params.length} tensors); mean over ${Math.min(o.trials, 6)} retain batches of the loss change on ${n} samples each`);
  console.log('variant η            ΔL_forget   ΔL_test  ΔL_retain  ΔL_f − ΔL_test');
  for (const [k, rows] of Object.entries(out)) {
    const m = [0, 1, 2].map((c) => rows.reduce((a, r) => a + r[c]!, 0) / rows.length);
    console.log(`${k.padEnd(20)} ${m.map((x) => x.toFixed(4).padStart(9)).join('  ')}  ${(m[0]! - m[1]!).toFixed(4).padStart(9)}`);
  }
}

try {
  main();
} catch (e) {
  console.error(`direction: ${(e as Error).message}`);
  process.exit(1);
}
