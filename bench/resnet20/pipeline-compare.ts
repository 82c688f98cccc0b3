// End-to-end epoch, Lethe vs a torchvision-style PyTorch pipeline (issue 4's target: Lethe's epoch, data
// loading and augmentation included, >= 1.5x faster than a per-sample pipeline).
//
// Both sides train resnet20 (option A, 1 channel; batch --batch, SGD lr 0.1 momentum 0.9 wd 5e-4) for one epoch
// over the same seeded subset of Fashion-MNIST's training set (--images, drawn with Lethe's Rng(--seed) and
// written to bench/out/resnet20-subset.txt for both servers), with random crop (pad 4) + horizontal flip:
//  - Lethe: data.DataLoader (shuffle, uint8 -> float batch conversion and augmentation as whole-batch tensor ops);
//  - PyTorch: a Dataset whose __getitem__ converts one uint8 image, pads, random-crops and flips it, and a
//    DataLoader (batch --batch, shuffle, num_workers=0) collating the samples (bench/resnet20/torch_step.py).
// It also times the data pipeline alone (one epoch of batches, no training) on both sides.
//
// The servers are long-lived and run alternately, the first runner alternating each round, so machine noise
// hits both. Figures: medians over rounds of epoch seconds and images/s, and the ratios PyTorch / Lethe of the
// epoch times (> 1: Lethe faster).
//
// Usage: npx tsc -p tsconfig.json && node dist/bench/resnet20/pipeline-compare.js [--rounds 3] [--images 2560]
//        [--dataRounds 5] [--threads N] [--dataThreads 0] [--batch 256] [--seed 0]
// --dataThreads n (Lethe only): build batches with n intra-op threads instead of --threads (0: the same).
import { writeFileSync, mkdirSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../build-cpp.js';
import { Rng } from '../../src/data/random.js';
import { intOptions, median } from '../stats.js';
import { ensureTorch, fmt, run, type Side, startServers, table } from './servers.js';

const FASHION_TRAIN_SIZE = 60000;

async function main(): Promise<void> {
  const envThreads = Number(process.env['LETHE_NUM_THREADS'] ?? '');
  const threads0 = Number.isInteger(envThreads) && envThreads > 0 ? envThreads : availableParallelism();
  const o = intOptions(process.argv.slice(2), { rounds: 3, images: 2560, dataRounds: 5, threads: threads0, dataThreads: 0, batch: 256, seed: 0 }, ['seed', 'dataThreads']);
  if (o.images > FASHION_TRAIN_SIZE) throw new Error(`--images must be at most ${FASHION_TRAIN_SIZE}, got ${o.images}`);
  const torchVersion = ensureTorch();

  const root = repoRoot();
  mkdirSync(join(root, 'bench', 'out'), { recursive: true });
  const subset = join(root, 'bench', 'out', 'resnet20-subset.txt');
  const indices = new Rng(o.seed).permutation(FASHION_TRAIN_SIZE).slice(0, o.images);
  writeFileSync(subset, Array.from(indices).join('\n') + '\n');

  const loadBefore = loadavg()[0]!;
  const servers = await startServers({ threads: o.threads, batch: o.batch, evalBatch: 512, warmup: 1, subset, letheDataThreads: o.dataThreads });
  try {
    const times: Record<'EPOCH' | 'DATA', Record<Side, number[]>> = { EPOCH: { lethe: [], torch: [] }, DATA: { lethe: [], torch: [] } };
    const lastLoss: Record<Side, number> = { lethe: Number.NaN, torch: Number.NaN };
    let turn = 0;
    const both = async (cmd: 'EPOCH' | 'DATA'): Promise<void> => {
      const order: Side[] = turn++ % 2 === 0 ? ['lethe', 'torch'] : ['torch', 'lethe'];
      for (const side of order) {
        const r = await run(servers[side], cmd);
        times[cmd][side].push(r.ms[0]!);
        if (cmd === 'EPOCH') lastLoss[side] = r.loss;
      }
    };
    // The data-only passes are short: several per round, interleaved with the epochs.
    const dataPerRound = Math.ceil(o.dataRounds / o.rounds);
    for (let r = 0; r < o.rounds; r++) {
      await both('EPOCH');
      for (let k = 0; k < dataPerRound; k++) await both('DATA');
      const last = (c: 'EPOCH' | 'DATA', s: Side) => fmt(times[c][s].at(-1)! / 1000, 2);
      process.stderr.write(`  round ${r + 1}/${o.rounds}: epoch s Lethe ${last('EPOCH', 'lethe')} PyTorch ${last('EPOCH', 'torch')}; data-only s Lethe ${last('DATA', 'lethe')} PyTorch ${last('DATA', 'torch')}\n`);
    }
    const leak = (await servers.lethe.ch.quit()) as { leakedTensors?: number };
    await servers.torch.ch.quit();
    const loadAfter = loadavg()[0]!;

    const med = (c: 'EPOCH' | 'DATA', s: Side) => median(times[c][s]);
    const epochRatio = med('EPOCH', 'torch') / med('EPOCH', 'lethe');
    const dataRatio = med('DATA', 'torch') / med('DATA', 'lethe');
    const ips = (ms: number) => fmt((1000 * o.images) / ms, 0);

    console.log(`\nOne epoch of resnet20 training on ${o.images} Fashion-MNIST images (seeded subset, seed ${o.seed}), random crop pad 4 + flip`);
    console.log(`batch ${o.batch}, ${o.threads} threads, PyTorch ${torchVersion} (num_workers=0, per-sample transforms); Lethe batches built with ${o.dataThreads || o.threads} thread(s); ${o.rounds} rounds, ${times.DATA.lethe.length} data-only passes per side, interleaved\n`);
    const rows = [['', 'epoch s', 'epoch images/s', 'data-only s', 'data images/s', 'epoch s per round']];
    for (const [name, side] of [['Lethe (batch tensor ops)', 'lethe'], ['PyTorch (per-sample)', 'torch']] as const) {
      rows.push([name, fmt(med('EPOCH', side) / 1000, 2), ips(med('EPOCH', side)), fmt(med('DATA', side) / 1000, 3), ips(med('DATA', side)), times.EPOCH[side].map((x) => fmt(x / 1000, 1)).join(' ')]);
    }
    console.log(table(rows));
    console.log(`(medians over the rounds)`);
    console.log(`1-minute load average: ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after, on ${availableParallelism()} cores${Math.max(loadBefore, loadAfter) > availableParallelism() * 0.75 ? ' -- a busy machine: trust the ratios more than the absolute figures' : ''}\n`);
    console.log(`end-to-end epoch: Lethe ${epochRatio.toFixed(2)}x faster than PyTorch (${epochRatio >= 1.5 ? 'meets' : 'BELOW'} the 1.5x target)`);
    console.log(`data pipeline alone: Lethe ${dataRatio.toFixed(1)}x faster than PyTorch`);
    console.log(`last epoch loss: Lethe ${lastLoss.lethe.toFixed(4)}, PyTorch ${lastLoss.torch.toFixed(4)}`);
    if (leak.leakedTensors !== 0) console.log(`WARNING: the Lethe side ended with ${leak.leakedTensors} live tensors`);
    console.log(`SUMMARY ${JSON.stringify({ epochRatio, dataRatio, letheEpochMs: med('EPOCH', 'lethe'), torchEpochMs: med('EPOCH', 'torch'), letheDataMs: med('DATA', 'lethe'), torchDataMs: med('DATA', 'torch'), images: o.images, loadBefore, loadAfter, threads: o.threads })}`);
  } finally {
    servers.lethe.ch.kill();
    servers.torch.ch.kill();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`pipeline-compare: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
