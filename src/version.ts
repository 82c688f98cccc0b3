// Lethe's own version, read from package.json (one source of truth).
import { readFileSync } from 'node:fs';

function findVersion(): string {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'lethe' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // try the next location (sources vs compiled dist/)
    }
  }
  return '0.0.0-unknown';
}

/** This package's version, from its package.json ('0.0.0-unknown' if that cannot be read). */
export const LETHE_VERSION = findVersion();
