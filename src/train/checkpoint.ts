// Checkpoints: a directory holding the weights (safetensors) and a JSON manifest that is enough to rebuild the
// model: architecture spec, data set, split seed, metrics, Lethe and libtorch versions, and a content hash.
//
// Writes are atomic and ordered: weights first (temp file + rename), the manifest last. A directory without a
// manifest, or whose weights do not match the manifest's hash, is not a checkpoint: partial outputs never look
// complete. Resume state (optimizer, epoch, history) lives beside it in resume.{safetensors,json}.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { ensureDirectory } from '../io/atomic.js';
import { basename, join } from 'node:path';
import { disposeStateDict, type Module } from '../nn/module.js';
import { createModel, resolveModelSpec } from '../models/registry.js';
import { ImageClassifier } from '../models/classifier.js';
import { validateModelSpec, type ModelSpec } from '../models/spec.js';
import { parseSafetensors } from '../io/safetensors.js';
import { readJsonObject, sha256, writeJsonAtomic, writeTensorsAtomic, type TensorsFileEntry } from '../io/artifacts.js';
import { getNumThreads, libtorch, type Tensor } from '../torch/index.js';
import { LETHE_VERSION } from '../version.js';
import type { OptimizerStateDict, OptionValue } from '../optim/optimizer.js';
import type { EpochMetrics, ResumeState } from './fit.js';

export const MANIFEST = 'manifest.json';
export const WEIGHTS = 'model.safetensors';
const RESUME_TENSORS = 'resume.safetensors';
const RESUME_JSON = 'resume.json';

/**
 * A checkpoint's manifest.json: enough to rebuild the model (its spec) and to check its weights (their hash), plus the
 * run's description.
 */
export interface CheckpointManifest {
  /** Identifies the file as a Lethe checkpoint manifest. */
  format: 'lethe-checkpoint';
  /** The manifest format's version; readManifest refuses others. */
  formatVersion: 1;
  /** what produced it: 'original' (trained), 'retrain', 'unlearned', ... */
  kind: string;
  /** The architecture: createModel(model) rebuilds it. */
  model: ModelSpec;
  /** The weights file (in the checkpoint's directory), its SHA-256 (hex) and size in bytes; loading checks the hash. */
  weights: { file: string; sha256: string; bytes: number };
  /** The Lethe version that wrote it. */
  lethe: string;
  /** The libtorch version that wrote it. */
  libtorch: string;
  /** libtorch's intra-op threads: CPU results are bit-reproducible for a given seed, data and thread count
   *  (reductions split their work by thread, so another count rounds differently); absent in older manifests */
  threads?: number;
  /** When it was written, as an ISO 8601 UTC timestamp. */
  created: string;
  /** anything that describes the run: dataset, split seed, forget set, method and options, recipe, metrics */
  [key: string]: unknown;
}

/** A checkpoint directory that cannot be read: missing or corrupt manifest, missing or modified weights. */
export class CheckpointError extends Error {
  constructor(dir: string, problem: string) {
    super(`checkpoint '${dir}': ${problem}`);
    this.name = 'CheckpointError';
  }
}


/** Each state entry's shape, by name (the architecture as loadStateDict will see it). */
function stateShapes(model: Module): Map<string, string> {
  const sd = model.stateDict();
  try {
    return new Map([...sd].map(([k, t]) => [k, t.shape.join('×')]));
  } finally {
    disposeStateDict(sd);
  }
}

/**
 * Refuses, before anything is written, a checkpoint that loadCheckpoint could not load: a spec that does not build
 * this classifier (its resolved form differs from the model's own spec) or, for another module, its state shapes;
 * or an `info` that JSON cannot hold (a BigInt would fail only after the weights).
 */
function checkSavable(model: Module, spec: ModelSpec, info: Record<string, unknown>): ModelSpec {
  let checked: ModelSpec;
  try {
    checked = validateModelSpec(spec);
  } catch (e) {
    throw new TypeError(`saveCheckpoint: ${(e as Error).message}`);
  }
  if (model instanceof ImageClassifier) {
    // the spec createModel would resolve it to, against the model's own: no model is built, so no random number is
    // drawn (building one to compare shapes would move the global generator under the caller)
    const own = validateModelSpec(model.spec);
    if (JSON.stringify(resolveModelSpec(checked)) !== JSON.stringify(own)) {
      throw new Error(`saveCheckpoint: the spec ${JSON.stringify(checked)} does not build this model, whose own spec is ${JSON.stringify(own)}; give model.spec`);
    }
  } else {
    checkShapes(model, checked);
  }
  try {
    JSON.stringify(info);
  } catch (e) {
    throw new TypeError(`saveCheckpoint: info cannot be written as JSON (${(e as Error).message})`);
  }
  return checked;
}

