// Worker for equivalence.test.ts: distributedFit of a small MLP on synthetic data; reports the final weights,
// memory after every step, the replica difference and (rank 0) writes checkpoints when asked.
import { manualSeed, memory } from '../../../src/torch/index.js';
import { createModel } from '../../../src/models/registry.js';
import { syntheticDataset } from '../../../src/data/synthetic.js';
import { saveCheckpoint } from '../../../src/train/checkpoint.js';
import { distributedFit, DistributedDataParallel, getRank, initFromEnv, reportResult, runWorker } from '../../../src/distributed/index.js';
import { notifyLauncher } from '../../../src/distributed/protocol.js';
import { FIT_CASE } from './fit-case.js';

const checkpointDir = process.argv[2];
const epochs = Number(process.argv[3] ?? FIT_CASE.recipe.epochs);

await runWorker(async () => {
  initFromEnv();
  manualSeed(getRank() + 100); // different initial weights per rank: the DDP broadcast must fix that
  const model = createModel(FIT_CASE.spec);
  const data = syntheticDataset(FIT_CASE.data);
  const ddp = new DistributedDataParallel(model);
  const memoryPerStep: number[][] = [];
  await distributedFit(model, data, {
    recipe: { ...FIT_CASE.recipe, epochs },
    seed: FIT_CASE.seed,
    ddp,
    onStep: () => {
      const m = memory();
      memoryPerStep.push([m.numTensors, m.numBytes]);
    },
    onCheckpoint: (state) => {
      if (checkpointDir) {
        saveCheckpoint(checkpointDir, model, FIT_CASE.spec, { kind: 'test', epoch: state.epoch });
        notifyLauncher({ type: 'result', rank: 0, data: { checkpoint: state.epoch } });
      }
    },
  });
  const weights: Record<string, number[]> = {};
  for (const [name, p] of model.namedParameters()) weights[name] = Array.from(p.toTypedArray() as Float32Array);
  reportResult(getRank(), { weights, memoryPerStep, replicaDifference: ddp.maxReplicaDifference() });
  model.dispose();
  data.dispose();
});
