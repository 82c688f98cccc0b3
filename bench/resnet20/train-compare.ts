// Lethe vs PyTorch 1.13 (Debian's python3-torch, same libtorch) on resnet20 training and evaluation throughput
// (issue 4's speed target: Lethe's training images/s >= PyTorch's on the same machine in the same run).
//
// Model: resnet20 CIFAR option A, 1 input channel, 10 classes, mean 0.286 / std 0.353 folded in. Training step:
// batch --batch (256) of Fashion-MNIST, cross-entropy, SGD lr 0.1 momentum 0.9 weight decay 5e-4. Evaluation:
// forward under no-grad on batches of --evalBatch (512). Both sides cycle over the same fixed, pre-converted
// batches, so this measures the model step only (pipeline-compare.ts measures data loading too).
//
// The two servers (lethe-server.ts and torch_step.py) are long-lived and stepped alternately, --block steps at
// a time with the first runner alternating, so a job that starts elsewhere on this shared machine slows both
// sides instead of one side's round. Figures: the median over rounds of each round's median step time, as
// images/s, and the ratio Lethe / PyTorch of images/s (> 1: Lethe faster); plus the median of the paired
// per-block ratios as a noise-robust cross-check.
//
// Usage: npx tsc -p tsconfig.json && node dist/bench/resnet20/train-compare.js [--rounds 5] [--steps 4]
//        [--evalSteps 3] [--block 1] [--threads N] [--warmup 2] [--batch 256] [--evalBatch 512]
import { availableParallelism, loadavg } from 'node:os';
import { intOptions, median } from '../stats.js';
import { ensureTorch, fmt, run, type Server, type Side, startServers, table } from './servers.js';

