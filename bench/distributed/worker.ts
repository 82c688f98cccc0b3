// One rank of the data-parallel benchmark: `steps` training steps of a model on synthetic data with a fixed
// global batch, timing every step and the part of it spent in collectives. Reports to the launcher.
import { crossEntropy, getNumThreads, manualSeed, tidy } from '../../src/torch/index.js';
import { createModel } from '../../src/models/registry.js';
import type { ModelSpec } from '../../src/models/spec.js';
import { syntheticDataset } from '../../src/data/synthetic.js';
import { SGD } from '../../src/optim/sgd.js';
import { DistributedDataParallel, getRank, initFromEnv, reportResult, runWorker, shardedLoader } from '../../src/distributed/index.js';

const [model = 'smallcnn', batchArg = '128', stepsArg = '40', warmupArg = '5'] = process.argv.slice(2);
const globalBatch = Number(batchArg);
const steps = Number(stepsArg);
const warmup = Number(warmupArg);

await runWorker(() => {
  const group = initFromEnv();
  if (group === null) throw new Error('run me through bench/distributed/run.js (launch)');
  manualSeed(0);
  const spec: ModelSpec = model === 'mlp' ? { name: 'mlp', inChannels: 1, numClasses: 10, imageSize: 28 } : { name: model as ModelSpec['name'], inChannels: 1, numClasses: 10, imageSize: 28 };
  const net = createModel(spec);
  const ddp = new DistributedDataParallel(net);
  const data = syntheticDataset({ n: globalBatch * 8, classes: 10, size: 28, seed: 1 });
  const opt = new SGD([...net.parameters()], { lr: 0.01, momentum: 0.9, weightDecay: 5e-4 });
  const stepMs: number[] = [];
  const commMs: number[] = [];
  const paramBytes = [...net.parameters()].reduce((n, p) => n + 4 * p.numel(), 0);
  let epoch = 0;
  let done = 0;
  while (done < steps + warmup) {
    for (const batch of shardedLoader(data, { globalBatchSize: globalBatch, worldSize: group.worldSize, rank: group.rank, epoch: epoch++, seed: 2 })) {
      const c0 = group.commSeconds;
      const t0 = performance.now();
      tidy(() => {
        opt.zeroGrad();
        crossEntropy(ddp.forward(batch.x), batch.y).backward();
        ddp.syncGradients();
        opt.step();
      });
      const t1 = performance.now();
      batch.dispose();
      if (done >= warmup) {
        stepMs.push(t1 - t0);
        commMs.push((group.commSeconds - c0) * 1000);
      }
      if (++done >= steps + warmup) break;
    }
  }
  // Pure communication: the same gradient all-reduce right after a barrier, so no rank waits for a straggler.
  const pureMs: number[] = [];
  const params = [...net.parameters()];
  for (let i = 0; i < 20; i++) {
    group.barrier();
    const c0 = group.commSeconds;
    tidy(() => ddp.averageTensors_(params.map((p) => p.detach().clone())));
    pureMs.push((group.commSeconds - c0) * 1000);
  }
  reportResult(getRank(), { stepMs, commMs, pureMs, threads: getNumThreads(), paramBytes });
  opt.dispose();
  net.dispose();
  data.dispose();
});
