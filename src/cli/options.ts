// Option values from three places, in increasing priority: built-in defaults, a JSON config file (--config), and
// the command line. Commander parses the flags as plain strings/booleans (no commander defaults, so we can tell
// what was given); this file merges them with the config file and converts each value, naming the flag at fault.
import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { UsageError } from './errors.js';

export type RawOptions = Record<string, unknown>;

const camel = (s: string): string => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
const kebab = (s: string): string => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** "--train-size" for the attribute "trainSize". */
export function flagName(key: string): string {
  return `--${kebab(key)}`;
}

/**
 * The command's options merged over its --config file. Config keys may be written as flags ("train-size") or
 * attributes ("trainSize"); unknown keys are an error naming the file, so typos do not pass silently.
 */
export function mergedOptions(cmd: Command): RawOptions {
  const cli = cmd.opts<RawOptions>();
  const out: RawOptions = {};
  const configPath = cli['config'];
  if (typeof configPath === 'string') {
    if (!existsSync(configPath)) throw new UsageError(`--config: file '${configPath}' does not exist`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(configPath, 'utf8'));
    } catch (e) {
      throw new UsageError(`--config: '${configPath}' is not valid JSON (${(e as Error).message})`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new UsageError(`--config: '${configPath}' must hold a JSON object of options`);
    const known = new Set(cmd.options.map((o) => o.attributeName()));
    for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
      const key = camel(k.replace(/^--/, ''));
      if (!known.has(key) || key === 'config') {
        throw new UsageError(`--config: '${configPath}' has unknown option '${k}' for 'lethe ${cmd.name()}'; see lethe ${cmd.name()} --help`);
      }
      out[key] = v;
    }
  }
  for (const [k, v] of Object.entries(cli)) {
    if (v === undefined) continue;
    // Commander leaves negatable flags (--no-mask) at their implicit value unless given; only take given values.
    const source = cmd.getOptionValueSource(k);
    if (source === 'default' || source === 'implied') {
      if (!(k in out)) out[k] = v;
      continue;
    }
    out[k] = v;
  }
  return out;
}

/** Typed reads of merged options; every error names the flag and what is expected. */
export class Opts {
  constructor(readonly raw: RawOptions) {}

  has(key: string): boolean {
    return this.raw[key] !== undefined;
  }

  string(key: string): string | undefined;
  string(key: string, dflt: string): string;
  string(key: string, dflt?: string): string | undefined {
    const v = this.raw[key];
    if (v === undefined) return dflt;
    if (typeof v !== 'string' || v === '') throw new UsageError(`${flagName(key)}: expected a value, got ${JSON.stringify(v)}`);
    return v;
  }

  choice<T extends string>(key: string, choices: readonly T[], dflt: T): T {
    const v = this.string(key, dflt);
    if (!(choices as readonly string[]).includes(v)) throw new UsageError(`${flagName(key)}: '${v}' is not one of ${choices.join(', ')}`);
    return v as T;
  }

  number(key: string): number | undefined;
  number(key: string, dflt: number): number;
  number(key: string, dflt?: number): number | undefined {
    const v = this.raw[key];
    if (v === undefined) return dflt;
    const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
    if (!Number.isFinite(n)) throw new UsageError(`${flagName(key)}: '${String(v)}' is not a number`);
    return n;
  }

  positive(key: string): number | undefined;
  positive(key: string, dflt: number): number;
  positive(key: string, dflt?: number): number | undefined {
    const n = dflt === undefined ? this.number(key) : this.number(key, dflt);
    if (n !== undefined && !(n > 0)) throw new UsageError(`${flagName(key)}: must be positive, got ${n}`);
    return n;
  }

  /** A number in [0, 1): a momentum, a dropout probability, a moving average's decay. */
  unitInterval(key: string): number | undefined {
    const n = this.number(key);
    if (n !== undefined && !(n >= 0 && n < 1)) throw new UsageError(`${flagName(key)}: must be in [0, 1), got ${n}`);
    return n;
  }

