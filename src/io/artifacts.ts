// The pieces every Lethe output directory is written with: tensors as hashed safetensors files and JSON
// manifests, each written atomically (temp file + fsync + rename), so readers can tell a complete file from a
// torn one by its hash.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeAll, writeFileAtomic } from './atomic.js';
import { serializeSafetensors, type TensorDict } from './safetensors.js';
import { LETHE_VERSION } from '../version.js';

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function writeBytesAtomic(path: string, bytes: Uint8Array): void {
  writeFileAtomic(path, (fd) => writeAll(fd, bytes));
}

export function writeJsonAtomic(path: string, value: unknown): void {
  writeBytesAtomic(path, Buffer.from(JSON.stringify(value, null, 2) + '\n', 'utf8'));
}

/**
 * A JSON file's object, or null when the file is missing, unreadable, not JSON or not an object: for files Lethe
 * may find damaged and then does without (a resume state is started over, not failed on). The caller checks fields.
 */
export function readJsonObject(path: string): Record<string, unknown> | null {
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * The `format` a Lethe JSON file declares ('lethe-checkpoint', 'lethe-results', ...), or null when the file is
 * missing, unreadable, not JSON or declares none: what tells our files from a user's before one is replaced.
 */
export function jsonFormat(path: string): string | null {
  const format = readJsonObject(path)?.['format'];
  return typeof format === 'string' ? format : null;
}

/** What a manifest records about one tensors file. */
export interface TensorsFileEntry {
  sha256: string;
  bytes: number;
}

/** Writes tensors as a safetensors file (PyTorch-loadable metadata) and returns its hash and size. */
export function writeTensorsAtomic(path: string, tensors: TensorDict, metadata: Readonly<Record<string, string>> = {}): TensorsFileEntry {
  const bytes = serializeSafetensors(tensors, { ...metadata, format: 'pt', producer: `lethe ${LETHE_VERSION}` });
  writeBytesAtomic(path, bytes);
  return { sha256: sha256(bytes), bytes: bytes.byteLength };
}
