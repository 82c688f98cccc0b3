// A model's weights from a file in either format Lethe reads, told apart by content rather than by extension:
// a torch.save zip (`.pt`/`.pth`, PyTorch >= 1.6) or safetensors.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { sha256 } from './artifacts.js';
import type { Tensor } from '../torch/tensor.js';
import { looksLikeLegacyTorchSave, parsePytorchCheckpoint } from './pytorch.js';
import { parseSafetensors } from './safetensors.js';
import { looksLikeZip } from './zip.js';

/** What loadWeightsFile returns: a state dict, whichever of the two formats it was read from. */
export interface WeightsFile {
  /** the tensors by state-dict name; the caller owns them */
  tensors: Map<string, Tensor>;
  /** The format detected from the file's bytes, whatever its extension. */
  format: 'pytorch' | 'safetensors';
  /** where the state dict sat inside a PyTorch checkpoint dict ('state_dict', ...), null at its root */
  key: string | null;
  /** SHA-256 of the file's bytes (the ones the tensors were parsed from), for a run's record */
  sha256: string;
  /** a safetensors file's `__metadata__` strings ({} for a torch.save file, whose pickle holds no such record) */
  metadata: Record<string, string>;
}

/**
 * Reads `path` as a torch.save file or a safetensors file; `key` picks the state dict inside a PyTorch checkpoint.
 * The file is read once: the hash describes the very bytes the tensors came from, even if the file changes meanwhile.
 */
export function loadWeightsFile(path: string, o: { key?: string } = {}): WeightsFile {
  if (!existsSync(path)) throw new Error(`weights file '${path}' does not exist`);
  if (!statSync(path).isFile()) throw new Error(`weights file '${path}' is not a file`);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new Error(`weights file '${path}' cannot be read (${(e as Error).message})`);
  }
  const hash = sha256(bytes);
  // (a legacy torch.save pickle goes to the PyTorch reader too, which says how to re-save it)
  if (looksLikeZip(bytes) || looksLikeLegacyTorchSave(bytes)) {
    const c = parsePytorchCheckpoint(bytes, path, o.key === undefined ? {} : { key: o.key });
    return { tensors: c.tensors, format: 'pytorch', key: c.key, sha256: hash, metadata: {} };
  }
  let content;
  try {
    content = parseSafetensors(bytes, path);
  } catch (e) {
    throw new Error(`weights file '${path}' is neither a torch.save file (.pt/.pth from PyTorch >= 1.6: a zip archive) nor a safetensors file (${(e as Error).message})`);
  }
  if (o.key !== undefined) {
    for (const t of content.tensors.values()) t.dispose();
    throw new Error(`weights file '${path}' is a safetensors file, which holds one flat set of tensors: a key ('${o.key}') applies to PyTorch checkpoints only`);
  }
  return { tensors: content.tensors, format: 'safetensors', key: null, sha256: hash, metadata: content.metadata };
}

/**
 * The tensors renamed without the 'module.' prefix that a DataParallel model writes before every name, or null when
 * not every name has it (the model's own names never do). The tensors are shared, not copied.
 */
export function withoutModulePrefix(tensors: ReadonlyMap<string, Tensor>): Map<string, Tensor> | null {
  const entries = [...tensors];
  if (entries.length === 0 || !entries.every(([k]) => k.startsWith('module.'))) return null;
  return new Map(entries.map(([k, t]) => [k.slice('module.'.length), t]));
}
