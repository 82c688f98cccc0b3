// Opening checkpoints given on the command line, with errors that say which flag and what to do: a missing
// directory or one without a manifest is a usage error (2); a manifest whose weights fail the hash check is a
// failure (1): the file is corrupt. And replacing the one in --out, only when asked to.
import { existsSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Module } from '../nn/module.js';
import type { ModelSpec } from '../models/index.js';
import { CheckpointError, MANIFEST, isCompleteCheckpoint, loadCheckpoint, saveCheckpoint, type CheckpointManifest } from '../train/checkpoint.js';
import { tidy } from '../torch/index.js';
import { jsonFormat } from '../io/artifacts.js';
import { UsageError } from './errors.js';
import { VAL_FRACTION, type DataConfig } from './data.js';

/**
 * A checkpoint directory given on the command line, before anything is loaded: missing, a file, or without its
 * manifest is a usage error naming the flag. `makers` says which commands write such a directory (the diffusion
 * checkpoints share the manifest's name). Returns `dir`, checked.
 */
export function checkCheckpointDir(dir: string, flag: string, makers = 'lethe train or lethe unlearn'): string {
  if (!existsSync(dir)) throw new UsageError(`${flag}: directory '${dir}' does not exist; pass a directory written by ${makers}`);
  if (!statSync(dir).isDirectory()) throw new UsageError(`${flag}: '${dir}' is a file; pass a checkpoint directory`);
  if (!existsSync(join(dir, MANIFEST))) {
    throw new UsageError(`${flag}: '${dir}' has no ${MANIFEST}: not a finished Lethe checkpoint (an interrupted run? rerun the command that makes it)`);
  }
  return dir;
}

export function openCheckpoint(dir: string, flag: string): { model: Module; spec: ModelSpec; manifest: CheckpointManifest } {
  checkCheckpointDir(dir, flag);
  try {
    return loadCheckpoint(dir);
  } catch (e) {
    throw new Error(`${flag}: ${(e as Error).message}`);
  }
}

/** The data configuration a checkpoint was made with (so the split can be rebuilt exactly). */
export function dataConfigOf(m: CheckpointManifest, dir: string, override: { dataDir?: string | undefined } = {}): DataConfig {
  const c = m['dataConfig'] as Partial<DataConfig> | undefined;
  if (typeof c !== 'object' || c === null || typeof c.data !== 'string') {
    throw new UsageError(`'${dir}': its manifest does not record the data configuration (was it made by lethe train?)`);
  }
  // a damaged record is named as such, not reported later by the sampler or the split as if a flag were wrong
  const bad = (field: string, v: unknown, want: string): never => {
    throw new CheckpointError(dir, `its manifest's dataConfig.${field} is ${JSON.stringify(v)}, not ${want}; the manifest is corrupt`);
  };
  if (!Number.isInteger(c.seed) || c.seed! < 0) bad('seed', c.seed, 'a non-negative integer');
  for (const k of ['trainSize', 'testSize'] as const) if (c[k] != null && !(Number.isInteger(c[k]) && c[k]! > 0)) bad(k, c[k], 'a positive integer or null');
  if (c.valFraction !== undefined && !(typeof c.valFraction === 'number' && c.valFraction >= 0 && c.valFraction < 1)) bad('valFraction', c.valFraction, 'a fraction in [0, 1)');
  return {
    data: c.data,
    dataDir: override.dataDir ?? c.dataDir ?? null,
    trainSize: c.trainSize ?? null,
    testSize: c.testSize ?? null,
    seed: c.seed!,
    valFraction: c.valFraction ?? VAL_FRACTION,
  };
}

/** True when two data configurations select the same samples (the directory may differ). */
export function sameData(a: DataConfig, b: DataConfig): boolean {
  return a.data === b.data && a.trainSize === b.trainSize && a.testSize === b.testSize && a.seed === b.seed && a.valFraction === b.valFraction;
}

/** The first weight or buffer of `model` holding NaN or an infinity, or undefined when all are finite. */
export function nonFiniteWeight(model: Module): string | undefined {
  return tidy(() => [...model.stateDict()].find(([, t]) => t.isFloatingPoint() && !t.isfinite().all().item())?.[0]);
}

/**
 * A checkpoint in --out, of any kind (a classifier's or a diffusion model's; finished, or failing its hash check), is
 * replaced only with --force. An interrupted run has no manifest yet, so this lets a rerun resume it.
 */
export function refuseFinished(out: string, force: boolean): void {
  if (force || !existsSync(join(out, MANIFEST))) return;
  throw new UsageError(`--out: '${out}' already holds ${checkpointKind(out)}; pass --force to replace it or choose another --out`);
}

/** What the checkpoint in `dir` (it has a manifest) is, in words. */
export function checkpointKind(dir: string): string {
  if (isCompleteCheckpoint(dir)) return 'a finished checkpoint';
  return jsonFormat(join(dir, MANIFEST)) === 'lethe-diffusion' ? 'a diffusion checkpoint' : 'a checkpoint that fails its hash check';
}

/** Writes a checkpoint over whatever --out held: the old one stops looking complete before the new weights land. */
export function replaceCheckpoint(out: string, model: Module, spec: ModelSpec, info: { kind: string } & Record<string, unknown>): CheckpointManifest {
  rmSync(join(out, MANIFEST), { force: true });
  return tidy(() => saveCheckpoint(out, model, spec, info));
}