  int(key: string, o?: { min?: number }): number | undefined;
  int(key: string, o: { min?: number }, dflt: number): number;
  int(key: string, o: { min?: number } = {}, dflt?: number): number | undefined {
    const n = dflt === undefined ? this.number(key) : this.number(key, dflt);
    if (n === undefined) return undefined;
    const min = o.min ?? 0;
    if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`${flagName(key)}: expected an integer ≥ ${min}, got ${String(this.raw[key])}`);
    return n;
  }

  bool(key: string, dflt = false): boolean {
    const v = this.raw[key];
    if (v === undefined) return dflt;
    if (typeof v === 'boolean') return v;
    if (v === 'true') return true;
    if (v === 'false') return false;
    throw new UsageError(`${flagName(key)}: expected true or false, got ${JSON.stringify(v)}`);
  }

  /** Repeatable string options (commander collects them into arrays; a config file may give one string or an array). */
  list(key: string): string[] {
    const v = this.raw[key];
    if (v === undefined) return [];
    if (Array.isArray(v)) return v.map(String);
    if (typeof v === 'object' && v !== null) return [JSON.stringify(v)];
    return [String(v)];
  }
}

/** Commander collector for repeatable options. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/**
 * Refuses a flag given twice, or with its negation (`--lr 0.1 --lr 0.2`, `--mask 0.3 --no-mask`): commander keeps
 * the last silently, and which one the user meant is a guess. Repeatable flags (collected into lists) are exempt, and
 * so is a switch without a value repeated as itself.
 * Applied to `cmd` and its subcommands; the listeners throw during parsing, before any action runs.
 */
export function refuseRepeatedFlags(cmd: Command): void {
  const given = new Map<string, string>();
  for (const option of cmd.options) {
    if (option.parseArg === collect || option.variadic) continue;
    const flag = option.long ?? option.short ?? option.name();
    cmd.on(`option:${option.name()}`, () => {
      const key = option.attributeName();
      const before = given.get(key);
      given.set(key, flag);
      // a plain switch repeated (--quiet --quiet) means the same thing twice
      if (before === undefined || (before === flag && !option.required && !option.optional)) return;
      throw new UsageError(before === flag ? `${flag}: given twice; give it once` : `${before} and ${flag}: given together; give one of them`);
    });
  }
  for (const sub of cmd.commands) refuseRepeatedFlags(sub);
}

/**
 * Parses "key=value,key=value" (or a JSON object) into an object. Values: numbers, true/false, null, otherwise
 * strings. Used by --subspace, --curriculum and --opt.
 */
export function parseKeyValues(text: string, flag: string): Record<string, unknown> {
  const t = text.trim();
  if (t.startsWith('{')) {
    try {
      const v = JSON.parse(t) as unknown;
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
      return v as Record<string, unknown>;
    } catch (e) {
      throw new UsageError(`${flag}: '${text}' is not a valid JSON object (${(e as Error).message})`);
    }
  }
  const out: Record<string, unknown> = {};
  for (const part of t.split(',')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) throw new UsageError(`${flag}: '${part}' is not key=value (e.g. ${flag} gamma=0.95,projection=orthogonal)`);
    out[part.slice(0, eq).trim()] = scalarValue(part.slice(eq + 1).trim());
  }
  return out;
}

export function scalarValue(s: string): unknown {
  if (s === 'true') return true;
  if (s === 'false') return false;
  if (s === 'null') return null;
  if (s !== '' && Number.isFinite(Number(s))) return Number(s);
  return s;
}

/** A required option (checked here rather than by commander, so a --config file may supply it). */
export function required(o: Opts, key: string, what: string): string {
  const v = o.string(key);
  if (v === undefined) throw new UsageError(`${flagName(key)}: required (${what})`);
  return v;
}
