// lethe import: a classifier trained elsewhere becomes a Lethe original checkpoint, so that lethe unlearn, eval and
// the comparison with a retrain reference work on it. The weights come from a torch.save state dict (or a checkpoint
// dict holding one, e.g. SalUn's {'state_dict': ...}) or a safetensors file, with PyTorch's state-dict names; the
// models are the SalUn reference's (resnet18, resnet20) and Lethe's own (smallcnn, mlp).
//
// What the checkpoint records about its data is what Lethe will use: the dataset, and the seeded split that holds
// out --val-fraction of each class (default 10%). D_f and D_r are drawn from the rest, and `indices:FILE` lists
// positions in it; a model trained on the whole training set is imported with --val-fraction 0, so that those
// positions are the dataset's own indices.
import { realpathSync } from 'node:fs';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { join } from 'node:path';
import { loadWeightsFile, withoutModulePrefix } from '../../io/weights.js';
import { createModel, type ModelName, type ModelSpec } from '../../models/index.js';
import type { Module } from '../../nn/module.js';
import { tensor, tidy, zeros, type Tensor } from '../../torch/index.js';
import { evaluateSplit, NonFiniteOutputError } from '../../eval/outputs.js';
import { MANIFEST, WEIGHTS } from '../../train/checkpoint.js';
import { nonFiniteWeight, refuseFinished, replaceCheckpoint } from '../checkpoints.js';
import { configHash } from '../cache.js';
import { UsageError } from '../errors.js';
import { required, type Opts } from '../options.js';
import { describeData, loadData, trainSets, type LoadedData } from '../data.js';
import type { TensorDataset } from '../../data/dataset.js';
import { dataRecord, modelSpecFor } from '../training.js';
import { inputFile, outputDir, print, printAccuracy, printJson, readDataConfig, readModel, readSeed, realPathOf, withRun } from './shared.js';

const NORMALIZE_HELP = '--normalize data (the dataset\u2019s per-channel mean/std, as Lethe trains), none (pixels in [0, 1]) or MEAN:STD (per channel, e.g. 0.4914,0.4822,0.4465:0.247,0.2435,0.2616)';

function numbers(t: Tensor): number[] {
  return tidy(() => Array.from(t.to('float64').flatten().toTypedArray() as Float64Array));
}

function parseNormalize(text: string, channels: number): { mean: number[]; std: number[] } {
  const parts = text.split(':');
  // (Number('') is 0: an empty entry must not pass as one)
  const lists = parts.map((p) => p.split(',').map((v) => (v.trim() === '' ? NaN : Number(v.trim()))));
  if (parts.length !== 2 || lists.some((l) => l.length !== channels || l.some((v) => !Number.isFinite(v)))) {
    throw new UsageError(`--normalize: '${text}' is not MEAN:STD with ${channels} number(s) each; use ${NORMALIZE_HELP}`);
  }
  // the model computes in float32: a std that rounds to 0 there, or a mean beyond its range, is not a normalisation
  if (lists[1]!.some((v) => !(v >= 1e-6 && v <= 1e6)) || lists[0]!.some((v) => Math.abs(v) > 1e6)) {
    throw new UsageError(`--normalize: '${text}' needs each std in [1e-6, 1e6] and each |mean| ≤ 1e6 (pixel statistics, e.g. 0.286:0.353)`);
  }
  return { mean: lists[0]!, std: lists[1]! };
}

/**
 * The model spec the file's weights need: the data's channels, classes and image size; the input normalisation
 * the file carries (normalize.mean/std, as the SalUn reference saves it) or the one --normalize names; an mlp's
 * hidden widths read from its fc layers.
 */
