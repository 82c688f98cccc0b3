// A saliency mask as a file, so that one gradient pass can serve many runs (the SalUn reference saves its masks as
// `with_<ratio>.pt` from a separate generate_mask step, then every unlearning run loads one).
//
// Written as safetensors: one float32 0/1 tensor per parameter name (as PyTorch multiplies it into gradients),
// with the mask's ratio and salient count in the metadata beside whatever the caller records (the model it was
// computed from, the forget set). Read from safetensors or from a torch.save dict of tensors, the reference's format,
// with DataParallel's 'module.' prefix removed; checked against the model by maskFromTensors.
import { existsSync } from 'node:fs';
import { writeTensorsAtomic, type TensorsFileEntry } from '../../io/artifacts.js';
import { loadWeightsFile, withoutModulePrefix } from '../../io/weights.js';
import type { Module } from '../../nn/module.js';
import { maskFromTensors, type SaliencyMask } from './saliency.js';

/** The metadata key that marks a Lethe mask file. */
export const MASK_FILE_KIND = 'lethe-saliency-mask';

/**
 * Writes `mask` to `path` atomically (complete, or the previous file untouched) and returns the file's hash and size.
 * `metadata` (string values) is stored beside the mask's own kind, ratio and salient count.
 */
export function saveMaskFile(path: string, mask: SaliencyMask, metadata: Readonly<Record<string, string>> = {}): TensorsFileEntry {
  if (mask.isDisposed) throw new Error('saveMaskFile: the mask was disposed');
  return writeTensorsAtomic(path, mask.masks, { ...metadata, kind: MASK_FILE_KIND, ratio: String(mask.ratio), salient: String(mask.count()) });
}

/** What loadMaskFile returns: the mask (the caller owns it) and where it came from. */
export interface LoadedMaskFile {
  /** The mask, checked against the model: every name a parameter of it, every shape the parameter's. */
  mask: SaliencyMask;
  /** SHA-256 of the file's bytes, for the run's record. */
  sha256: string;
  /** The format detected from the file's content. */
  format: 'pytorch' | 'safetensors';
  /** What the file records of where it came from (saveMaskFile's metadata: model, forget, method, seed, …); {} for a torch.save file. */
  metadata: Record<string, string>;
}

/** What a run is, for comparing with where a mask file says it came from. */
export interface MaskRunIdentity {
  /** SHA-256 of the weights the run starts from */
  model: string;
  /** the forget spec (classifier runs) */
  forget?: string;
  /** digest of the forget set it selects (classifier runs) */
  forgetDigest?: string;
  /** the class forgotten (DDPM runs) */
  forgetClass?: number;
}

/**
 * Where a mask file says it came from (saveMaskFile's metadata) against the run it is given to: one sentence per
 * difference (other weights, another forget set), none when it matches or records nothing (a torch.save file). A mask
 * from elsewhere can be meant (one class's mask tried on another), so this is for a warning and the run's record, not
 * a refusal.
 */
export function maskProvenanceWarnings(metadata: Readonly<Record<string, string>>, run: MaskRunIdentity): string[] {
  const out: string[] = [];
  const short = (h: string): string => `${h.slice(0, 12)}…`;
  if (metadata['model'] !== undefined && metadata['model'] !== run.model) out.push(`it was computed from other weights (sha256 ${short(metadata['model'])}; this run starts from ${short(run.model)})`);
  if (run.forget !== undefined && metadata['forget'] !== undefined && metadata['forget'] !== run.forget) out.push(`it was computed for the forget set '${metadata['forget']}'; this run forgets '${run.forget}'`);
  else if (run.forgetDigest !== undefined && metadata['forgetDigest'] !== undefined && metadata['forgetDigest'] !== run.forgetDigest) {
    out.push(`it was computed for another selection of '${metadata['forget'] ?? run.forget}' (its indices file changed since)`);
  }
  if (run.forgetClass !== undefined && metadata['forgetClass'] !== undefined && metadata['forgetClass'] !== String(run.forgetClass)) {
    out.push(`it was computed for class ${metadata['forgetClass']}; this run forgets class ${run.forgetClass}`);
  }
  return out;
}

/**
 * Reads a mask for `model` from a safetensors file (saveMaskFile's) or a torch.save dict of tensors (the reference's
 * `with_0.5.pt`). A nonzero entry is salient; a parameter the file does not name stays frozen. Throws, naming the
 * file, when it is missing or unreadable, names a tensor the model lacks, has a wrong shape, or selects no weight.
 */
export function loadMaskFile(model: Module, path: string): LoadedMaskFile {
  if (!existsSync(path)) throw new Error(`mask file '${path}' does not exist; save one with saveMaskFile (lethe unlearn --save-mask)`);
  const file = loadWeightsFile(path);
  try {
    const tensors = withoutModulePrefix(file.tensors) ?? file.tensors;
    let mask: SaliencyMask;
    try {
      mask = maskFromTensors(model, tensors);
    } catch (e) {
      throw new Error(`mask file '${path}': ${(e as Error).message}`);
    }
    if (mask.count() === 0) {
      mask.dispose();
      throw new Error(`mask file '${path}' selects no weight of the model (every entry is 0); nothing could change`);
    }
    return { mask, sha256: file.sha256, format: file.format, metadata: file.metadata };
  } finally {
    for (const t of file.tensors.values()) t.dispose();
  }
}