/** A module that is not an ImageClassifier: the spec must build its exact state shapes (building one draws weights). */
function checkShapes(model: Module, checked: ModelSpec): void {
  const built = createModel(checked);
  let expected: Map<string, string>;
  try {
    expected = stateShapes(built);
  } finally {
    built.dispose();
  }
  const actual = stateShapes(model);
  const wrong = [...new Set([...expected.keys(), ...actual.keys()])].find((k) => expected.get(k) !== actual.get(k));
  if (wrong !== undefined) {
    throw new Error(
      `saveCheckpoint: the spec ${JSON.stringify(checked)} does not describe this model ('${wrong}' is ${actual.get(wrong) ?? 'absent'} in the model, ${expected.get(wrong) ?? 'absent'} in the spec's); give the model's own spec`,
    );
  }
}

/**
 * Saves a model and its manifest into `dir` (created if needed). Returns the manifest. The spec must build the
 * model (`model.spec` always does; checked first, so a wrong one writes nothing). Numbers that JSON cannot hold (NaN,
 * Infinity) in `info` are written as null, as JSON.stringify does.
 */
export function saveCheckpoint(dir: string, model: Module, spec: ModelSpec, info: { kind: string } & Record<string, unknown>): CheckpointManifest {
  model.checkLive('saveCheckpoint');
  spec = checkSavable(model, spec, info);
  ensureDirectory(dir);
  const sd = model.stateDict();
  let written: TensorsFileEntry;
  try {
    written = writeTensorsAtomic(join(dir, WEIGHTS), sd);
  } finally {
    disposeStateDict(sd);
  }
  const manifest: CheckpointManifest = {
    ...info,
    format: 'lethe-checkpoint',
    formatVersion: 1,
    kind: info.kind,
    model: spec,
    weights: { file: WEIGHTS, ...written },
    lethe: LETHE_VERSION,
    libtorch: libtorch.version(),
    threads: getNumThreads(),
    created: new Date().toISOString(),
  };
  writeJsonAtomic(join(dir, MANIFEST), manifest);
  return manifest;
}

/** Reads and checks a manifest without loading weights. */
export function readManifest(dir: string): CheckpointManifest {
  const path = join(dir, MANIFEST);
  if (!existsSync(path)) {
    throw new CheckpointError(dir, `no ${MANIFEST}: not a Lethe checkpoint, or an interrupted run (rerun the command that makes it)`);
  }
  let m: unknown;
  try {
    m = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new CheckpointError(dir, `${MANIFEST} is not valid JSON (${(e as Error).message}); the checkpoint is corrupt`);
  }
  if (typeof m !== 'object' || m === null || Array.isArray(m)) throw new CheckpointError(dir, `${MANIFEST} is not a JSON object; the checkpoint is corrupt`);
  const man = m as Partial<CheckpointManifest>;
  if ((man.format as string | undefined) === 'lethe-diffusion') {
    throw new CheckpointError(dir, 'it is a diffusion model; use lethe diffusion eval / sample / unlearn / mask for it');
  }
  if (man.format !== 'lethe-checkpoint') throw new CheckpointError(dir, `${MANIFEST} is not a Lethe checkpoint manifest`);
  if (man.formatVersion !== 1) throw new CheckpointError(dir, `unsupported checkpoint format version ${String(man.formatVersion)}`);
  try {
    man.model = validateModelSpec(man.model);
  } catch (e) {
    throw new CheckpointError(dir, (e as Error).message);
  }
  if (!man.weights || typeof man.weights.sha256 !== 'string' || typeof man.weights.file !== 'string') throw new CheckpointError(dir, 'the manifest does not describe its weights file');
  // the weights live in the checkpoint's own directory: a path elsewhere is a corrupt (or crafted) manifest
  if (basename(man.weights.file) !== man.weights.file || man.weights.file === '..') throw new CheckpointError(dir, `the weights file '${man.weights.file}' is not a file of the checkpoint's directory`);
  return man as CheckpointManifest;
}

