// Lethe vs plain C++ libtorch on the same small-CNN training step (issue 3's speed target: Lethe within 5%).
//
// Builds bench/cpp (cmake; ninja when available) into bench/out/cpp-build, reusing the build when it is up to
// date, then starts the C++ program and the Lethe script (bench/cnn-step.ts) side by side as step servers
// (--serve 1) and drives them in lockstep: each round gives each side --steps steps, interleaved in blocks of
// --block steps (default 1) with the first runner alternating every block. Interleaving this finely matters on
// a shared machine: a compile or test job that starts elsewhere slows both sides for the same steps instead of
// landing on one side's round (measured here: separate back-to-back runs gave per-round ratios from 0.45 to 1.4).
// Only one side computes at a time; the other waits on its stdin.
//
// Figures: per side, the median step time of each round and the median of those round medians (the headline);
// the ratio Lethe / C++ of the headline figures; and, as a noise-robust cross-check, the median of the paired
// per-block ratios.
//
// Usage: npx tsc -p tsconfig.json && node dist/bench/cnn-step-compare.js [--steps 30] [--rounds 5]
//        [--threads N] [--warmup 5] [--batch 128] [--block 1]
import { existsSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { buildCpp, repoRoot } from './build-cpp.js';
import { ChildLineChannel } from './child-line-channel.js';
import { intOptions, mean, median } from './stats.js';

interface ServerMeta {
  impl: string;
  libtorch: string;
  threads: number;
  batch: number;
  firstLoss: number;
}

/** A started step server (C++ or Lethe), warmed up. */
async function startServer(what: string, cmd: string, args: readonly string[], root: string, env: NodeJS.ProcessEnv) {
  const ch = new ChildLineChannel(what, cmd, args, { cwd: root, env });
  const meta = JSON.parse(await ch.expect('READY')) as ServerMeta;
  return { ch, meta };
}

/** Runs n steps on a server; returns the per-step wall milliseconds, the process CPU ms of the n steps, the last loss. */
async function steps(ch: ChildLineChannel, n: number): Promise<{ ms: number[]; cpuMs: number; loss: number }> {
  ch.send(`STEP ${n}`);
  const [loss, cpuMs, ...ms] = (await ch.expect('TIMES')).split(' ').map(Number);
  if (ms.length !== n || !Number.isFinite(cpuMs) || ms.some((x) => !Number.isFinite(x))) throw new Error(`${ch.what}: malformed TIMES line`);
  return { ms, cpuMs: cpuMs!, loss: loss! };
}

const fmt = (x: number, d = 1): string => x.toFixed(d);

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')).join('\n');
}

type Side = 'cpp' | 'lethe';

