// File helpers shared by the dataset readers: locating a file among name variants, reading it, gunzipping it.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

/** Thrown when a dataset file is absent; names the file, where we looked, and how to get it. */
export class DatasetFileError extends Error {
  override readonly name = 'DatasetFileError';
}

/**
 * The first existing path among `dir/candidate` for the candidates (tried in order), or a clear error listing
 * every path tried and the hint (e.g. which Debian package provides the file).
 */
export function findFile(dir: string, candidates: readonly string[], hint: string): string {
  for (const c of candidates) {
    const p = join(dir, c);
    if (existsSync(p)) return p;
  }
  throw new DatasetFileError(
    `dataset file not found: looked for ${candidates.map((c) => `'${c}'`).join(' or ')} in '${dir}'. ${hint}`,
  );
}

const GZIP_MAGIC0 = 0x1f;
const GZIP_MAGIC1 = 0x8b;

/** Reads a file and gunzips it when it starts with the gzip magic bytes (whatever its name says). */
export function readMaybeGzip(path: string): Uint8Array {
  let raw: Buffer;
  try {
    raw = readFileSync(path);
  } catch (e) {
    throw new DatasetFileError(`cannot read dataset file '${path}': ${(e as Error).message}`);
  }
  if (raw.length >= 2 && raw[0] === GZIP_MAGIC0 && raw[1] === GZIP_MAGIC1) {
    try {
      raw = gunzipSync(raw);
    } catch (e) {
      throw new DatasetFileError(`'${path}' is a corrupt or truncated gzip file (${(e as Error).message}); re-install or re-copy it`);
    }
  }
  return new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
}
