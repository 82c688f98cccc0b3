// Which of CUFG's curriculum stages hold the forget samples retrain gets wrong? A diagnostic for random forgetting,
// where retrain misclassifies only a few percent of D_f (its UA) and an unlearned model should too.
//
// The curriculum ranks D_f by the original model's per-sample loss and uses the highest-loss chunk first ("easy to
// forget"). For K stages it prints, per stage in the order CUFG uses them: the original's mean loss and error, and
// retrain's error (its UA within the stage), mean true-class confidence and share of all the D_f samples it gets
// wrong. If retrain's errors sit in the first stage, the later stages ask the corrector to forget samples retrain
// still classifies correctly.
//
//   node dist/bench/cufg/stages.js --from .cache/lethe/models/original-resnet20-… --retrain .cache/lethe/models/retrain-resnet20-…
//     [--forget random:0.1] [--stages 3,10]
import type { Module } from '../../src/nn/module.js';
import { DataLoader } from '../../src/data/loader.js';
import type { TensorDataset } from '../../src/data/dataset.js';
import { noGrad, tidy } from '../../src/torch/index.js';
import { prepareFromCheckpoint } from '../../src/cli/unlearning.js';
import { openCheckpoint } from '../../src/cli/checkpoints.js';
import { curriculumFromScores, difficultyScores } from '../../src/unlearn/blocks/curriculum.js';
import { fmt, renderTable } from '../../src/cli/table.js';
import { textOptions } from '../stats.js';

function args(argv: readonly string[]): { from: string; retrain: string; forget: string; stages: number[] } {
  const o = textOptions(argv, ['from', 'retrain', 'forget', 'stages'], '--from DIR --retrain DIR [--forget SPEC] [--stages LIST]');
  if (!o['from'] || !o['retrain']) throw new Error('--from DIR (the original checkpoint) and --retrain DIR (its retrain) are required');
  const stages = (o['stages'] ?? '3,10').split(',').map(Number);
  if (!stages.every((k) => Number.isInteger(k) && k >= 1)) throw new Error(`--stages must be a comma-separated list of positive integers, got '${o['stages']}'`);
  return { from: o['from'], retrain: o['retrain'], forget: o['forget'] ?? 'random:0.1', stages };
}

/** 1 where `model` (eval mode) predicts a forget sample's label, else 0, indexed like D_f. */
function correct(model: Module, data: TensorDataset): Uint8Array {
  model.eval();
  const out = new Uint8Array(data.size);
  let pos = 0;
  for (const b of new DataLoader(data, { batchSize: 512 })) {
    try {
      const hits = tidy(() => noGrad(() => model.forward(b.x).argmax(1).eq(b.y).toTypedArray())) as ArrayLike<number | boolean>;
      for (let i = 0; i < hits.length; i++) out[pos + i] = hits[i] ? 1 : 0;
      pos += hits.length;
    } finally {
      b.dispose();
    }
  }
  return out;
}

function main(): void {
  const o = args(process.argv.slice(2));
  const run = prepareFromCheckpoint(o.from, o.forget, { flag: '--from' });
  const retrain = openCheckpoint(o.retrain, '--retrain').model;
  try {
    const forget = run.sets.forget;
    const originalRight = correct(run.original, forget);
    const retrainRight = correct(retrain, forget);
    // 1 − p_true under retrain: its mean within a stage is how unsure retrain is of those samples
    const retrainDoubt = difficultyScores(retrain, forget, 'confidence');
    // the original's per-sample loss, scored once: every K cuts the same ranking
    const losses = difficultyScores(run.original, forget, 'loss');
    const wrong = retrainRight.reduce((s, v) => s + 1 - v, 0);
    console.log(`# curriculum stages of D_f (${run.sets.description}) against retrain ${o.retrain}`);
    console.log(`# retrain gets ${wrong} of ${forget.size} wrong (UA ${fmt((100 * wrong) / forget.size)}); the original ${forget.size - originalRight.reduce((s, v) => s + v, 0)}`);
    for (const K of o.stages) {
      const c = curriculumFromScores(losses, { stages: K });
      const rows = c.stages.map((idx, s) => {
        let loss = 0, origWrong = 0, reWrong = 0, doubt = 0;
        for (const i of idx) {
          loss += c.scores[i]!;
          origWrong += 1 - originalRight[i]!;
          reWrong += 1 - retrainRight[i]!;
          doubt += retrainDoubt[i]!;
        }
        const n = idx.length;
        return [String(s + 1), String(n), loss / n < 0.01 ? (loss / n).toExponential(2) : fmt(loss / n), fmt((100 * origWrong) / n), fmt((100 * reWrong) / n), fmt(1 - doubt / n), fmt((100 * reWrong) / Math.max(1, wrong))];
      });
      console.log(`\nK = ${K} (stage 1 is used first: the highest original loss)`);
      console.log(renderTable(['stage', 'samples', 'original loss', 'original err %', 'retrain err % (UA)', 'retrain p_true', '% of retrain\u2019s errors'], rows));
    }
  } finally {
    retrain.dispose();
    run.dispose();
  }
}

try {
  main();
} catch (e) {
  console.error(`stages: ${(e as Error).message}`);
  process.exit(1);
}
