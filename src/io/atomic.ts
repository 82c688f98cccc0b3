// Atomic file writes: a file either keeps its old content or gets the complete new one, never a partial one.
//
// The data goes to a temporary file in the destination's own directory (rename is only atomic within one file
// system), is fsync'ed, and is then renamed over the destination. Any failure removes the temporary file.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { randomBytes } from 'node:crypto';

/** Writes `data` fully to `fd` (writeSync may write less than asked). */
export function writeAll(fd: number, data: Uint8Array): void {
  let done = 0;
  while (done < data.byteLength) done += writeSync(fd, data, done, data.byteLength - done);
}

/**
 * Creates or replaces `path` atomically: `write(fd)` fills a temporary sibling file, which is fsync'ed and renamed
 * onto `path` only if `write` returns normally. On error the temporary file is removed and `path` is untouched.
 */
export function writeFileAtomic(path: string, write: (fd: number) => void): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number | null;
  try {
    fd = openSync(tmp, 'wx', 0o644);
  } catch (e) {
    throw new Error(`cannot write '${path}': ${(e as Error).message} (does the directory exist and is it writable?)`);
  }
  try {
    write(fd);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== null) {
      try {
        closeSync(fd);
      } catch {
        // already failing: the original error is the one worth reporting
      }
    }
    try {
      unlinkSync(tmp);
    } catch {
      // the temporary file may not exist (e.g. the rename itself failed after removing it)
    }
    throw e;
  }
  syncDirectory(dir);
}

// Makes the rename itself durable. Some file systems do not support fsync on directories; that only weakens
// durability after a power loss, not atomicity, so it is not an error.
function syncDirectory(dir: string): void {
  let fd: number | null = null;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // see above
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/** The longest prefix of the absolute `path` that exists (the root at worst). */
export function nearestExisting(path: string): string {
  let p = path;
  while (!existsSync(p) && dirname(p) !== p) p = dirname(p);
  return p;
}

/**
 * `path` and its missing parents as directories (mkdir -p). Node 20's `mkdirSync(p, { recursive: true })` never
 * returns under a directory that refuses new entries with ENOENT (/proc, /sys), so each missing level is made
 * one at a time, and a failure names the path.
 */
export function ensureDirectory(path: string): void {
  const target = resolve(path);
  const base = nearestExisting(target);
  if (!statSync(base).isDirectory()) throw new Error(`cannot create directory '${path}': '${base}' is a file`);
  let dir = base;
  for (const part of relative(base, target).split(sep).filter((s) => s !== '')) {
    dir = join(dir, part);
    try {
      mkdirSync(dir);
    } catch (e) {
      // another process may have made it meanwhile
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && statSync(dir).isDirectory()) continue;
      throw new Error(`cannot create directory '${path}': ${(e as Error).message}`);
    }
  }
}
