// lethe unlearn: one method (with any blocks) on a trained checkpoint; saves the result with its manifest.
import { runDistributed } from '../distributed.js';
import { resolve } from 'node:path';
import { BLOCK_DEFAULTS, getMethod, loadMaskFile, maskProvenanceWarnings, saveMaskFile, type LoadedMaskFile, type SaliencyMask } from '../../unlearn/index.js';
import { MASK_MODES } from '../../optim/mask-mode.js';
import type { Module } from '../../nn/module.js';
import { UsageError } from '../errors.js';
import { parseKeyValues, required, type Opts } from '../options.js';
import { loadRecipe, type BlocksSetting, type UnlearnRecipe } from '../recipes.js';
import { checkMethod, maskFileMetadata, prepareFromCheckpoint, resolveMethodOptions, referenceMetrics, runMethod, saveUnlearned } from '../unlearning.js';
import { dataConfigOf, refuseFinished } from '../checkpoints.js';
import { inputFile, outputDir, outputFile, refuseSaveWithMaskFile, print, printJson, readOptFlags, refuseInputs, withOptFlags, withRun } from './shared.js';
import { metricsTable } from './eval.js';

export function readMethodOptions(o: Opts, method: string, base: Record<string, unknown>): Record<string, unknown> {
  // one value per option: --lr 0.02 beside --opt lr=0.01 would otherwise be settled silently by the order of merging
  const opt = readOptFlags(o);
  for (const [key, flag] of [['epochs', 'epochs'], ['lr', 'lr'], ['batchSize', 'batch-size'], ['momentum', 'momentum'], ['weightDecay', 'weight-decay']] as const) {
    if (o.has(key) && key in opt) throw new UsageError(`--opt ${key}: also given as --${flag}; give it once`);
  }
  const out: Record<string, unknown> = { ...base };
  const epochs = o.int('epochs', { min: 1 }); // 0 would write the original back under a new name
  if (epochs !== undefined) out['epochs'] = epochs;
  const lr = o.positive('lr');
  if (lr !== undefined) out['lr'] = lr;
  const bs = o.int('batchSize', { min: 1 });
  if (bs !== undefined) out['batchSize'] = bs;
  const momentum = o.number('momentum');
  if (momentum !== undefined) out['momentum'] = momentum;
  const wd = o.number('weightDecay');
  if (wd !== undefined) out['weightDecay'] = wd;
  return withOptFlags(o, method, out);
}

function blockFlag(o: Opts, key: 'subspace' | 'curriculum'): Record<string, unknown> | boolean | undefined {
  const v = o.raw[key];
  if (v === undefined) return undefined;
  if (v === true || v === false) return v;
  if (typeof v === 'object' && v !== null) return v as Record<string, unknown>;
  return parseKeyValues(String(v), `--${key}`);
}

/** Whether a run of `method` with these block settings uses a saliency mask. */
function usesMask(method: string, b: BlocksSetting): boolean {
  return b.mask === undefined ? getMethod(method).defaultBlocks?.mask === true : b.mask !== false;
}

/**
 * --method and --recipe: the method named (or the recipe's, or `fallback`), checked, and the recipe, which must be
 * that method's. Without a fallback a method is required.
 */
export function readMethodAndRecipe(o: Opts, fallback?: string): { method: string; recipe: UnlearnRecipe | null } {
  const recipe = o.has('recipe') ? loadRecipe(o.string('recipe')!) : null;
  const method = o.string('method') ?? recipe?.method ?? fallback;
  if (method === undefined) throw new UsageError('--method: required (or give a --recipe that names one)');
  checkMethod(method);
  if (recipe !== null && recipe.method !== method) throw new UsageError(`--recipe: it is a recipe for '${recipe.method}', not '${method}'`);
  return { method, recipe };
}

export function readBlocks(o: Opts, method: string, base: BlocksSetting = {}): BlocksSetting {
  const b: BlocksSetting = { ...base };
  const mask = o.raw['mask'];
  if (o.has('maskFile')) {
    // the file's mask replaces the gradient pass and brings its own ratio (a recipe's ratio goes with the pass)
    if (mask !== undefined && mask !== true) throw new UsageError(`--mask-file: the file's mask has its own ratio and turns the mask block on; drop --${mask === false ? 'no-mask' : `mask ${String(mask)}`}`);
    const { ratio: _ratio, ...rest } = typeof b.mask === 'object' ? b.mask : {};
    b.mask = rest;
  } else if (mask === true || mask === false) b.mask = mask;
  else if (mask !== undefined) {
    const ratio = Number(mask);
    if (!(ratio > 0 && ratio <= 1)) throw new UsageError(`--mask: the ratio must be in (0, 1], got '${String(mask)}'`);
    b.mask = { ratio };
  }
  if (o.has('maskMode')) {
    const mode = o.choice('maskMode', MASK_MODES, BLOCK_DEFAULTS.mask.mode);
    if (!usesMask(method, b)) throw new UsageError(`--mask-mode: method '${method}' runs without a saliency mask here; add --mask`);
    b.mask = { ...(typeof b.mask === 'object' ? b.mask : {}), mode };
  }
  if (o.has('saveMask')) {
    refuseSaveWithMaskFile(o);
    if (!usesMask(method, b)) throw new UsageError(`--save-mask: method '${method}' runs without a saliency mask here; add --mask`);
  }
  const sub = blockFlag(o, 'subspace');
  if (sub !== undefined) b.subspace = sub;
  const cur = blockFlag(o, 'curriculum');
  if (cur !== undefined) b.curriculum = cur;
  return b;
}

