// Diffusion checkpoints: a directory with the UNet weights (model.safetensors), optionally their EMA
// (ema.safetensors), and a JSON manifest that rebuilds the UNet and its noise schedule. Same rules as the
// classification checkpoints (src/train/checkpoint.ts): tensors first, manifest last, atomic writes, SHA-256 of
// every weights file in the manifest, so a partial directory never looks complete. Resume state for training
// lives beside it (resume.safetensors + resume.json).
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { ensureDirectory } from '../io/atomic.js';
import { join } from 'node:path';
import { readJsonObject, sha256, writeJsonAtomic, writeTensorsAtomic, type TensorsFileEntry } from '../io/artifacts.js';
import { parseSafetensors } from '../io/safetensors.js';
import type { OptimizerStateDict, OptionValue } from '../optim/optimizer.js';
import { getNumThreads, libtorch, type Tensor } from '../torch/index.js';
import { LETHE_VERSION } from '../version.js';
import { resolveUNetConfig, type UNetConfig } from './config.js';
import type { Ema } from './ema.js';
import { NoiseSchedule, type ScheduleOptions } from './schedule.js';
import { UNet } from './unet.js';

export const DIFFUSION_MANIFEST = 'manifest.json';
const MODEL_FILE = 'model.safetensors';
const EMA_FILE = 'ema.safetensors';
const RESUME_TENSORS = 'resume.safetensors';
const RESUME_JSON = 'resume.json';

/**
 * A diffusion checkpoint's manifest.json: what rebuilds the UNet and its noise schedule, and the hashes of its weights
 * files.
 */
export interface DiffusionManifest {
  /** Identifies the file as a Lethe diffusion checkpoint manifest. */
  format: 'lethe-diffusion';
  /** The manifest format's version; readDiffusionManifest refuses others. */
  formatVersion: 1;
  /** 'original' (trained), 'unlearned', ... */
  kind: string;
  /** The UNet's architecture (resolved: every field present). */
  unet: UNetConfig;
  /** The noise schedule the model was trained with. */
  schedule: Required<ScheduleOptions>;
  /** The model weights file, its SHA-256 (hex) and size in bytes; loading checks the hash. */
  weights: { file: string; sha256: string; bytes: number };
  /** The EMA weights file and how many updates it averaged, or null when there is none. */
  ema: { file: string; sha256: string; bytes: number; updates: number } | null;
  /** The Lethe version that wrote it. */
  lethe: string;
  /** The libtorch version that wrote it. */
  libtorch: string;
  /** libtorch's intra-op threads: CPU results are bit-reproducible for a given seed, data and thread count
   *  (reductions split their work by thread, so another count rounds differently); absent in older manifests */
  threads?: number;
  /** When it was written, as an ISO 8601 UTC timestamp. */
  created: string;
  [key: string]: unknown;
}

/** A diffusion checkpoint directory that cannot be read: missing or corrupt manifest, missing or modified weights. */
export class DiffusionCheckpointError extends Error {
  constructor(dir: string, problem: string) {
    super(`diffusion checkpoint '${dir}': ${problem}`);
    this.name = 'DiffusionCheckpointError';
  }
}


/** Saves the UNet (and its EMA, if given) into `dir`; returns the manifest. */
export function saveDiffusionCheckpoint(
  dir: string,
  model: UNet,
  schedule: NoiseSchedule,
  info: { kind: string; ema?: Ema } & Record<string, unknown>,
): DiffusionManifest {
  ensureDirectory(dir);
  const { ema, ...rest } = info;
  const sd = model.stateDict();
  let modelEntry: TensorsFileEntry;
  try {
    modelEntry = writeTensorsAtomic(join(dir, MODEL_FILE), sd);
  } finally {
    for (const t of sd.values()) t.dispose();
  }
  let emaEntry: DiffusionManifest['ema'] = null;
  if (ema) {
    emaEntry = { file: EMA_FILE, ...writeTensorsAtomic(join(dir, EMA_FILE), ema.shadow), updates: ema.updates };
  } else {
    rmSync(join(dir, EMA_FILE), { force: true });
  }
  const manifest: DiffusionManifest = {
    ...rest,
    format: 'lethe-diffusion',
    formatVersion: 1,
    kind: info.kind,
    unet: model.config,
    schedule: schedule.toJSON(),
    weights: { file: MODEL_FILE, ...modelEntry },
    ema: emaEntry,
    lethe: LETHE_VERSION,
    libtorch: libtorch.version(),
    threads: getNumThreads(),
    created: new Date().toISOString(),
  };
  writeJsonAtomic(join(dir, DIFFUSION_MANIFEST), manifest);
  return manifest;
}

