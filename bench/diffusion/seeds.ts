// The generative benchmark's spread over DDPM seeds: reads the results.json of several run.js directories (one per
// --seed, the same forgotten class and evaluation classifier) and prints, or writes as Markdown, each model's
// mean ± sample std of UA, accuracy on the remaining classes and FD.
//
//   node dist/bench/diffusion/seeds.js bench/results/diffusion bench/results/diffusion-seed1 bench/results/diffusion-seed2
//     [--out seeds.md]
import { parseArgs } from 'node:util';
import { readReportSource } from '../../src/cli/report/read.js';
import { writeBytesAtomic } from '../../src/io/artifacts.js';
import { combineDiffusionSeeds, diffusionSeedsMarkdown } from '../../src/diffusion/index.js';

function main(): void {
  const { values, positionals } = parseArgs({ options: { out: { type: 'string' } }, allowPositionals: true });
  if (positionals.length === 0) throw new Error('usage: seeds.js DIR... [--out FILE.md] (DIR: a run.js output holding results.json, one per seed)');
  const docs = positionals.map((dir) => {
    const source = readReportSource(dir);
    if (source.kind !== 'diffusion') throw new Error(`'${dir}' holds classifier results, not the diffusion benchmark's`);
    return { doc: source.doc, where: dir };
  });
  const markdown = diffusionSeedsMarkdown(combineDiffusionSeeds(docs));
  if (values.out === undefined) process.stdout.write(markdown);
  else writeBytesAtomic(values.out, Buffer.from(markdown, 'utf8'));
}

try {
  main();
} catch (e) {
  console.error(`seeds: ${(e as Error).message}`);
  process.exit(1);
}
