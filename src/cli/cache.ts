// The model cache (original and retrain checkpoints keyed by their full configuration) and stable hashing.
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';

/** $LETHE_CACHE, else ./.cache/lethe (relative to the working directory). */
export function cacheDir(flag?: string): string {
  return resolve(flag ?? process.env['LETHE_CACHE'] ?? '.cache/lethe');
}

/** JSON with object keys sorted, so equal configurations hash equally whatever their key order. */
export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${stableJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** 16 hex digits of SHA-256 over the stable JSON. */
export function configHash(v: unknown): string {
  return createHash('sha256').update(stableJson(v)).digest('hex').slice(0, 16);
}

/**
 * Where the cache keeps a model: <cache>/models/<kind>-<model>-<hash of its training identity>. bench and sweep look
 * here for each seed's original and retrain, and `lethe train --cache` writes here.
 */
export function modelDir(cacheDir: string, kind: 'original' | 'retrain', identity: Record<string, unknown>, model: string): string {
  return join(cacheDir, 'models', `${kind}-${model}-${configHash(identity)}`);
}
