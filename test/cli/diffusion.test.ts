// `lethe diffusion` end to end on a tiny UNet: train → unlearn (SalUn) → sample a PNG grid; bad subcommands exit 2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempDir } from './helpers.js';

function pngSize(path: string): { width: number; height: number } {
  const b = readFileSync(path);
  assert.equal(b.subarray(1, 4).toString('latin1'), 'PNG', `${path} is not a PNG`);
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

test('lethe diffusion: train, unlearn one class with SalUn, sample a grid', async () => {
  const dir = tempDir('lethe-diffusion-');
  const tiny = ['--unet', 'tiny', '--timesteps', '20', '--batch-size', '8'];
  const train = await runCli(['diffusion', 'train', '--out', join(dir, 'ddpm'), '--iterations', '3', ...tiny, '--json'], dir);
  assert.equal(train.code, 0, train.stderr);
  assert.ok(existsSync(join(dir, 'ddpm', 'manifest.json')));
  const un = await runCli(['diffusion', 'unlearn', '--from', join(dir, 'ddpm'), '--method', 'salun', '--forget-class', '1', '--iterations', '2', '--batch-size', '8', '--gradient-samples', '16', '--out', join(dir, 'salun'), '--json'], dir);
  assert.equal(un.code, 0, un.stderr);
  assert.ok(existsSync(join(dir, 'salun', 'manifest.json')));
  const png = join(dir, 'grid.png');
  const s = await runCli(['diffusion', 'sample', '--from', join(dir, 'salun'), '--out', png, '--per-class', '2', '--steps', '3', '--json'], dir);
  assert.equal(s.code, 0, s.stderr);
  const { width, height } = pngSize(png);
  assert.ok(width > 0 && height > 0 && height > width / 2, `unexpected grid ${width}x${height}`);
  const bad = await runCli(['diffusion', 'bogus'], dir);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /unknown subcommand 'bogus'/);
  const missing = await runCli(['diffusion', 'unlearn', '--from', join(dir, 'nope'), '--out', join(dir, 'x')], dir);
  assert.notEqual(missing.code, 0);
});
