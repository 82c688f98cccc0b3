// Unlearning recipes as data: recipes/<method>.json holds a method's options and blocks for the Fashion-MNIST
// resnet20 protocol with random forgetting; recipes/class-wise/<method>.json, when present, the same for
// class-wise forgetting (the papers tune each setting separately). `--recipe NAME` reads recipes/NAME.json,
// `--recipe FILE` any file; flags override it.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BLOCK_NAMES, getMethod } from '../unlearn/index.js';
import { UsageError } from './errors.js';

export interface BlocksSetting {
  mask?: { ratio?: number; mode?: 'update' | 'grad' } | boolean;
  subspace?: Record<string, unknown> | boolean;
  curriculum?: Record<string, unknown> | boolean;
}

export interface UnlearnRecipe {
  method: string;
  /** the method's options (epochs, lr, batchSize, ...) over its defaults */
  options: Record<string, unknown>;
  blocks?: BlocksSetting;
  /** false until a sweep has tuned it on the protocol */
  tuned: boolean;
  protocol?: string;
  source?: string;
  sweep?: unknown;
}

/** The package's recipes/ directory (works from src/ and from dist/src/). */
export function packageRecipesDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'recipes'))) return join(dir, 'recipes');
    dir = dirname(dir);
  }
  return resolve('recipes');
}

export function recipesDir(): string {
  return process.env['LETHE_RECIPES'] ?? packageRecipesDir();
}

export function validateRecipe(v: unknown, where: string): UnlearnRecipe {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new UsageError(`${where}: a recipe must be a JSON object { method, options, ... }`);
  const r = v as Record<string, unknown>;
  if (typeof r['method'] !== 'string') throw new UsageError(`${where}: the recipe has no "method" name`);
  const options = r['options'] ?? {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) throw new UsageError(`${where}: "options" must be an object`);
  // a misspelt block name would otherwise run without that block
  const blocks = r['blocks'] ?? {};
  if (typeof blocks !== 'object' || blocks === null || Array.isArray(blocks)) throw new UsageError(`${where}: "blocks" must be an object`);
  for (const b of Object.keys(blocks)) {
    if (!(BLOCK_NAMES as readonly string[]).includes(b)) throw new UsageError(`${where}: unknown block '${b}' in "blocks"; the blocks are ${BLOCK_NAMES.join(', ')}`);
  }
  return { ...(r as object), method: r['method'], options: options as Record<string, unknown>, tuned: r['tuned'] === true } as UnlearnRecipe;
}

/**
 * A recipe's options and block settings as one flat record, a block's settings named BLOCK.KEY (as sweep's --param
 * names them: `lr`, `mask.ratio`), a block given as true/false under its own name.
 */
export function recipeSettings(options: Record<string, unknown> | undefined, blocks: unknown): Record<string, unknown> {
  const flat: Record<string, unknown> = { ...options };
  for (const [block, setting] of Object.entries(typeof blocks === 'object' && blocks !== null ? blocks : {})) {
    if (typeof setting === 'object' && setting !== null) for (const [key, v] of Object.entries(setting)) flat[`${block}.${key}`] = v;
    else flat[block] = setting;
  }
  return flat;
}

/** Reads a recipe by name (recipes/NAME.json) or path. */
export function loadRecipe(nameOrFile: string): UnlearnRecipe {
  const byName = join(recipesDir(), `${nameOrFile}.json`);
  const path = existsSync(nameOrFile) ? nameOrFile : existsSync(byName) ? byName : null;
  if (path === null) throw new UsageError(`--recipe: '${nameOrFile}' is neither a file nor a recipe in ${recipesDir()}`);
  return validateRecipe(parseRecipeJson(path, '--recipe'), `--recipe ${path}`);
}

/** A recipe file's JSON, unchecked; invalid JSON is a usage error naming the file. */
export function parseRecipeJson(path: string, where: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UsageError(`${where}: '${path}' is not valid JSON (${(e as Error).message})`);
  }
}

export type RecipeScenario = 'random' | 'class-wise';

/** Which recipe set a forget spec uses: whole classes → class-wise, everything else → random. */
export function recipeScenario(forget: string): RecipeScenario {
  return forget.trim().startsWith('class:') ? 'class-wise' : 'random';
}

/** Where the recipe of a method for a scenario lives (whether or not it exists yet). */
export function recipeFile(method: string, scenario: RecipeScenario, dir = recipesDir()): string {
  return scenario === 'random' ? join(dir, `${method}.json`) : join(dir, scenario, `${method}.json`);
}

/**
 * The method's recipe for the scenario: recipes/class-wise/<method>.json for class-wise forgetting when it
 * exists, else recipes/<method>.json, else one built from the method's reference defaults.
 */
export function recipeForMethod(method: string, forget = 'random:0.1'): UnlearnRecipe & { file: string | null } {
  const candidates = [recipeFile(method, recipeScenario(forget)), recipeFile(method, 'random')];
  const file = candidates.find((f) => existsSync(f));
  if (file !== undefined) return { ...loadRecipe(file), file };
  return { ...defaultRecipe(method), file: null };
}

/** Each method's reference defaults as its recipe (`bench --defaults`, and the demo's MLP the recipes were not tuned for). */
export function defaultRecipes(methods: readonly string[]): Record<string, UnlearnRecipe> {
  return Object.fromEntries(methods.map((m) => [m, defaultRecipe(m)]));
}

/** The method's reference defaults as a recipe (untuned): what runs on models the shipped recipes were not tuned for. */
export function defaultRecipe(method: string): UnlearnRecipe {
  const def = getMethod(method);
  return { method, options: { ...def.defaults }, tuned: false, source: `method defaults (${def.reference})` };
}