async function main(): Promise<void> {
  const envThreads = Number(process.env['LETHE_NUM_THREADS'] ?? '');
  const defaultThreads = Number.isInteger(envThreads) && envThreads > 0 ? envThreads : availableParallelism();
  const o = intOptions(process.argv.slice(2), { steps: 30, rounds: 5, threads: defaultThreads, warmup: 5, batch: 128, block: 1 }, ['warmup']);
  const { rounds, threads, warmup, batch, block } = o;
  const perRound = o.steps;

  const root = repoRoot();
  const t0 = performance.now();
  const cppBin = join(buildCpp(root), 'cnn_step');
  process.stderr.write(`C++ reference ready: ${cppBin} (${fmt((performance.now() - t0) / 1000)} s)\n`);
  const letheScript = join(root, 'dist', 'bench', 'cnn-step.js');
  if (!existsSync(letheScript)) throw new Error(`${letheScript} is missing: compile first with npx tsc -p tsconfig.json`);

  const common = ['--warmup', String(warmup), '--threads', String(threads), '--batch', String(batch), '--seed', '0', '--serve', '1'];
  // The child's import-time default and its explicit --threads agree, so nothing else can change the count.
  const env = { ...process.env, LETHE_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads) };
  // Started (and warmed up) one after the other, so the warm-ups do not compete.
  const cpp = await startServer('C++ cnn_step', cppBin, common, root, env);
  // LETHE_BENCH_NODE_ARGS: extra node/V8 flags for the Lethe side only (experiments such as --single-threaded-gc).
  const nodeArgs = (process.env['LETHE_BENCH_NODE_ARGS'] ?? '').split(/\s+/).filter((x) => x !== '');
  const lethe = await startServer('Lethe cnn-step', process.execPath, [...nodeArgs, letheScript, ...common], root, env);
  const servers = { cpp, lethe };
  try {
    process.stderr.write(`${rounds} rounds x ${perRound} steps per side (after ${warmup} warm-up), interleaved in blocks of ${block}; batch ${batch}, ${threads} threads\n`);
    const times: Record<Side, number[][]> = { cpp: [], lethe: [] };
    // CPU ms per step (all threads of the process, per block / block size): what the step costs in work,
    // which a busy machine inflates far less than wall time. With several threads it includes OpenMP spinning.
    const cpuTimes: Record<Side, number[][]> = { cpp: [], lethe: [] };
    const loadBefore = loadavg()[0]!;
    const lastLoss: Record<Side, number> = { cpp: Number.NaN, lethe: Number.NaN };
    const blockRatios: number[] = [];
    let turn = 0;
    for (let r = 0; r < rounds; r++) {
      times.cpp.push([]);
      times.lethe.push([]);
      cpuTimes.cpp.push([]);
      cpuTimes.lethe.push([]);
      for (let done = 0; done < perRound; done += block) {
        const n = Math.min(block, perRound - done);
        const order: Side[] = turn++ % 2 === 0 ? ['cpp', 'lethe'] : ['lethe', 'cpp'];
        const blockMs: Partial<Record<Side, number>> = {};
        for (const side of order) {
          const res = await steps(servers[side].ch, n);
          times[side][r]!.push(...res.ms);
          cpuTimes[side][r]!.push(res.cpuMs / n);
          lastLoss[side] = res.loss;
          blockMs[side] = res.ms.reduce((a, b) => a + b, 0);
        }
        blockRatios.push(blockMs.lethe! / blockMs.cpp!);
      }
      process.stderr.write(`  round ${r + 1}/${rounds}: C++ ${fmt(median(times.cpp[r]!))} ms, Lethe ${fmt(median(times.lethe[r]!))} ms (medians)\n`);
    }
    const leak = (await lethe.ch.quit()) as { leakedTensors?: number };
    await cpp.ch.quit();

    const summary = (side: Side) => {
      const roundMedians = times[side].map((t) => median(t));
      const med = median(roundMedians);
      const cpuMs = median(cpuTimes[side].map((t) => median(t)));
      return { medianMs: med, meanMs: mean(times[side].flat()), roundMedians, imagesPerSec: (1000 * batch) / med, cpuMs };
    };
    const c = summary('cpp');
    const l = summary('lethe');
    const ratio = l.medianMs / c.medianMs;
    const pairedRatio = median(blockRatios);
    const cpuRatio = l.cpuMs / c.cpuMs;
    const loadAfter = loadavg()[0]!;

    console.log(`\nSmall CNN training step (conv 1-32 3x3, conv 32-64 3x3, max-pool 2, fc 9216-128, fc 128-10; SGD momentum)`);
    console.log(`batch ${batch}, ${threads} threads, libtorch ${cpp.meta.libtorch}; ${rounds} rounds x ${perRound} steps per side, interleaved${nodeArgs.length ? `; Lethe node flags: ${nodeArgs.join(' ')}` : ''}\n`);
    console.log(
      table([
        ['', 'ms/step', 'mean', 'images/s', 'round medians (ms)', 'CPU ms/step', 'threads', 'loss 1st / last'],
        ['C++ libtorch', fmt(c.medianMs), fmt(c.meanMs), fmt(c.imagesPerSec, 0), c.roundMedians.map((x) => fmt(x)).join(' '), fmt(c.cpuMs), String(cpp.meta.threads), `${cpp.meta.firstLoss.toFixed(6)} / ${lastLoss.cpp.toFixed(6)}`],
        ['Lethe (TS)', fmt(l.medianMs), fmt(l.meanMs), fmt(l.imagesPerSec, 0), l.roundMedians.map((x) => fmt(x)).join(' '), fmt(l.cpuMs), String(lethe.meta.threads), `${lethe.meta.firstLoss.toFixed(6)} / ${lastLoss.lethe.toFixed(6)}`],
      ]),
    );
    console.log(`(ms/step = median of the round medians of wall time; mean = over all timed steps; CPU = process CPU time)`);
    console.log(`1-minute load average: ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after, on ${availableParallelism()} cores${Math.max(loadBefore, loadAfter) > availableParallelism() * 0.75 ? ' -- a busy machine: wall times are inflated, trust the ratios more than the ms' : ''}\n`);
    console.log(`Lethe / C++ = ${ratio.toFixed(3)} (${ratio <= 1.05 ? 'within' : 'OVER'} the 1.05 target); paired per-block ratio (median) = ${pairedRatio.toFixed(3)}; CPU-time ratio = ${cpuRatio.toFixed(3)}`);
    if (cpp.meta.threads !== lethe.meta.threads) console.log('WARNING: the two sides ran with different thread counts');
    // Same seed, same draws, same ops: the losses agree to float rounding unless the programs diverged.
    if (Math.abs(cpp.meta.firstLoss - lethe.meta.firstLoss) > 1e-4 || Math.abs(lastLoss.cpp - lastLoss.lethe) > 1e-3) {
      console.log(`WARNING: the losses differ (C++ ${cpp.meta.firstLoss} -> ${lastLoss.cpp}, Lethe ${lethe.meta.firstLoss} -> ${lastLoss.lethe}): the programs do not compute the same thing`);
    }
    if (leak.leakedTensors !== 0) console.log(`WARNING: the Lethe side ended with ${leak.leakedTensors} live tensors`);

    const record = { date: new Date().toISOString(), nodeArgs, loadBefore, loadAfter, stepsPerRound: perRound, rounds, warmup, batch, threads, block, ratio, pairedRatio, cpuRatio, cpp: c, lethe: l, times, cpuTimes, blockRatios };
    writeFileSync(join(root, 'bench', 'out', 'cnn-step-compare.json'), JSON.stringify(record) + '\n');
    console.log(`SUMMARY ${JSON.stringify({ ratio, pairedRatio, cpuRatio, loadBefore, loadAfter, cppMedianMs: c.medianMs, letheMedianMs: l.medianMs, threads, batch, stepsPerRound: perRound, rounds, block })}`);
  } finally {
    cpp.ch.kill();
    lethe.ch.kill();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`cnn-step-compare: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