/**
 * Reads and checks a diffusion checkpoint's manifest without loading weights; throws a DiffusionCheckpointError on
 * anything wrong.
 */
export function readDiffusionManifest(dir: string): DiffusionManifest {
  const path = join(dir, DIFFUSION_MANIFEST);
  if (!existsSync(path)) throw new DiffusionCheckpointError(dir, `no ${DIFFUSION_MANIFEST}: not a Lethe diffusion checkpoint, or an interrupted run (rerun the command that makes it)`);
  let m: Partial<DiffusionManifest>;
  try {
    m = JSON.parse(readFileSync(path, 'utf8')) as Partial<DiffusionManifest>;
  } catch (e) {
    throw new DiffusionCheckpointError(dir, `${DIFFUSION_MANIFEST} is not valid JSON (${(e as Error).message})`);
  }
  if (m.format !== 'lethe-diffusion') {
    throw new DiffusionCheckpointError(dir, m.format === 'lethe-checkpoint' ? 'this is a classifier checkpoint, not a diffusion model (lethe eval, unlearn and mask read those)' : 'not a Lethe diffusion checkpoint manifest');
  }
  if (m.formatVersion !== 1) throw new DiffusionCheckpointError(dir, `unsupported format version ${String(m.formatVersion)}`);
  try {
    m.unet = resolveUNetConfig(m.unet ?? {});
  } catch (e) {
    throw new DiffusionCheckpointError(dir, (e as Error).message);
  }
  if (!m.weights || typeof m.weights.sha256 !== 'string' || !m.schedule) throw new DiffusionCheckpointError(dir, 'the manifest does not describe its weights or schedule');
  return m as DiffusionManifest;
}

function readChecked(dir: string, entry: { file: string; sha256: string }): Map<string, Tensor> {
  const path = join(dir, entry.file);
  if (!existsSync(path)) throw new DiffusionCheckpointError(dir, `weights file ${entry.file} is missing`);
  const bytes = readFileSync(path);
  if (sha256(bytes) !== entry.sha256) throw new DiffusionCheckpointError(dir, `${entry.file} does not match the manifest's hash: the file is corrupt or was modified`);
  return parseSafetensors(bytes, path).tensors;
}

/**
 * Rebuilds the UNet and schedule. `weights`: 'ema' (the averaged weights; an error if there are none), 'model',
 * or 'auto' (default: EMA when present, as DDPM samples with its EMA). `sha256`: the hash of the weights file loaded,
 * which a run records as where it started from.
 */