function importedSpec(name: ModelName, d: LoadedData, tensors: Map<string, Tensor>, normalize: string | undefined, file: string): ModelSpec {
  const spec = modelSpecFor(name, d);
  delete spec.mean;
  delete spec.std;
  // the architecture first: a wrong --model is the problem to report, not the normalisation
  if (name === 'mlp') {
    const widths: number[] = [];
    for (let i = 1; tensors.has(`fc${i}.weight`); i++) widths.push(tensors.get(`fc${i}.weight`)!.shape[0]!);
    if (widths.length === 0) throw new Error(`'${file}' has no fc1.weight: not an mlp's state dict (is --model right?)`);
    spec.hiddenSizes = widths.slice(0, -1);
  }
  const fileMean = tensors.get('normalize.mean');
  const fileStd = tensors.get('normalize.std');
  if ((fileMean === undefined) !== (fileStd === undefined)) {
    throw new Error(`'${file}' has ${fileMean === undefined ? 'normalize.std but not normalize.mean' : 'normalize.mean but not normalize.std'}: the input normalisation is incomplete`);
  }
  if (fileMean !== undefined && fileStd !== undefined) {
    if (normalize !== undefined && normalize !== 'file') {
      throw new UsageError(`--normalize: '${file}' carries its own input normalisation (normalize.mean/std); leave --normalize out`);
    }
    spec.mean = numbers(fileMean);
    spec.std = numbers(fileStd);
    const problem =
      spec.mean.length !== d.inChannels || spec.std.length !== d.inChannels
        ? `${spec.mean.length} and ${spec.std.length} entries for data with ${d.inChannels} channel(s)`
        : spec.std.some((v) => !(v >= 1e-6)) || [...spec.mean, ...spec.std].some((v) => !Number.isFinite(v))
          ? `mean [${spec.mean.join(', ')}], std [${spec.std.join(', ')}] (each std must be at least 1e-6, every value finite)`
          : null;
    if (problem !== null) throw new Error(`'${file}': normalize.mean/normalize.std hold ${problem}`);
  } else if (normalize === undefined || normalize === 'file') {
    throw new UsageError(`--normalize: '${file}' has no normalize.mean/normalize.std, so say how the model saw its inputs: ${NORMALIZE_HELP}`);
  } else if (normalize === 'data') {
    spec.mean = d.mean;
    spec.std = d.std;
  } else if (normalize !== 'none') {
    Object.assign(spec, parseNormalize(normalize, d.inChannels));
  }
  return spec;
}

/** Loads the weights into a fresh model of `spec`; the model's own normalisation buffers fill in when the file has none. */
function loadInto(spec: ModelSpec, tensors: Map<string, Tensor>, what: string): Module {
  const model = createModel(spec);
  const added: Tensor[] = [];
  try {
    const entries = new Map(tensors);
    if (spec.mean !== undefined && !tensors.has('normalize.mean')) {
      added.push(tensor(spec.mean, { dtype: 'float32' }), tensor(spec.std!, { dtype: 'float32' }));
      entries.set('normalize.mean', added[0]!);
      entries.set('normalize.std', added[1]!);
    }
    for (const [k, own] of tidy(() => [...model.stateDict()].map(([k, t]) => [k, t.isFloatingPoint()] as const))) {
      const given = entries.get(k);
      // older state dicts have no BatchNorm step counters; PyTorch loads them as 0, and so does this
      if (given === undefined && k.endsWith('.num_batches_tracked')) {
        const counter = zeros([], { dtype: 'int64' });
        added.push(counter);
        entries.set(k, counter);
      }
      // a cast would hide a file that is not what it seems (integer or boolean tensors where weights belong)
      if (given !== undefined && own && !given.isFloatingPoint()) throw new Error(`'${k}' holds ${given.dtype} values where the model has floating-point weights`);
    }
    try {
      model.loadStateDict(entries);
    } catch (e) {
      throw new Error(`the weights do not fit ${what}: ${(e as Error).message.replace(/ Pass \{ strict: false \}.*$/, '')}`);
    }
    const bad = nonFiniteWeight(model);
    if (bad !== undefined) throw new Error(`the weights hold NaN or infinite values (first in '${bad}'): the model diverged before it was saved`);
    return model;
  } catch (e) {
    model.dispose();
    throw e;
  } finally {
    added.forEach((t) => t.dispose());
  }
}

