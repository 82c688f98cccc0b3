// Selective Amnesia's two expensive passes as one file, so that they serve many runs: the reference samples its
// replay set once (sample.py → class_samples/) and computes the Fisher information once (fim.py → fisher_dict.pkl),
// then every forgetting run (another λ, another class) reads both. At its settings the passes take hours; a run
// with a saved file starts training at once.
//
// Written as safetensors: `replay.images` (uint8 [N, C, S, S]), `replay.labels` (int64 [N]) and `fisher.<parameter
// name>` (float32, the parameter's shape), with the settings that made them (JSON) and the source weights' hash in the
// metadata.
import { existsSync } from 'node:fs';
import { writeTensorsAtomic, type TensorsFileEntry } from '../io/artifacts.js';
import { loadWeightsFile } from '../io/weights.js';
import { TensorDataset } from '../data/dataset.js';
import { keep, type Tensor } from '../torch/index.js';
import type { Gradients } from '../unlearn/blocks/gradients.js';
import type { SaSettings } from './sa.js';
import type { UNet } from './unet.js';

/** The metadata key that marks a Lethe SA file. */
export const SA_FILE_KIND = 'lethe-sa-replay-fisher';

/** The replay and Fisher settings (SaSettings without the training weights λ and γ). */
export type SaPassSettings = Omit<SaSettings, 'ewcWeight' | 'replayWeight'>;

/** SA's precomputed passes: the replay set of every class, the diagonal Fisher information, and their settings. */
export interface SaPrepared {
  /** uint8 images of every class sampled from the original, labels 0 … C−1 */
  replay: TensorDataset;
  /** F per parameter name */
  fisher: Gradients;
  /** how they were made */
  settings: SaPassSettings;
}

/**
 * What keeps precomputed passes from serving `model`, as a phrase (null when they fit): replay images of another size
 * or class count, a parameter without a Fisher tensor of its shape, or a Fisher tensor for no parameter.
 */
export function saPreparedMismatch(model: UNet, p: Pick<SaPrepared, 'replay' | 'fisher'>): string | null {
  const { inChannels: c, imageSize: s, numClasses } = model.config;
  if (p.replay.numClasses !== numClasses || p.replay.imageShape.join(',') !== [c, s, s].join(',')) {
    return `holds replay images of ${p.replay.numClasses} classes, ${p.replay.imageShape.join('×')}; the UNet needs ${numClasses} classes of ${c}×${s}×${s}`;
  }
  const params = new Map(model.namedParameters());
  for (const [name, w] of params) {
    if (p.fisher.get(name)?.shape.join(',') !== w.shape.join(',')) return `has no Fisher information of shape [${w.shape}] for '${name}'`;
  }
  const stray = [...p.fisher.keys()].find((name) => !params.has(name));
  return stray === undefined ? null : `holds Fisher information for '${stray}', which is no parameter of the model`;
}

/** Frees a SaPrepared's replay set and Fisher tensors. */
export function disposeSaPrepared(p: SaPrepared): void {
  p.replay.dispose();
  for (const f of p.fisher.values()) f.dispose();
  p.fisher.clear();
}

/** Writes `prepared` to `path` atomically, with the settings and seed that made it and the source weights' hash. */
export function saveSaFile(path: string, prepared: SaPrepared, o: { seed: number; model: string }): TensorsFileEntry {
  const tensors = new Map<string, Tensor>([
    ['replay.images', prepared.replay.images],
    ['replay.labels', prepared.replay.labels],
  ]);
  for (const [name, f] of prepared.fisher) tensors.set(`fisher.${name}`, f);
  return writeTensorsAtomic(path, tensors, { kind: SA_FILE_KIND, model: o.model, seed: String(o.seed), settings: JSON.stringify(prepared.settings) });
}

/** What loadSaFile returns: the passes (the caller owns them), the file's hash, and what it records. */
export interface LoadedSaFile extends SaPrepared {
  /** SHA-256 of the file's bytes. */
  sha256: string;
  /** the seed of the passes */
  seed: number;
  /** SHA-256 of the weights they were computed from */
  model: string;
}

/**
 * Reads an SA file for `model`: the replay images must have the model's channels and size and its classes' labels,
 * and the Fisher information one tensor per trainable parameter, of its shape. Throws, naming the file, otherwise.
 */
export function loadSaFile(model: UNet, path: string): LoadedSaFile {
  if (!existsSync(path)) throw new Error(`SA file '${path}' does not exist; write one with saveSaFile (lethe diffusion replay)`);
  const file = loadWeightsFile(path);
  const taken = new Set<string>();
  try {
    const bad = (why: string): Error => new Error(`SA file '${path}' ${why}; write it again with lethe diffusion replay for this model`);
    if (file.metadata['kind'] !== SA_FILE_KIND) throw bad(`is not an SA file (its metadata kind is '${file.metadata['kind'] ?? 'none'}')`);
    const images = file.tensors.get('replay.images');
    const labels = file.tensors.get('replay.labels');
    if (!images || !labels) throw bad('has no replay images or labels');
    const fisher: Gradients = new Map();
    for (const [key, t] of file.tensors) {
      if (key.startsWith('fisher.')) fisher.set(key.slice('fisher.'.length), t);
      else if (key !== 'replay.images' && key !== 'replay.labels') throw bad(`holds '${key}', which is neither a replay tensor nor Fisher information`);
    }
    let settings: SaPassSettings;
    try {
      settings = JSON.parse(file.metadata['settings'] ?? '') as SaPassSettings;
    } catch {
      throw bad('records no readable settings');
    }
    let replay: TensorDataset;
    try {
      replay = new TensorDataset({ images, labels, numClasses: model.config.numClasses, name: 'sa-replay' });
    } catch (e) {
      throw bad(`has bad replay images or labels (${(e as Error).message})`);
    }
    taken.add('replay.images').add('replay.labels'); // the dataset owns them now
    const mismatch = saPreparedMismatch(model, { replay, fisher });
    if (mismatch !== null) {
      replay.dispose();
      throw bad(mismatch);
    }
    // every check passed: the caller owns the dataset and the Fisher tensors
    for (const [name, f] of fisher) {
      taken.add(`fisher.${name}`);
      keep(f);
    }
    return { replay, fisher, sha256: file.sha256, settings, seed: Number(file.metadata['seed']), model: file.metadata['model'] ?? '' };
  } finally {
    for (const [k, t] of file.tensors) if (!taken.has(k)) t.dispose();
  }
}