export function loadDiffusionCheckpoint(
  dir: string,
  o: { weights?: 'auto' | 'ema' | 'model' } = {},
): { model: UNet; schedule: NoiseSchedule; manifest: DiffusionManifest; weights: 'ema' | 'model'; sha256: string } {
  const manifest = readDiffusionManifest(dir);
  const want = o.weights ?? 'auto';
  if (want === 'ema' && manifest.ema === null) throw new DiffusionCheckpointError(dir, 'it has no EMA weights (load { weights: "model" })');
  const which = want === 'model' || manifest.ema === null ? 'model' : 'ema';
  const entry = which === 'ema' ? manifest.ema! : manifest.weights;
  const tensors = readChecked(dir, entry);
  const model = new UNet(manifest.unet);
  try {
    model.loadStateDict(tensors, { strict: which === 'model' });
    return { model, schedule: new NoiseSchedule(manifest.schedule), manifest, weights: which, sha256: entry.sha256 };
  } catch (e) {
    model.dispose();
    throw new DiffusionCheckpointError(dir, (e as Error).message);
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
}

// ---- resume state of a training run ------------------------------------------------------------------------

export interface DiffusionResume {
  iteration: number;
  optimizer: OptimizerStateDict;
  lossHistory: number[];
}

/** Saves model, EMA and optimizer state after `iteration` (tensors first, JSON last). */
export function saveDiffusionResume(dir: string, model: UNet, ema: Ema, state: DiffusionResume & { options: Record<string, unknown> }): void {
  ensureDirectory(dir);
  const tensors = new Map<string, Tensor>();
  const sd = model.stateDict();
  for (const [k, v] of sd) tensors.set(`model.${k}`, v);
  for (const [k, v] of ema.shadow) tensors.set(`ema.${k}`, v);
  for (const [k, v] of state.optimizer.state) tensors.set(`optim.${k}`, v);
  let written: TensorsFileEntry;
  try {
    written = writeTensorsAtomic(join(dir, RESUME_TENSORS), tensors);
  } finally {
    for (const t of sd.values()) t.dispose();
  }
  writeJsonAtomic(join(dir, RESUME_JSON), {
    iteration: state.iteration,
    lossHistory: state.lossHistory,
    groups: state.optimizer.groups,
    emaUpdates: ema.updates,
    unet: model.config,
    options: state.options,
    sha256: written.sha256,
  });
}

/**
 * Loads resume state into `model` and `ema` when a consistent one for the same UNet exists; null otherwise.
 * The returned optimizer tensors belong to the caller.
 */
export function loadDiffusionResume(dir: string, model: UNet, ema: Ema): (DiffusionResume & { options: Record<string, unknown> }) | null {
  const jsonPath = join(dir, RESUME_JSON);
  const tensorPath = join(dir, RESUME_TENSORS);
  if (!existsSync(jsonPath) || !existsSync(tensorPath)) return null;
  // a damaged resume.json (null) starts over rather than failing the run
  const info = readJsonObject(jsonPath) as {
    iteration: number;
    lossHistory: number[];
    groups: Record<string, OptionValue>[];
    emaUpdates: number;
    unet: UNetConfig;
    options: Record<string, unknown>;
    sha256: string;
  } | null;
  if (info === null || JSON.stringify(info.unet) !== JSON.stringify(model.config)) return null;
  const bytes = readFileSync(tensorPath);
  if (sha256(bytes) !== info.sha256) return null;
  const { tensors } = parseSafetensors(bytes, tensorPath);
  const modelSd = new Map<string, Tensor>();
  const emaSd = new Map<string, Tensor>();
  const optim = new Map<string, Tensor>();
  for (const [k, v] of tensors) {
    if (k.startsWith('model.')) modelSd.set(k.slice(6), v);
    else if (k.startsWith('ema.')) emaSd.set(k.slice(4), v);
    else if (k.startsWith('optim.')) optim.set(k.slice(6), v);
    else v.dispose();
  }
  try {
    model.loadStateDict(modelSd, { strict: true });
    ema.load(emaSd, info.emaUpdates);
  } catch (e) {
    for (const t of optim.values()) t.dispose();
    throw e;
  } finally {
    for (const t of modelSd.values()) t.dispose();
    for (const t of emaSd.values()) t.dispose();
  }
  return { iteration: info.iteration, optimizer: { groups: info.groups, state: optim }, lossHistory: info.lossHistory, options: info.options };
}

export function clearDiffusionResume(dir: string): void {
  rmSync(join(dir, RESUME_JSON), { force: true });
  rmSync(join(dir, RESUME_TENSORS), { force: true });
}
