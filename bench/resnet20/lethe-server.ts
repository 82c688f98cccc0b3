// The Lethe side of bench/resnet20/{train,pipeline}-compare: resnet20 (CIFAR option A, 1 input channel) on
// Fashion-MNIST through Lethe's own API (createModel, model.forward, crossEntropy, optim.SGD, data.DataLoader),
// as a line-protocol server. The protocol and the loop are those of bench/resnet20/torch_step.py:
//
//   stdout `READY {json}` after the warm-up; then, per stdin line,
//   TRAIN n  -> n training steps on fixed pre-converted batches  -> `TIMES <last loss> <process CPU ms> <ms> ...`
//   EVAL n   -> n forward passes under noGrad on fixed batches of --evalBatch     -> same TIMES line
//   EPOCH    -> one end-to-end epoch over the --subset images: DataLoader (shuffle, whole-batch crop pad 4 +
//               flip) feeding the training step                 -> `TIMES <last loss> <CPU ms> <epoch ms>`
//   DATA     -> the same DataLoader epoch without training       -> `TIMES 0 <CPU ms> <epoch ms>`
//   QUIT     -> `DONE {"leakedTensors": n}`
//
// Usage (normally started by the compare scripts): node dist/bench/resnet20/lethe-server.js --threads 2
//   [--dataThreads 0 (= --threads)] [--batch 256] [--evalBatch 512] [--warmup 2] [--seed 0] [--subset file]
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { DataLoader, loadFashionMnist } from '../../src/data/index.js';
import { createModel } from '../../src/models/index.js';
import { SGD } from '../../src/optim/index.js';
import { crossEntropy, getNumThreads, keep, libtorch, manualSeed, memory, noGrad, setNumThreads, type Tensor, tidy } from '../../src/torch/index.js';
import { intOptions } from '../stats.js';

function parseArgs(argv: readonly string[]): { threads: number; dataThreads: number; batch: number; evalBatch: number; warmup: number; seed: number; subset: string } {
  // --subset is a path; the rest are integers (intOptions rejects typos).
  const rest: string[] = [];
  let subset = '';
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--subset') subset = argv[++i] ?? '';
    else rest.push(argv[i]!);
  }
  const o = intOptions(rest, { threads: 0, dataThreads: 0, batch: 256, evalBatch: 512, warmup: 2, seed: 0 }, ['warmup', 'seed', 'threads', 'dataThreads']);
  if (o.threads < 1) throw new Error('--threads N is required');
  return { ...o, subset };
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const baseline = memory().numTensors;
  setNumThreads(o.threads);
  manualSeed(o.seed);
  const { train, test } = loadFashionMnist();
  test.dispose();
  const model = createModel({ name: 'resnet20', inChannels: 1, numClasses: 10, mean: [0.286], std: [0.353] });
  const opt = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9, weightDecay: 5e-4 });

  // Fixed batches for TRAIN / EVAL, converted once, so those commands time compute only (as torch_step.py).
  const nfix = 4;
  const trainX = keep(tidy(() => train.images.narrow(0, 0, nfix * o.batch).to('float32').div(255)));
  const trainY = keep(tidy(() => train.labels.narrow(0, 0, nfix * o.batch).clone()));
  const evalX = keep(tidy(() => train.images.narrow(0, 0, 2 * o.evalBatch).to('float32').div(255)));

  const trainStep = (x: Tensor, y: Tensor): number =>
    tidy(() => {
      const loss = crossEntropy(model.forward(x), y);
      opt.zeroGrad();
      loss.backward();
      opt.step();
      return loss.item();
    });
  let trainCount = 0;
  let evalCount = 0;
  const fixedTrainStep = (): number => {
    const j = trainCount++ % nfix;
    model.train();
    return tidy(() => trainStep(trainX.narrow(0, j * o.batch, o.batch), trainY.narrow(0, j * o.batch, o.batch)));
  };
  const fixedEvalStep = (): number => {
    const j = evalCount++ % 2;
    model.eval();
    return noGrad(() => tidy(() => model.forward(evalX.narrow(0, j * o.evalBatch, o.evalBatch)).sum().item()));
  };

  let loader: DataLoader | null = null;
  if (o.subset !== '') {
    const indices = readFileSync(o.subset, 'utf8').split('\n').filter((l) => l.trim() !== '').map(Number);
    loader = new DataLoader(train, { batchSize: o.batch, shuffle: true, seed: o.seed, augment: { cropPadding: 4, flip: true }, indices });
  }

  let firstLoss = Number.NaN;
  for (let i = 0; i < o.warmup; i++) {
    const l = fixedTrainStep();
    fixedEvalStep();
    if (i === 0) firstLoss = l;
  }
  const params = [...model.parameters()].reduce((n, p) => n + p.numel(), 0);
  const meta = { impl: 'lethe', libtorch: libtorch.version(), threads: getNumThreads(), batch: o.batch, evalBatch: o.evalBatch, firstLoss, params };
  process.stdout.write(`READY ${JSON.stringify(meta)}\n`);

  for await (const line of createInterface({ input: process.stdin })) {
    const [cmd, arg] = line.trim().split(/\s+/);
    if (cmd === 'QUIT') break;
    const cpu0 = process.cpuUsage();
    const times: number[] = [];
    let loss = 0;
    if (cmd === 'TRAIN' || cmd === 'EVAL') {
      const n = Number(arg);
      if (!Number.isInteger(n) || n < 1) throw new Error(`bad command '${line}': ${cmd} needs a positive step count`);
      const fn = cmd === 'TRAIN' ? fixedTrainStep : fixedEvalStep;
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        loss = fn();
        times.push(performance.now() - t0);
      }
    } else if ((cmd === 'EPOCH' || cmd === 'DATA') && loader !== null) {
      const t0 = performance.now();
      model.train();
      // --dataThreads n: build each batch with n intra-op threads, train with --threads. The batch ops are small
      // (~200k elements), and with 2 OpenMP threads on a loaded 2-core machine each one can stall for ms at its
      // barrier waiting for a descheduled thread; one thread avoids that (see README.md).
      const it = loader[Symbol.iterator]();
      for (;;) {
        if (o.dataThreads > 0) setNumThreads(o.dataThreads);
        const next = it.next();
        if (o.dataThreads > 0) setNumThreads(o.threads);
        if (next.done === true) break;
        const batch = next.value;
        if (cmd === 'EPOCH') loss = trainStep(batch.x, batch.y);
        batch.dispose();
      }
      times.push(performance.now() - t0);
    } else {
      throw new Error(`bad command '${line}' (TRAIN n, EVAL n, EPOCH, DATA with --subset, QUIT)`);
    }
    const cpu = process.cpuUsage(cpu0);
    process.stdout.write(`TIMES ${loss} ${((cpu.user + cpu.system) / 1000).toFixed(4)} ${times.map((t) => t.toFixed(4)).join(' ')}\n`);
  }
  for (const t of [trainX, trainY, evalX]) t.dispose();
  opt.dispose();
  model.dispose();
  train.dispose();
  process.stdout.write(`DONE ${JSON.stringify({ leakedTensors: memory().numTensors - baseline })}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`lethe-server: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exitCode = 1;
});
