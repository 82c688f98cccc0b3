// lethe mask: SalUn's saliency masks on their own, as the reference's generate_mask step — one gradient pass over
// D_f, one mask per ratio, each written as a file that `lethe unlearn --mask-file` reads (`lethe diffusion mask` is
// the same for a DDPM). A mask made here for method M and seed S equals, bit for bit, the one
// `lethe unlearn --method M --seed S --save-mask` writes: the gradient pass replays that run's forget stream.
import { resolve } from 'node:path';
import { saliencyMasks, saveMaskFile, type SaliencyMask } from '../../unlearn/index.js';
import { required, type Opts } from '../options.js';
import { maskFileMetadata, prepareFromCheckpoint, resolveMethodOptions } from '../unlearning.js';
import { dataConfigOf } from '../checkpoints.js';
import { maskOutputPaths, print, printJson, readMaskRatios, withRun } from './shared.js';
import { readMethodAndRecipe, readMethodOptions } from './unlearn.js';
import { renderTable } from '../table.js';
import { tidy } from '../../torch/index.js';

/** Share of salient entries per parameter tensor: which layers the forgetting gradient points at. */
function layerShares(masks: readonly SaliencyMask[]): { name: string; size: number; shares: number[] }[] {
  const first = masks[0]!;
  return [...first.masks.keys()].map((name) => {
    const size = first.require(name).numel();
    return { name, size, shares: masks.map((m) => tidy(() => m.require(name).sum().item()) / size) };
  });
}

export default async function maskCommand(o: Opts): Promise<void> {
  const from = resolve(required(o, 'from', 'the original checkpoint (from lethe train or lethe import)'));
  const { method, recipe } = readMethodAndRecipe(o, 'salun');
  const ratios = readMaskRatios(o, 'ratio');
  const given = readMethodOptions(o, method, recipe?.options ?? {});
  const options = resolveMethodOptions(method, given);
  // (last of the checks: with several ratios it makes the output directory)
  const paths = maskOutputPaths(o, ratios, [['--from', from]]);

  const made = await withRun(o, async ({ reporter, signal }) => {
    const run = prepareFromCheckpoint(from, o.string('forget'), { dataDir: o.string('dataDir'), flag: '--from' });
    try {
      const seed = o.int('seed', { min: 0 }) ?? dataConfigOf(run.manifest, from).seed;
      for (const l of run.protocol) reporter.log(`# ${l}`);
      reporter.log(`saliency: gradient of the forget loss over ${run.sets.forget.size} images (batch ${options.batchSize}, seed ${seed})`);
      const start = performance.now();
      const masks = saliencyMasks(run.original, run.sets.forget, ratios, { method, options: given, seed, signal });
      try {
        const seconds = (performance.now() - start) / 1000;
        const metadata = maskFileMetadata(run, method, seed, options.batchSize);
        const files = masks.map((m, i) => {
          const entry = saveMaskFile(paths[i]!, m, metadata);
          return { ratio: ratios[i]!, salient: m.count(), path: paths[i]!, sha256: entry.sha256 };
        });
        const total = run.original.numParameters();
        return { protocol: run.protocol, seconds, total, files, layers: o.bool('layers') ? layerShares(masks) : null };
      } finally {
        for (const m of masks) m.dispose();
      }
    } finally {
      run.dispose();
    }
  });

  if (o.bool('json')) {
    printJson({ from, method, ...made });
    return;
  }
  print(made.protocol.map((l) => `# ${l}`).join('\n'));
  print(`# one gradient pass in ${made.seconds.toFixed(1)} s; a mask keeps the floor(ratio · ${made.total}) weights of largest |gradient| over the whole model`);
  print(renderTable(['ratio', 'salient weights', 'share %', 'file'], made.files.map((f) => [String(f.ratio), String(f.salient), (100 * f.salient / made.total).toFixed(2), f.path])));
  if (made.layers !== null) {
    print(renderTable(['parameter', 'size', ...made.files.map((f) => `salient % at ${f.ratio}`)], made.layers.map((l) => [l.name, String(l.size), ...l.shares.map((s) => (100 * s).toFixed(1))])));
  }
}
