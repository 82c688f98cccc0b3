// The shipped recipes (recipes/*.json, recipes/class-wise/*.json, the same under recipes/full-scale/) are data the
// benchmark runs: each must name a registered method, give options the method accepts (names and types, through the
// runner's own check), and, when it says it was tuned, record a sweep whose winner is the option it sets, whose
// score under the sweep's criterion (the mean or the worst seed's Avg.Gap) is the smallest tried, and which marks a
// winner at its grid's edge.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import { packageRecipesDir, validateRecipe, recipeScenario, recipeSettings } from '../../src/cli/recipes.js';
import { blockRunOptions } from '../../src/cli/unlearning.js';
import { getMethod } from '../../src/unlearn/index.js';
import { resolveOptions } from '../../src/unlearn/run.js';
import { gridEdge, sweepWinner, SWEEP_BY, type SweepBy } from '../../src/cli/sweep-winner.js';

interface Trial {
  value: number | string;
  avgGap: number;
  perSeed?: { avgGap: number }[];
}

/** recipes/ (the reduced protocol's) and recipes/full-scale/ (the methods re-tuned at full scale), each with class-wise/. */
function recipeFiles(): string[] {
  const root = packageRecipesDir();
  const dirs = [root, join(root, 'class-wise'), join(root, 'full-scale'), join(root, 'full-scale', 'class-wise')];
  return dirs.filter((d) => existsSync(d)).flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.json')).map((f) => join(d, f)));
}

test('every shipped recipe names a method, passes its option check, and a tuned one records its winning sweep', () => {
  const files = recipeFiles();
  assert.ok(files.length >= 13, `expected a recipe per method, found ${files.length}`);
  for (const file of files) {
    const raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    const recipe = validateRecipe(raw, file);
    assert.ok(file.endsWith(`${recipe.method}.json`), `${file}: the file name must be the method's`);
    const def = getMethod(recipe.method);
    assert.doesNotThrow(() => resolveOptions(def.name, def.defaults, recipe.options), `${file}: options the method rejects`);
    assert.doesNotThrow(() => blockRunOptions(recipe.blocks ?? {}), `${file}: block settings the runner rejects`);
    if (!recipe.tuned) continue;
    const sweep = raw['sweep'] as { by: string; param: string; trials: Trial[]; edge?: string } | undefined;
    assert.ok(sweep && Array.isArray(sweep.trials) && sweep.trials.length > 0, `${file}: tuned without a recorded sweep`);
    assert.ok((SWEEP_BY as readonly string[]).includes(sweep.by), `${file}: the sweep's criterion '${sweep.by}' is not one lethe sweep knows`);
    const won = sweepWinner(sweep.trials, sweep.by as SweepBy);
    assert.ok(won !== null, `${file}: no trial of its sweep can win`);
    const { best, finite } = won;
    // the swept setting: a method option (lr) or a block's (mask.ratio)
    assert.equal(recipeSettings(recipe.options, recipe.blocks)[sweep.param], best.value, `${file}: ${sweep.param} is not the sweep's ${sweep.by} winner`);
    // a winner at the edge of its grid says so, as lethe sweep writes it (the README tells readers to look for it)
    assert.equal(sweep.edge, gridEdge(finite.map((t) => t.value), best.value) ?? undefined, `${file}: the sweep's edge marker is wrong`);
    const protocol = String(raw['protocol'] ?? '');
    const scenario = file.includes(`${sep}class-wise${sep}`) ? 'class-wise' : 'random';
    const forget = /\b(random:[^\s,]+|class:[^\s,]+)/.exec(protocol)?.[1];
    assert.ok(forget !== undefined, `${file}: the protocol does not say which forget set it was tuned on`);
    assert.equal(recipeScenario(forget), scenario, `${file}: tuned on ${forget} but filed under ${scenario}`);
  }
});