/** The mask file for the model, its errors as usage errors (they name the file and what to change). */
function openMaskFile(model: Module, path: string): LoadedMaskFile {
  try {
    return loadMaskFile(model, path);
  } catch (e) {
    throw new UsageError(`--mask-file: ${(e as Error).message}`);
  }
}

export default async function unlearnCommand(o: Opts): Promise<void> {
  const from = resolve(required(o, 'from', 'the checkpoint to unlearn from, made by lethe train'));
  const { method, recipe } = readMethodAndRecipe(o);
  const options = readMethodOptions(o, method, recipe?.options ?? {});
  const blocks = readBlocks(o, method, recipe?.blocks ?? {});
  const out = o.has('out') ? outputDir('--out', o.string('out')!) : null;
  const referenceDir = o.has('reference') ? resolve(o.string('reference')!) : null;
  // inputs are never modified: not even --force may write the unlearned model over (or into) the model it reads
  if (out !== null) refuseInputs('--out', out, [['--from', from], ['--reference', referenceDir]]);
  // and a checkpoint already there is refused now, not after the run (saveUnlearned checks again when it writes)
  if (out !== null) refuseFinished(out, o.bool('force'));
  const maskFile = o.has('maskFile') ? inputFile('--mask-file', o.string('maskFile')!, 'the mask file itself (written by --save-mask)') : null;
  const saveMask = o.has('saveMask') ? outputFile('--save-mask', o.string('saveMask')!, [['--from', from], ['--reference', referenceDir]]) : null;

  const outcome = await runDistributed(o, (parallel) => withRun(o, async ({ reporter, signal }) => {
    const run = prepareFromCheckpoint(from, o.string('forget'), { dataDir: o.string('dataDir'), flag: '--from' });
    try {
      const seed = o.int('seed', { min: 0 }) ?? dataConfigOf(run.manifest, from).seed;
      const ref = referenceDir === null ? null : await referenceMetrics(run, referenceDir, { signal });
      for (const l of run.protocol) reporter.log(`# ${l}`);
      const loaded = maskFile === null ? null : openMaskFile(run.original, maskFile);
      const maskWarnings = loaded === null ? [] : maskProvenanceWarnings(loaded.metadata, { model: run.manifest.weights.sha256, forget: run.sets.forgetSpec, forgetDigest: run.sets.forgetDigest });
      // (every rank of a data-parallel job reads the file; rank 0 alone says so)
      if (!parallel || parallel.isMaster) for (const w of maskWarnings) reporter.warn(`--mask-file: ${w}`);
      let savedMask: { path: string; sha256: string } | null = null;
      const { model, summary } = await runMethod(run.original, run.manifest.model, run.sets, { method, forget: run.sets.forgetSpec, options, blocks, seed }, {
        reporter,
        signal,
        ...(ref === null ? {} : { reference: ref.metrics }),
        ...(parallel ? { parallel } : {}),
        ...(loaded !== null ? { mask: { precomputed: loaded.mask } } : {}),
        // every rank of a data-parallel job builds the same mask; rank 0 alone writes it
        ...(saveMask !== null && (!parallel || parallel.isMaster)
          ? {
              mask: {
                onBuilt: (m: SaliencyMask) => {
                  const entry = saveMaskFile(saveMask, m, maskFileMetadata(run, method, seed, resolveMethodOptions(method, options).batchSize));
                  savedMask = { path: saveMask, sha256: entry.sha256 };
                  reporter.log(`saliency mask (ratio ${m.ratio.toFixed(4)}) saved → ${saveMask}`);
                },
              },
            }
          : {}),
      }).finally(() => loaded?.mask.dispose());
      // in a data-parallel job every rank holds the same unlearned model; rank 0 alone saves and reports it
      if (parallel && !parallel.isMaster) {
        model.dispose();
        return null;
      }
      try {
        const referenceInfo = ref === null ? null : { dir: referenceDir, metrics: ref.metrics };
        const manifestOut =
          out === null
            ? null
            : saveUnlearned(out, model, run, summary, {
                from: { dir: from, sha256: run.manifest.weights.sha256, kind: run.manifest.kind },
                seed,
                recipe: recipe === null ? null : { method: recipe.method, tuned: recipe.tuned, source: o.string('recipe') },
                requestedBlocks: blocks,
                ...(loaded !== null ? { maskFile: { path: maskFile, sha256: loaded.sha256, format: loaded.format, ...(maskWarnings.length > 0 ? { warnings: maskWarnings } : {}) } } : {}),
                ...(savedMask !== null ? { savedMask } : {}),
                reference: referenceInfo,
              }, o.bool('force'));
        return { manifestOut, summary, protocol: run.protocol, referenceInfo };
      } finally {
        model.dispose();
      }
    } finally {
      run.dispose();
    }
  }));
  if (outcome === null) return;
  const { manifestOut, summary, protocol, referenceInfo } = outcome;

  if (o.bool('json')) {
    printJson({ checkpoint: out, protocol, ...summary, reference: referenceInfo });
    return;
  }
  print(protocol.map((l) => `# ${l}`).join('\n'));
  const share = `${(100 * summary.trainableShare).toFixed(1)}%`;
  print(`# ${summary.method}: ${summary.seconds.toFixed(1)} s, trained ${summary.trainableParams} of ${summary.totalParams} parameters (${share}); options ${JSON.stringify(summary.options)}`);
  if (Object.keys(summary.blocks).length > 0) print(`# blocks: ${JSON.stringify(summary.blocks)}`);
  print(metricsTable(summary.evaluation, referenceInfo?.metrics));
  if (manifestOut !== null) print(`saved → ${out}`);
}