export default async function importCommand(o: Opts, args: string[]): Promise<void> {
  if (args[0] === undefined) throw new UsageError('import: give the weights file, e.g. lethe import model.pth --model resnet20 --out runs/original');
  const file = inputFile('import', args[0], 'the .pt/.pth or .safetensors file itself');
  const seed = readSeed(o);
  const data = readDataConfig(o, seed);
  const modelName = readModel(o);
  const out = outputDir('--out', required(o, 'out', 'the checkpoint directory to write'));
  // the files the checkpoint is made of may not be the input, whatever links lead there
  const outReal = realPathOf(out);
  if ([WEIGHTS, MANIFEST].some((f) => join(outReal, f) === realpathSync(file))) {
    throw new UsageError(`--out: '${out}' would overwrite the file being imported; choose another --out`);
  }
  refuseFinished(out, o.bool('force'));
  const normalize = o.string('normalize');
  const key = o.string('key');

  const outcome = await withRun(o, async ({ reporter, signal }) => {
    // every phase is synchronous: yield between them so that Ctrl-C is seen, and stop there
    const checkpoint = async (): Promise<void> => {
      await yieldToLoop();
      signal.throwIfAborted();
    };
    let tensors: Map<string, Tensor> | null = null;
    let loaded: LoadedData | null = null;
    let sets: ReturnType<typeof trainSets> | null = null;
    let model: Module | null = null;
    try {
      // the file first: a bad file is found before the data is read
      const weights = loadWeightsFile(file, key === undefined ? {} : { key });
      const renamed = withoutModulePrefix(weights.tensors);
      const stripped = renamed !== null;
      tensors = renamed ?? weights.tensors;
      await checkpoint();
      loaded = loadData(data);
      sets = trainSets(loaded);
      const spec = importedSpec(modelName, loaded, tensors, normalize, file);
      model = loadInto(spec, tensors, `--model ${modelName} for ${loaded.kind} (${loaded.inChannels} channel(s), ${loaded.numClasses} classes)`);
      reporter.log(`import: ${weights.format} weights${weights.key === null ? '' : ` under '${weights.key}'`}${stripped ? " (the 'module.' prefix of DataParallel removed)" : ''} → ${modelName}; evaluating`);
      const accuracyOn = async (set: TensorDataset): Promise<number> => {
        await checkpoint();
        try {
          return evaluateSplit(model!, set).accuracy;
        } catch (e) {
          if (!(e instanceof NonFiniteOutputError)) throw e;
          throw new Error(`the imported model's outputs on ${set.name} are NaN or infinite: weights too large, a BatchNorm running_var ≤ 0, or an input normalisation that does not fit; check '${file}' and --normalize`);
        }
      };
      const accuracy = {
        train: await accuracyOn(sets.train),
        val: sets.val.size > 0 ? await accuracyOn(sets.val) : null,
        test: await accuracyOn(loaded.test),
      };
      await checkpoint();
      const source = { file, sha256: weights.sha256, format: weights.format, key: weights.key, strippedPrefix: stripped ? 'module.' : null, normalize: normalize ?? 'file' };
      const identity = { kind: 'original', imported: source.sha256, data, model: spec };
      const manifest = replaceCheckpoint(out, model, spec, {
        kind: 'original',
        configHash: configHash(identity),
        identity,
        imported: source,
        ...dataRecord(data, loaded, sets, accuracy),
        seed,
      });
      return { manifest, protocol: describeData(loaded), accuracy };
    } finally {
      model?.dispose();
      tensors?.forEach((t) => t.dispose());
      sets?.dispose();
      loaded?.dispose();
    }
  });
  const { accuracy } = outcome;
  if (o.bool('json')) {
    printJson({ checkpoint: out, kind: 'original', model: outcome.manifest.model, imported: outcome.manifest['imported'], protocol: outcome.protocol, accuracy });
    return;
  }
  print(outcome.protocol.map((l) => `# ${l}`).join('\n'));
  print(`# imported ${file} as an original ${modelName} → ${out}`);
  printAccuracy(accuracy);
  print(`next: lethe unlearn --from ${out} --forget random:0.1 --method salun --out DIR`);
}