async function main(): Promise<void> {
  const envThreads = Number(process.env['LETHE_NUM_THREADS'] ?? '');
  const threads0 = Number.isInteger(envThreads) && envThreads > 0 ? envThreads : availableParallelism();
  const o = intOptions(process.argv.slice(2), { rounds: 5, steps: 4, evalSteps: 3, block: 1, threads: threads0, warmup: 2, batch: 256, evalBatch: 512 }, ['warmup', 'evalSteps']);
  const torchVersion = ensureTorch();
  const loadBefore = loadavg()[0]!;
  const t0 = performance.now();
  const servers = await startServers(o);
  try {
    process.stderr.write(`servers ready (${fmt((performance.now() - t0) / 1000)} s); ${o.rounds} rounds x (${o.steps} train + ${o.evalSteps} eval steps) per side, blocks of ${o.block}\n`);
    type Kind = 'train' | 'eval';
    const times: Record<Kind, Record<Side, number[][]>> = { train: { lethe: [], torch: [] }, eval: { lethe: [], torch: [] } };
    const blockRatios: Record<Kind, number[]> = { train: [], eval: [] };
    const lastLoss: Record<Side, number> = { lethe: Number.NaN, torch: Number.NaN };
    let turn = 0;
    const phase = async (kind: Kind, r: number, total: number): Promise<void> => {
      times[kind].lethe.push([]);
      times[kind].torch.push([]);
      for (let done = 0; done < total; done += o.block) {
        const n = Math.min(o.block, total - done);
        const order: Side[] = turn++ % 2 === 0 ? ['lethe', 'torch'] : ['torch', 'lethe'];
        const blockMs: Partial<Record<Side, number>> = {};
        for (const side of order) {
          const res = await run(servers[side], `${kind === 'train' ? 'TRAIN' : 'EVAL'} ${n}`);
          times[kind][side][r]!.push(...res.ms);
          blockMs[side] = res.ms.reduce((a, b) => a + b, 0);
          if (kind === 'train') lastLoss[side] = res.loss;
        }
        blockRatios[kind].push(blockMs.torch! / blockMs.lethe!);
      }
    };
    for (let r = 0; r < o.rounds; r++) {
      await phase('train', r, o.steps);
      if (o.evalSteps > 0) await phase('eval', r, o.evalSteps);
      const m = (k: Kind, s: Side) => (times[k][s][r]!.length ? fmt(median(times[k][s][r]!)) : '-');
      process.stderr.write(`  round ${r + 1}/${o.rounds}: train ms Lethe ${m('train', 'lethe')} PyTorch ${m('train', 'torch')}; eval ms Lethe ${m('eval', 'lethe')} PyTorch ${m('eval', 'torch')}\n`);
    }
    const leak = (await servers.lethe.ch.quit()) as { leakedTensors?: number };
    await servers.torch.ch.quit();
    const loadAfter = loadavg()[0]!;

    const summary = (kind: Kind, side: Side, batch: number) => {
      const roundMedians = times[kind][side].map((t) => median(t));
      const ms = median(roundMedians);
      return { ms, imagesPerSec: (1000 * batch) / ms, roundMedians };
    };
    const res = {
      train: { lethe: summary('train', 'lethe', o.batch), torch: summary('train', 'torch', o.batch) },
      eval: o.evalSteps > 0 ? { lethe: summary('eval', 'lethe', o.evalBatch), torch: summary('eval', 'torch', o.evalBatch) } : null,
    };
    const trainRatio = res.train.lethe.imagesPerSec / res.train.torch.imagesPerSec;
    const evalRatio = res.eval ? res.eval.lethe.imagesPerSec / res.eval.torch.imagesPerSec : Number.NaN;
    const meta = (s: Server) => s.meta;

    console.log(`\nresnet20 (CIFAR option A, 1x28x28 Fashion-MNIST, ${meta(servers.lethe).params} parameters Lethe / ${meta(servers.torch).params} PyTorch)`);
    console.log(`train: batch ${o.batch}, SGD lr 0.1 momentum 0.9 wd 5e-4, cross-entropy; eval: batch ${o.evalBatch}, no-grad forward`);
    console.log(`${o.threads} threads (Lethe ${meta(servers.lethe).threads}, PyTorch ${meta(servers.torch).threads}); libtorch ${meta(servers.lethe).libtorch}, PyTorch ${torchVersion}; ${o.rounds} rounds, interleaved in blocks of ${o.block}\n`);
    const rows = [['', 'train ms/step', 'train images/s', 'eval ms/batch', 'eval images/s', 'train round medians (ms)']];
    for (const [name, side] of [['Lethe', 'lethe'], ['PyTorch', 'torch']] as const) {
      rows.push([
        name,
        fmt(res.train[side].ms),
        fmt(res.train[side].imagesPerSec, 0),
        res.eval ? fmt(res.eval[side].ms) : '-',
        res.eval ? fmt(res.eval[side].imagesPerSec, 0) : '-',
        res.train[side].roundMedians.map((x) => fmt(x, 0)).join(' '),
      ]);
    }
    console.log(table(rows));
    console.log(`(medians over rounds of the per-round median; images/s = batch / that time)`);
    console.log(`1-minute load average: ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after, on ${availableParallelism()} cores${Math.max(loadBefore, loadAfter) > availableParallelism() * 0.75 ? ' -- a busy machine: trust the ratios more than the absolute figures' : ''}\n`);
    console.log(`training images/s Lethe / PyTorch = ${trainRatio.toFixed(3)} (${trainRatio >= 1 ? 'meets' : 'BELOW'} the >= 1 target); paired per-block ratio (median) = ${median(blockRatios.train).toFixed(3)}`);
    if (res.eval) console.log(`evaluation images/s Lethe / PyTorch = ${evalRatio.toFixed(3)}; paired per-block ratio (median) = ${median(blockRatios.eval).toFixed(3)}`);
    console.log(`loss: Lethe ${meta(servers.lethe).firstLoss.toFixed(4)} -> ${lastLoss.lethe.toFixed(4)}, PyTorch ${meta(servers.torch).firstLoss.toFixed(4)} -> ${lastLoss.torch.toFixed(4)} `);
    // Same seed and the same draw order: identical initial weights and batches, so the losses agree to float rounding.
    if (Math.abs(meta(servers.lethe).firstLoss - meta(servers.torch).firstLoss) > 1e-3) console.log('WARNING: the first losses differ: the two sides do not compute the same thing');
    if (meta(servers.lethe).params !== meta(servers.torch).params) console.log('WARNING: the two models have different parameter counts');
    if (leak.leakedTensors !== 0) console.log(`WARNING: the Lethe side ended with ${leak.leakedTensors} live tensors`);
    console.log(`SUMMARY ${JSON.stringify({ trainRatio, evalRatio, lethe: { train: res.train.lethe.imagesPerSec, eval: res.eval?.lethe.imagesPerSec }, torch: { train: res.train.torch.imagesPerSec, eval: res.eval?.torch.imagesPerSec }, loadBefore, loadAfter, threads: o.threads })}`);
  } finally {
    servers.lethe.ch.kill();
    servers.torch.ch.kill();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`train-compare: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
