// The pieces every Lethe output directory is written with: tensors as hashed safetensors files and JSON
// manifests, each written atomically (temp file + fsync + rename), so readers can tell a complete file from a
// torn one by its hash.
import { createHash } from 'node:crypto';
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

/** What a manifest records about one tensors file. */
export interface TensorsFileEntry {
  sha256: string;
  bytes: number;
}

/** Writes tensors as a safetensors file (PyTorch-loadable metadata) and returns its hash and size. */
export function writeTensorsAtomic(path: string, tensors: TensorDict): TensorsFileEntry {
  const bytes = serializeSafetensors(tensors, { format: 'pt', producer: `lethe ${LETHE_VERSION}` });
  writeBytesAtomic(path, bytes);
  return { sha256: sha256(bytes), bytes: bytes.byteLength };
}