/** Rebuilds the model from the manifest alone and loads its weights (hash-checked). */
export function loadCheckpoint(dir: string): { model: Module; spec: ModelSpec; manifest: CheckpointManifest } {
  const manifest = readManifest(dir);
  const path = join(dir, manifest.weights.file);
  if (!existsSync(path)) throw new CheckpointError(dir, `weights file ${manifest.weights.file} is missing`);
  const bytes = readFileSync(path);
  if (sha256(bytes) !== manifest.weights.sha256) {
    throw new CheckpointError(dir, `${manifest.weights.file} does not match the manifest's hash: the file is corrupt or was modified`);
  }
  const { tensors } = parseSafetensors(bytes, path);
  const model = createModel(manifest.model);
  try {
    model.loadStateDict(tensors, { strict: true });
    return { model, spec: manifest.model, manifest };
  } catch (e) {
    model.dispose();
    throw new CheckpointError(dir, (e as Error).message);
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
}

/** True when `dir` holds a complete checkpoint (manifest present and weights matching it). */
export function isCompleteCheckpoint(dir: string): boolean {
  try {
    const m = readManifest(dir);
    return sha256(readFileSync(join(dir, m.weights.file))) === m.weights.sha256;
  } catch {
    return false;
  }
}

// ---- resume state ------------------------------------------------------------------------------------------

/** Saves model weights + optimizer state after an epoch, so a killed run can resume (tensors first, JSON last). */
export function saveResumeState(dir: string, model: Module, state: ResumeState): void {
  ensureDirectory(dir);
  const sd = model.stateDict();
  const tensors = new Map<string, Tensor>();
  for (const [k, v] of sd) tensors.set(`model.${k}`, v);
  for (const [k, v] of state.optimizer.state) tensors.set(`optim.${k}`, v);
  let written: TensorsFileEntry;
  try {
    written = writeTensorsAtomic(join(dir, RESUME_TENSORS), tensors);
  } finally {
    disposeStateDict(sd);
  }
  writeJsonAtomic(join(dir, RESUME_JSON), { epoch: state.epoch, history: state.history, groups: state.optimizer.groups, sha256: written.sha256 });
}

/** Loads resume state into `model` if a consistent one exists; returns null otherwise. */
export function loadResumeState(dir: string, model: Module): ResumeState | null {
  const jsonPath = join(dir, RESUME_JSON);
  const tensorPath = join(dir, RESUME_TENSORS);
  if (!existsSync(jsonPath) || !existsSync(tensorPath)) return null;
  // a damaged resume.json (null) starts over rather than failing the run
  const info = readJsonObject(jsonPath) as { epoch: number; history: EpochMetrics[]; groups: Record<string, OptionValue>[]; sha256: string } | null;
  if (info === null) return null;
  const bytes = readFileSync(tensorPath);
  if (sha256(bytes) !== info.sha256) return null; // torn pair: start over rather than resume from a mix
  const { tensors } = parseSafetensors(bytes, tensorPath);
  const modelSd = new Map<string, Tensor>();
  const optimState = new Map<string, Tensor>();
  for (const [k, v] of tensors) {
    if (k.startsWith('model.')) modelSd.set(k.slice(6), v);
    else if (k.startsWith('optim.')) optimState.set(k.slice(6), v);
    else v.dispose(); // written by no version of saveResumeState: nothing reads it
  }
  try {
    model.loadStateDict(modelSd, { strict: true });
  } catch (e) {
    // resume files of another architecture: the optimizer state is handed to no one, so it is freed here
    for (const t of optimState.values()) t.dispose();
    throw e;
  } finally {
    for (const t of modelSd.values()) t.dispose();
  }
  const optimizer: OptimizerStateDict = { groups: info.groups, state: optimState };
  return { epoch: info.epoch, history: info.history, optimizer };
}

/** Deletes the resume state files in `dir` (resume.json and resume.safetensors), if present. */
export function clearResumeState(dir: string): void {
  rmSync(join(dir, RESUME_JSON), { force: true });
  rmSync(join(dir, RESUME_TENSORS), { force: true });
}
