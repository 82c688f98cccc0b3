// One unlearning run as the CLI does it: open the original checkpoint, rebuild its split with the forget spec,
// run the method (with its blocks), evaluate, and optionally save the result as a checkpoint whose manifest
// says exactly what produced it.
import type { Module } from '../nn/module.js';
import { BLOCK_SETTINGS, getMethod, methodNames, resolveOptions, unlearn, type CommonOptions, type MaskBlockOptions, type UnlearnResult, type UnlearnRunOptions } from '../unlearn/index.js';
// the blocks' early check: the command line's, not part of the library's API
import { runBlocks } from '../unlearn/run.js';
import { evaluateUnlearningAsync, type EvaluationReport } from '../eval/evaluate.js';
import type { HeadlineMetrics } from '../eval/gap.js';
import type { CheckpointManifest } from '../train/checkpoint.js';
import { UsageError } from './errors.js';
import { dataConfigOf, nonFiniteWeight, openCheckpoint, refuseFinished, replaceCheckpoint, sameData } from './checkpoints.js';
import { canonicalForget, dataDigest, describeData, loadData, protocolSets, type LoadedData, type ProtocolSets } from './data.js';
import type { BlocksSetting } from './recipes.js';
import type { Parallel } from './distributed.js';
import type { Reporter } from './progress.js';

/** Checks the method name against the registry (methods are discovered, never listed here). */
export function checkMethod(name: string, flag = '--method'): void {
  if (!methodNames().includes(name)) throw new UsageError(`${flag}: unknown method '${name}'; known methods: ${methodNames().join(', ')}`);
}

/** Validates block settings' keys and converts them to unlearn()'s run options. */
export function blockRunOptions(b: BlocksSetting): Pick<UnlearnRunOptions, 'mask' | 'subspace' | 'curriculum'> {
  const out: Pick<UnlearnRunOptions, 'mask' | 'subspace' | 'curriculum'> = {};
  for (const k of ['mask', 'subspace', 'curriculum'] as const) {
    const v = b[k];
    if (v === undefined) continue;
    if (typeof v === 'object' && v !== null) {
      for (const key of Object.keys(v)) {
        if (!(BLOCK_SETTINGS[k] as readonly string[]).includes(key)) throw new UsageError(`--${k}: unknown setting '${key}'; known: ${BLOCK_SETTINGS[k].join(', ')}`);
      }
    }
    (out as Record<string, unknown>)[k] = v;
  }
  return out;
}

export interface UnlearnJob {
  from: string;
  forget: string;
  method: string;
  options: Record<string, unknown>;
  blocks: BlocksSetting;
  seed: number;
  dataDir?: string;
}

export interface RunSummary {
  method: string;
  options: Record<string, unknown>;
  blocks: UnlearnResult['blocks'];
  trainableParams: number;
  totalParams: number;
  trainableShare: number;
  seconds: number;
  usesRetain: boolean;
  forget: string;
  evaluation: EvaluationReport;
}

function progressHandler(reporter: Reporter, label: string, batchSize: number): UnlearnRunOptions['progress'] {
  let lastT = performance.now();
  let ips = NaN;
  return (e) => {
    if (e.batch === undefined || e.batches === undefined || e.epochs === undefined) {
      if (e.message) {
        reporter.done();
        reporter.log(`${label}: ${e.phase === label || label.startsWith(`${e.phase} `) ? '' : `${e.phase}: `}${e.message}`);
      }
      return;
    }
    const now = performance.now();
    const inst = (batchSize * 1000) / Math.max(now - lastT, 1e-3);
    ips = Number.isFinite(ips) ? 0.9 * ips + 0.1 * inst : inst;
    lastT = now;
    const epoch = e.epoch ?? 0;
    // One bar per run: methods alternate phases (forget pass, retain pass), so progress counts epochs.
    const name = label.split(' ')[0]!;
    const phase = e.phase.startsWith(name) ? e.phase.slice(name.length).trim() : e.phase;
    reporter.update({
      label,
      detail: `${phase === '' ? '' : `${phase} `}epoch ${epoch + 1}/${e.epochs}`,
      done: epoch * 1000 + Math.round((1000 * e.batch) / e.batches),
      total: e.epochs * 1000,
      ...(e.loss === undefined ? {} : { loss: e.loss }),
      imagesPerSecond: ips,
    });
  };
}

/** A method's options from the command line (flags, --opt, recipe) over its defaults; a bad one is a usage error. */
export function resolveMethodOptions(method: string, given: Record<string, unknown>): CommonOptions {
  const def = getMethod(method);
  try {
    return resolveOptions(def.name, def.defaults, given);
  } catch (e) {
    throw new UsageError(`--opt: ${(e as Error).message}`);
  }
}

/** Runs one method on prepared data; the caller owns the returned model. */
export async function runMethod(
  original: Module,
  spec: CheckpointManifest['model'],
  sets: ProtocolSets,
  job: Omit<UnlearnJob, 'from' | 'dataDir'>,
  o: {
    reporter: Reporter;
    signal?: AbortSignal;
    reference?: HeadlineMetrics;
    allMiaViews?: boolean;
    label?: string;
    parallel?: Parallel;
    /** a mask from a file, or a hook for the mask the run builds (the library's MaskBlockOptions; turns the mask block on) */
    mask?: Pick<MaskBlockOptions, 'precomputed' | 'onBuilt'>;
  },
): Promise<{ model: Module; summary: RunSummary }> {
  checkMethod(job.method);
  const def = getMethod(job.method);
  const options = resolveMethodOptions(job.method, job.options);
  // (the library takes 0 epochs, the original handed back, for tests of a method's set-up; a command line that asks
  // for a run of a method that trains gets an error, whether through --epochs or --opt epochs=0)
  if (def.defaults.epochs > 0 && options.epochs === 0) throw new UsageError(`--opt: method '${def.name}' trains for epochs ≥ 1; epochs=0 would save the original unchanged`);
  const blocks = blockRunOptions(job.blocks);
  if (o.mask !== undefined) blocks.mask = { ...(typeof blocks.mask === 'object' ? blocks.mask : {}), ...o.mask };
  try {
    runBlocks(job.method, blocks, { forgetSize: sets.forget.size, epochs: options.epochs, model: original });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const label = o.label ?? job.method;
  const result = await unlearn(original, spec, { forget: sets.forget, retain: sets.retain }, {
    method: job.method,
    options: options as unknown as Record<string, unknown>,
    ...blocks,
    seed: job.seed,
    progress: progressHandler(o.reporter, label, options.batchSize),
    ...(o.signal === undefined ? {} : { signal: o.signal }),
    ...(o.parallel === undefined ? {} : { parallel: o.parallel.wrap }),
  }).finally(() => o.reporter.done());
  try {
    o.reporter.log(`${label}: unlearned in ${result.seconds.toFixed(1)} s; evaluating`);
    const evaluation = await evaluateUnlearningAsync(result.model, { forget: sets.forget, retain: sets.retain, test: sets.test }, {
      ...(o.reference === undefined ? {} : { reference: o.reference }),
      allMiaViews: o.allMiaViews ?? true,
      ...(o.signal === undefined ? {} : { signal: o.signal }),
    });
    // the returned model's size: BE with keepShadow returns one more output row than the original has
    const totalParams = result.model.numParameters();
    return {
      model: result.model,
      summary: {
        method: result.method,
        options: result.options as unknown as Record<string, unknown>,
        blocks: result.blocks,
        trainableParams: result.trainableParams,
        totalParams,
        trainableShare: result.trainableParams / totalParams,
        seconds: result.seconds,
        usesRetain: result.usesRetain,
        forget: sets.forgetSpec,
        evaluation,
      },
    };
  } catch (e) {
    result.model.dispose();
    throw e;
  }
}

/** The headline metrics of a reference (retrain) checkpoint on the same sets, checked to be comparable. */
export async function referenceMetrics(run: Pick<PreparedRun, 'data' | 'sets' | 'manifest'>, dir: string, o: { flag?: string; signal?: AbortSignal } = {}): Promise<{ metrics: HeadlineMetrics; manifest: CheckpointManifest }> {
  const flag = o.flag ?? '--reference';
  const { sets } = run;
  const data = run.data.config;
  const { model, manifest } = openCheckpoint(dir, flag);
  try {
    if (manifest['kind'] !== 'retrain') {
      const what = manifest['kind'] === 'original' ? 'an original model' : manifest['kind'] === 'unlearned' ? 'an unlearned model' : `a '${String(manifest['kind'])}' checkpoint`;
      throw new UsageError(`${flag}: '${dir}' is ${what}, not a retrain reference; make one with lethe train --forget ${sets.forgetSpec} --out DIR (same data and seed as the original)`);
    }
    const refData = dataConfigOf(manifest, dir);
    if (!sameData(refData, data)) {
      const differ = (['data', 'trainSize', 'testSize', 'seed', 'valFraction'] as const).filter((k) => refData[k] !== data[k]).map((k) => `${k} ${String(refData[k])} against ${String(data[k])}`);
      throw new UsageError(`${flag}: '${dir}' was trained on other data (${differ.join(', ')}); it must share the dataset, sizes, seed and validation split`);
    }
    const refLabels = manifest['dataDigest'];
    if (typeof refLabels === 'string' && refLabels !== dataDigest(run.data)) {
      throw new UsageError(`${flag}: '${dir}' was trained on another copy or version of the dataset (its labels differ); retrain it on this data`);
    }
    // Avg.Gap to a retrain of another architecture measures the architectures, not the unlearning
    if (manifest.model.name !== run.manifest.model.name) {
      throw new UsageError(`${flag}: '${dir}' is a ${manifest.model.name}, the model being evaluated a ${run.manifest.model.name}; the reference must retrain the same architecture`);
    }
    const refForget = manifest['forget'];
    if (typeof refForget === 'string' && refForget !== sets.forgetSpec) {
      throw new UsageError(`${flag}: '${dir}' retrained without '${refForget}', but this run forgets '${sets.forgetSpec}'`);
    }
    const refDigest = manifest['forgetDigest'];
    if (typeof refDigest === 'string' && refDigest !== sets.forgetDigest) {
      throw new UsageError(`${flag}: '${dir}' was retrained without the samples '${sets.forgetSpec}' selected then; its file now selects others`);
    }
    const r = await evaluateUnlearningAsync(model, { forget: sets.forget, retain: sets.retain, test: sets.test }, { allMiaViews: false, ...(o.signal ? { signal: o.signal } : {}) });
    return { metrics: { UA: r.UA, RA: r.RA, TA: r.TA, MIA: r.MIA }, manifest };
  } finally {
    model.dispose();
  }
}

export interface PreparedRun {
  original: Module;
  manifest: CheckpointManifest;
  data: LoadedData;
  sets: ProtocolSets;
  protocol: string[];
  dispose(): void;
}

/** Opens a checkpoint and rebuilds its data and split for a forget spec. */
export function prepareFromCheckpoint(dir: string, forget: string | undefined, o: { dataDir?: string | undefined; flag: string }): PreparedRun {
  const { model, manifest } = openCheckpoint(dir, o.flag);
  let data: LoadedData | null = null;
  try {
    // (a run from broken weights would fail with a hint to lower the learning rate)
    const broken = nonFiniteWeight(model);
    if (broken !== undefined) throw new Error(`${o.flag}: the weights of '${dir}' hold NaN or infinite values (first in '${broken}'): the model is broken; train or import it again`);
    const spec = forget !== undefined ? canonicalForget(forget) : typeof manifest['forget'] === 'string' ? (manifest['forget'] as string) : undefined;
    if (spec === undefined) throw new UsageError(`--forget: '${dir}' is an original model; say what to forget, e.g. --forget random:0.1`);
    data = loadData(dataConfigOf(manifest, dir, { dataDir: o.dataDir }));
    const made = manifest['dataDigest'];
    if (typeof made === 'string' && made !== dataDigest(data)) {
      throw new UsageError(
        `${o.dataDir === undefined ? o.flag : '--data-dir'}: this is not the data '${dir}' was made with (its labels differ: another copy or version of the dataset?); ` +
          `point --data-dir at that data (the checkpoint's is ${String(dataConfigOf(manifest, dir).dataDir ?? 'the default')})`,
      );
    }
    const sets = protocolSets(data, spec);
    // the spec from the manifest must still select what it selected then (an indices file can change)
    const pinned = manifest['forgetDigest'];
    if (forget === undefined && typeof pinned === 'string' && pinned !== sets.forgetDigest) {
      sets.dispose();
      throw new UsageError(`--forget: '${spec}' no longer selects the forget set ${dir} was made with (its file changed); pass --forget to use it as it is now`);
    }
    const protocol = describeData(data, [`forget ${spec}: ${sets.description}`]);
    const d = data;
    return {
      original: model,
      manifest,
      data: d,
      sets,
      protocol,
      dispose() {
        model.dispose();
        sets.dispose();
        d.dispose();
      },
    };
  } catch (e) {
    model.dispose();
    data?.dispose();
    throw e;
  }
}

/**
 * What a saved saliency mask records of where it came from (beside its own ratio and salient count): the model's
 * weights, the forget set, and the run settings that order the gradient pass (method, seed, batch size).
 */
export function maskFileMetadata(run: Pick<PreparedRun, 'manifest' | 'sets'>, method: string, seed: number, batchSize: number): Record<string, string> {
  return { model: run.manifest.weights.sha256, forget: run.sets.forgetSpec, forgetDigest: run.sets.forgetDigest, method, seed: String(seed), batchSize: String(batchSize) };
}

/** Saves an unlearned model with a manifest describing the run. Refuses to overwrite a finished one unless forced. */
export function saveUnlearned(out: string, model: Module, run: PreparedRun, summary: RunSummary, extra: Record<string, unknown>, force: boolean): CheckpointManifest {
  refuseFinished(out, force);
  return replaceCheckpoint(out, model, run.manifest.model, {
    kind: 'unlearned',
    dataConfig: run.data.config,
    dataDigest: dataDigest(run.data),
    forgetDigest: run.sets.forgetDigest,
    protocol: run.protocol,
    ...summary,
    ...extra,
  });
}
