// `lethe diffusion` end to end on a tiny UNet: train → unlearn (SalUn) → sample a PNG grid; bad subcommands exit 2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
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
  const train = await runCli(['diffusion', 'train', '--out', join(dir, 'ddpm'), '--iterations', '3', '--warmup', '0', '--ema-decay', '0.9', '--cond-drop', '0.2', '--ema-warmup', 'false', '--drop-last', 'false', ...tiny, '--json'], dir);
  assert.equal(train.code, 0, train.stderr);
  const ddpmManifest = JSON.parse(readFileSync(join(dir, 'ddpm', 'manifest.json'), 'utf8')) as { training: Record<string, unknown>; ema: { updates: number } };
  const training = ddpmManifest.training;
  assert.deepEqual([training['warmup'], training['emaDecay'], training['condDrop'], training['emaWarmup'], training['dropLast']], [0, 0.9, 0.2, false, false]);
  const salun = ['diffusion', 'unlearn', '--from', join(dir, 'ddpm'), '--method', 'salun', '--forget-class', '1', '--iterations', '2', '--batch-size', '8'];
  const un = await runCli([...salun, '--gradient-samples', '16', '--save-mask', join(dir, 'mask.safetensors'), '--drop-last', 'false', '--out', join(dir, 'salun'), '--json'], dir);
  assert.equal(un.code, 0, un.stderr);
  assert.ok(existsSync(join(dir, 'salun', 'manifest.json')));
  // the saved mask serves a later run instead of the gradient pass: the same unlearned weights, bit for bit
  const fromFile = await runCli([...salun, '--mask-file', join(dir, 'mask.safetensors'), '--drop-last', 'false', '--out', join(dir, 'salun-file'), '--json'], dir);
  assert.equal(fromFile.code, 0, fromFile.stderr);
  assert.deepEqual(readFileSync(join(dir, 'salun-file', 'model.safetensors')), readFileSync(join(dir, 'salun', 'model.safetensors')));
  // lethe diffusion mask makes the same file without the run (one pass, two ratios: with_<ratio>.safetensors each)
  const masks = await runCli(['diffusion', 'mask', '--from', join(dir, 'ddpm'), '--forget-class', '1', '--gradient-samples', '16', '--mask-ratio', '0.5,0.2', '--out', join(dir, 'masks'), '--json'], dir);
  assert.equal(masks.code, 0, masks.stderr);
  assert.deepEqual(readFileSync(join(dir, 'masks', 'with_0.5.safetensors')), readFileSync(join(dir, 'mask.safetensors')));
  const made = JSON.parse(masks.stdout) as { files: { ratio: number; salient: number }[]; total: number };
  assert.deepEqual(made.files.map((f) => [f.ratio, f.salient]), [[0.5, Math.floor(0.5 * made.total)], [0.2, Math.floor(0.2 * made.total)]]);
  const one = await runCli(['diffusion', 'mask', '--from', join(dir, 'ddpm'), '--forget-class', '1', '--gradient-samples', '16', '--out', join(dir, 'one.safetensors'), '--quiet'], dir);
  assert.equal(one.code, 0, one.stderr);
  assert.deepEqual(readFileSync(join(dir, 'one.safetensors')), readFileSync(join(dir, 'mask.safetensors')));
  // the class-1 mask given to a run forgetting class 2 runs, with a warning that the manifest keeps
  const otherClass = await runCli(['diffusion', 'unlearn', '--from', join(dir, 'ddpm'), '--method', 'salun', '--forget-class', '2', '--iterations', '1', '--batch-size', '8', '--mask-file', join(dir, 'mask.safetensors'), '--out', join(dir, 'salun-2'), '--quiet'], dir);
  assert.equal(otherClass.code, 0, otherClass.stderr);
  assert.match(otherClass.stderr, /^lethe: warning: --mask-file: it was computed for class 1; this run forgets class 2$/m);
  const maskSha = createHash('sha256').update(readFileSync(join(dir, 'mask.safetensors'))).digest('hex');
  const record = (name: string): Record<string, unknown> => JSON.parse(readFileSync(join(dir, name, 'manifest.json'), 'utf8')) as Record<string, unknown>;
  assert.deepEqual(record('salun')['savedMask'], { path: join(dir, 'mask.safetensors'), sha256: maskSha });
  assert.deepEqual(record('salun-file')['maskFile'], { path: join(dir, 'mask.safetensors'), sha256: maskSha, format: 'safetensors' });
  assert.deepEqual((record('salun-2')['maskFile'] as { warnings: string[] }).warnings, ['it was computed for class 1; this run forgets class 2']);
  const trained = (name: string): unknown => (record(name)['unlearning'] as { trainable: number }).trainable;
  assert.equal(trained('salun-file'), trained('salun'));
  assert.equal((record('salun')['unlearning'] as { dropLast: boolean }).dropLast, false);
  // ESD reads no images by default: x_t is sampled from the model; its settings are in the manifest
  const esd = await runCli(['diffusion', 'unlearn', '--from', join(dir, 'ddpm'), '--method', 'esd', '--forget-class', '2', '--iterations', '2', '--xt-steps', '4', '--negative-guidance', '1.5', '--out', join(dir, 'esd'), '--json'], dir);
  assert.equal(esd.code, 0, esd.stderr);
  const esdRun = record('esd')['unlearning'] as { esd: unknown; gradClip: unknown; batchSize: number; lr: number };
  assert.deepEqual([esdRun.esd, esdRun.gradClip, esdRun.batchSize, esdRun.lr], [{ negativeGuidance: 1.5, xtSource: 'unlearned', xtGuidance: 2, xtSteps: 4 }, null, 1, 1e-5]);
  // SEMU starts from the DDPM reference's subspace (a rank per input channel); --subspace sets it, the manifest keeps it
  const semu = ['diffusion', 'unlearn', '--from', join(dir, 'ddpm'), '--method', 'semu', '--forget-class', '1', '--iterations', '1', '--batch-size', '8', '--gradient-samples', '16'];
  const perChannel = await runCli([...semu, '--gamma', '0.9', '--out', join(dir, 'semu'), '--quiet'], dir);
  assert.equal(perChannel.code, 0, perChannel.stderr);
  const perLayer = await runCli([...semu, '--subspace', 'gamma=0.9,channelRanks=max', '--out', join(dir, 'semu-max'), '--quiet'], dir);
  assert.equal(perLayer.code, 0, perLayer.stderr);
  const semuRun = (name: string): { subspace: unknown; ranks: Record<string, number>; trainable: number } => record(name)['unlearning'] as { subspace: unknown; ranks: Record<string, number>; trainable: number };
  assert.deepEqual(semuRun('semu').subspace, { gamma: 0.9, projection: 'orthogonal', rankRule: 'reference', channelRanks: 'per-channel', fullRank: 'attn' });
  assert.deepEqual(semuRun('semu-max').subspace, { gamma: 0.9, projection: 'orthogonal', rankRule: 'reference', channelRanks: 'max', fullRank: 'attn' });
  // one rank per layer, its channels' largest: the same ranks, more trainable core entries than Σ k_c²
  assert.deepEqual(semuRun('semu-max').ranks, semuRun('semu').ranks);
  assert.ok(semuRun('semu-max').trainable > semuRun('semu').trainable, `${semuRun('semu-max').trainable} vs ${semuRun('semu').trainable}`);
  // SA samples its replay set and Fisher information from the model itself; its settings are in the manifest
  const sa = await runCli(['diffusion', 'unlearn', '--from', join(dir, 'ddpm'), '--method', 'sa', '--forget-class', '1', '--iterations', '2', '--batch-size', '4', '--replay-per-class', '2', '--fim-per-class', '1', '--replay-steps', '3', '--replay-eta', '0', '--ewc-weight', '5', '--out', join(dir, 'sa'), '--json'], dir);
  assert.equal(sa.code, 0, sa.stderr);
  const saRun = record('sa')['unlearning'] as { sa: Record<string, number> };
  assert.deepEqual([saRun.sa['ewcWeight'], saRun.sa['replayPerClass'], saRun.sa['fimPerClass'], saRun.sa['replaySteps'], saRun.sa['replayEta'], saRun.sa['replayGuidance']], [5, 2, 1, 3, 0, 2]);
  // lethe diffusion replay writes the same passes once; a run reading them equals the run computing them, byte for byte
  const passes = ['--replay-per-class', '2', '--fim-per-class', '1', '--replay-steps', '3', '--replay-eta', '0'];
  const replay = await runCli(['diffusion', 'replay', '--from', join(dir, 'ddpm'), ...passes, '--out', join(dir, 'sa.safetensors'), '--json'], dir);
  assert.equal(replay.code, 0, replay.stderr);
  assert.deepEqual((JSON.parse(replay.stdout) as { images: number; fisherImages: number }).images, 20);
  const saFromFile = await runCli(['diffusion', 'unlearn', '--from', join(dir, 'ddpm'), '--method', 'sa', '--forget-class', '1', '--iterations', '2', '--batch-size', '4', '--sa-file', join(dir, 'sa.safetensors'), '--ewc-weight', '5', '--out', join(dir, 'sa-file'), '--json'], dir);
  assert.equal(saFromFile.code, 0, saFromFile.stderr);
  assert.deepEqual(readFileSync(join(dir, 'sa-file', 'model.safetensors')), readFileSync(join(dir, 'sa', 'model.safetensors')));
  assert.deepEqual((record('sa-file')['unlearning'] as { sa: unknown }).sa, saRun.sa);
  assert.equal((record('sa-file')['saFile'] as { sha256: string }).sha256, createHash('sha256').update(readFileSync(join(dir, 'sa.safetensors'))).digest('hex'));
  // passes made from the EMA weights, given to a run from the raw weights: it runs, and says so
  const otherWeights = await runCli(['diffusion', 'unlearn', '--from', join(dir, 'ddpm'), '--weights', 'model', '--method', 'sa', '--forget-class', '1', '--iterations', '1', '--batch-size', '4', '--sa-file', join(dir, 'sa.safetensors'), '--out', join(dir, 'sa-raw'), '--quiet'], dir);
  assert.equal(otherWeights.code, 0, otherWeights.stderr);
  assert.match(otherWeights.stderr, /^lethe: warning: --sa-file: it was computed from other weights \(sha256 [0-9a-f]{12}…; this run starts from [0-9a-f]{12}…\)$/m);
  assert.equal((record('sa-raw')['saFile'] as { warnings: string[] }).warnings.length, 1);
  const png = join(dir, 'grid.png');
  const s = await runCli(['diffusion', 'sample', '--from', join(dir, 'salun'), '--out', png, '--per-class', '2', '--steps', '3', '--json'], dir);
  assert.equal(s.code, 0, s.stderr);
  const { width, height } = pngSize(png);
  assert.ok(width > 0 && height > 0 && height > width / 2, `unexpected grid ${width}x${height}`);
  // inputs are never overwritten, and a finished checkpoint is replaced only with --force
  const manifest = readFileSync(join(dir, 'ddpm', 'manifest.json'), 'utf8');
  const weights = readFileSync(join(dir, 'salun', 'model.safetensors'));
  const refusals: [string[], RegExp][] = [
    [['unlearn', '--from', join(dir, 'ddpm'), '--out', join(dir, 'ddpm')], /--out: '.*ddpm' is the --from input; write the output elsewhere/],
    [['unlearn', '--from', join(dir, 'ddpm'), '--out', join(dir, 'salun')], /--out: '.*salun' already holds a diffusion checkpoint; pass --force/],
    [['train', '--out', join(dir, 'ddpm'), ...tiny], /--out: '.*ddpm' already holds a diffusion checkpoint; pass --force/],
    [['sample', '--from', join(dir, 'salun'), '--out', join(dir, 'salun', 'model.safetensors')], /--out: '.*model\.safetensors' lies inside the --from input/],
    // ranges that depend on the model are read from its manifest, before the weights and data load
    [['unlearn', '--from', join(dir, 'ddpm'), '--forget-class', '10', '--iterations', '1', '--out', join(dir, 'x')], /--forget-class: 10 is not a class of '.*ddpm' \(it has classes 0 to 9\)/],
    [['sample', '--from', join(dir, 'ddpm'), '--steps', '21', '--out', png], /--steps: 21 is more than the 20 diffusion steps of '.*ddpm'; give at most 20/],
    [['unlearn', '--from', join(dir, 'ddpm'), '--method', 'esd', '--xt-steps', '21', '--out', join(dir, 'x')], /--xt-steps: 21 is more than the 20 diffusion steps of '.*ddpm'; give at most 20/],
    [['replay', '--from', join(dir, 'ddpm'), '--replay-steps', '21', '--out', join(dir, 'r.safetensors')], /--replay-steps: 21 is more than the 20 diffusion steps of '.*ddpm'; give at most 20/],
    [['sample', '--from', join(dir, 'ddpm'), '--eta', '-1', '--out', png], /--eta: must be ≥ 0/],
    [['sample', '--from', join(dir, 'ddpm'), '--sampler', 'ddpm', '--steps', '5', '--out', png], /--steps applies to the ddim sampler only/],
    [['sample', '--from', join(dir, 'ddpm'), '--sampler', 'ddpm', '--clip-x0', 'false', '--out', png], /--clip-x0 applies to the ddim sampler only/],
    [['sample', '--from', join(dir, 'ddpm'), '--clip-x0', 'no', '--out', png], /--clip-x0: expected true or false, got "no"/],
    [['sample', '--from', join(dir, 'salun'), '--weights', 'ema', '--out', png], /--weights ema: '.*salun' has no EMA weights .*; use --weights model or leave --weights out/],
    [['unlearn', '--from', join(dir, 'ddpm'), '--weights', 'raw', '--out', join(dir, 'x')], /--weights/],
    [['mask', '--from', join(dir, 'ddpm'), '--mask-ratio', '0.5,1.5', '--out', join(dir, 'x')], /--mask-ratio: each ratio must be in \(0, 1\], got '1\.5'/],
    [['mask', '--from', join(dir, 'ddpm'), '--out', join(dir, 'ddpm', 'm.safetensors')], /--out: '.*m\.safetensors' lies inside the --from input/],
    [['mask', '--from', join(dir, 'ddpm'), '--mask-ratio', '0.1,0.2', '--out', join(dir, 'ddpm', 'masks')], /--out: '.*masks' lies inside the --from input/],
    [['mask', '--from', join(dir, 'ddpm'), '--lr', '0.1', '--out', join(dir, 'x')], /--lr does not apply to 'lethe diffusion mask'/],
    [['sample', '--from', join(dir, 'ddpm'), '--per-class', '101', '--out', png], /--per-class: at most 100 columns, got 101/],
  ];
  for (const [args, message] of refusals) {
    const r = await runCli(['diffusion', ...args], dir);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, message);
  }
  assert.equal(readFileSync(join(dir, 'ddpm', 'manifest.json'), 'utf8'), manifest);
  assert.deepEqual(readFileSync(join(dir, 'salun', 'model.safetensors')), weights);
  const forced = await runCli(['diffusion', 'unlearn', '--from', join(dir, 'ddpm'), '--method', 'ft', '--iterations', '1', '--batch-size', '8', '--out', join(dir, 'salun'), '--force', '--json'], dir);
  assert.equal(forced.code, 0, forced.stderr);
  // --weights picks the starting point (default: the EMA weights); the output's manifest names the one it came from
  const ddpm = JSON.parse(readFileSync(join(dir, 'ddpm', 'manifest.json'), 'utf8')) as { weights: { sha256: string }; ema: { sha256: string } };
  const sourceOf = (name: string): string => (JSON.parse(readFileSync(join(dir, name, 'manifest.json'), 'utf8')) as { source: { sha256: string } }).source.sha256;
  assert.notEqual(ddpm.ema.sha256, ddpm.weights.sha256);
  assert.equal(sourceOf('salun'), ddpm.ema.sha256);
  const raw = await runCli(['diffusion', 'unlearn', '--from', join(dir, 'ddpm'), '--weights', 'model', '--method', 'ga', '--iterations', '1', '--batch-size', '8', '--out', join(dir, 'ga'), '--json'], dir);
  assert.equal(raw.code, 0, raw.stderr);
  assert.equal(sourceOf('ga'), ddpm.weights.sha256);
  const unclipped = await runCli(['diffusion', 'sample', '--from', join(dir, 'ddpm'), '--weights', 'model', '--clip-x0', 'false', '--out', png, '--per-class', '1', '--steps', '2', '--json'], dir);
  assert.equal(unclipped.code, 0, unclipped.stderr);
  const bad = await runCli(['diffusion', 'bogus'], dir);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /unknown subcommand 'bogus'/);
  const missing = await runCli(['diffusion', 'unlearn', '--from', join(dir, 'nope'), '--out', join(dir, 'x')], dir);
  assert.notEqual(missing.code, 0);
});

test('lethe diffusion: a flag the subcommand or the method would ignore is a usage error, before any work', async () => {
  const dir = tempDir('lethe-diffusion-flags-');
  const out = join(dir, 'x');
  const mask = join(dir, 'mask.safetensors');
  writeFileSync(mask, 'the file is read only after the flags are checked');
  const elsewhere = tempDir('lethe-diffusion-flags-out-'); // (not inside --from)
  const cases: [string[], RegExp][] = [
    [['unlearn', '--from', dir, '--out', out, '--method', 'semu', '--mask-file', mask], /--mask-file applies to salun only; leave it out for semu/],
    [['unlearn', '--from', dir, '--out', out, '--method', 'ft', '--save-mask', join(elsewhere, 'm2')], /--save-mask applies to salun only; leave it out for ft/],
    [['unlearn', '--from', dir, '--out', out, '--mask-file', mask, '--mask-ratio', '0.3'], /--mask-ratio has no effect with a precomputed mask; leave it out for salun/],
    [['unlearn', '--from', dir, '--out', out, '--mask-file', mask, '--gradient-samples', '8'], /--gradient-samples sizes the mask\/subspace gradient pass, which salun does not make/],
    [['unlearn', '--from', dir, '--out', out, '--mask-file', mask, '--save-mask', join(elsewhere, 'm2')], /--save-mask: the mask comes from --mask-file, which is already a file; drop one of them/],
    [['unlearn', '--from', dir, '--out', out, '--mask-file', join(dir, 'nope')], /--mask-file: '.*nope' does not exist/],
    [['unlearn', '--from', dir, '--out', out, '--save-mask', join(elsewhere, 'no', 'm')], /--save-mask: directory '.*no' does not exist/],
    [['sample', '--from', dir, '--out', join(dir, 'g.png'), '--lr', '0.1'], /--lr does not apply to 'lethe diffusion sample' \(it is read by train, unlearn\)/],
    [['classifier', '--out', out, '--sampler', 'ddpm'], /--sampler does not apply to 'lethe diffusion classifier' \(it is read by sample, eval\)/],
    [['classifier', '--out', out, '--forget-class', '2'], /--forget-class does not apply to 'lethe diffusion classifier' \(it is read by train, unlearn, mask, eval\)/],
    [['sample', '--from', dir, '--out', join(dir, 'g.png'), '--drop-last', 'false'], /--drop-last does not apply to 'lethe diffusion sample' \(it is read by train, unlearn\)/],
    [['train', '--out', out, '--ema-warmup', 'no'], /--ema-warmup: expected true or false, got "no"/],
    [['unlearn', '--from', dir, '--out', out, '--method', 'semu', '--mask-ratio', '0.3'], /--mask-ratio applies to salun only; leave it out for semu/],
    [['unlearn', '--from', dir, '--out', out, '--method', 'salun', '--gamma', '0.9'], /--gamma applies to semu only/],
    [['unlearn', '--from', dir, '--out', out, '--method', 'salun', '--subspace', 'channelRanks=max'], /--subspace applies to semu only/],
    [['unlearn', '--from', dir, '--out', out, '--method', 'semu', '--subspace', 'gamma=0.8', '--gamma', '0.9'], /--gamma and --subspace gamma=…: given together; give one of them/],
    [['unlearn', '--from', dir, '--out', out, '--method', 'semu', '--subspace', 'rank=3'], /subspace: unknown option 'rank'; the options are gamma, projection, rankRule, channelRanks, fullRank/],
    [['unlearn', '--from', dir, '--out', out, '--method', 'semu', '--subspace', 'channelRanks=min'], /channelRanks .*max.*per-channel/],
    [['unlearn', '--from', dir, '--out', out, '--method', 'semu', '--subspace', 'gamma'], /--subspace: 'gamma' is not key=value/],
    [['unlearn', '--from', dir, '--out', out, '--method', 'ga', '--use-retain', 'false', '--alpha', '0.01'], /--alpha weighs the remaining-class loss, which ga does not add with --use-retain false/],
    [['unlearn', '--from', dir, '--out', out, '--method', 'ft', '--alpha', '0.01'], /--alpha weighs the remaining-class loss, which ft does not have/],
    [['unlearn', '--from', dir, '--out', out, '--method', 'semu', '--alpha', '0.01'], /--alpha .* semu adds only with --use-retain/],
    [['unlearn', '--from', dir, '--out', out, '--method', 'ft', '--use-retain'], /--use-retain applies to salun, semu and ga only \(ft always trains on the remaining classes\)/],
    [['unlearn', '--from', dir, '--out', out, '--method', 'ft', '--gradient-samples', '8'], /--gradient-samples sizes the mask\/subspace gradient pass, which ft does not make/],
    [['train', '--out', out, '--ema-decay', '1'], /--ema-decay: must be in \[0, 1\), got 1/],
    [['unlearn', '--from', dir, '--out', out, '--cond-drop', '-0.1'], /--cond-drop: must be in \[0, 1\), got -0.1/],
    [['unlearn', '--from', dir, '--out', out, '--grad-clip', '0'], /--grad-clip: must be positive, got 0/],
    [['unlearn', '--from', dir, '--out', out, '--method', 'esd', '--cond-drop', '0.1'], /--cond-drop drops conditioning in the losses, which esd does not/],
    [['unlearn', '--from', dir, '--out', out, '--method', 'esd', '--xt-source', 'data', '--xt-guidance', '1'], /--xt-guidance guides the sampling of x_t, which --xt-source data does not do; leave it out/],
    [['unlearn', '--from', dir, '--out', out, '--method', 'esd', '--xt-source', 'noise'], /--xt-source/],
    [['unlearn', '--from', dir, '--out', out, '--method', 'salun', '--negative-guidance', '2'], /--negative-guidance applies to esd only; leave it out for salun/],
    [['unlearn', '--from', dir, '--out', out, '--method', 'esd', '--ewc-weight', '2'], /--ewc-weight applies to sa only; leave it out for esd/],
    [['unlearn', '--from', dir, '--out', out, '--method', 'sa', '--replay-per-class', '2', '--fim-per-class', '5'], /--fim-per-class \(5\) cannot exceed --replay-per-class \(2\)/],
    [['unlearn', '--from', dir, '--out', out, '--method', 'sa', '--cond-drop', '0.1'], /--cond-drop drops conditioning in the losses, which sa does not/],
    [['unlearn', '--from', dir, '--out', out, '--method', 'sa', '--sa-file', mask, '--replay-steps', '5'], /--replay-steps is fixed by --sa-file/],
    [['unlearn', '--from', dir, '--out', out, '--method', 'ft', '--sa-file', mask], /--sa-file applies to sa only; leave it out for ft/],
    [['replay', '--from', dir, '--out', join(elsewhere, 'r.safetensors'), '--replay-per-class', '2', '--fim-per-class', '3'], /--fim-per-class \(3\) cannot exceed --replay-per-class \(2\)/],
    [['replay', '--from', dir, '--out', join(elsewhere, 'r.safetensors'), '--ewc-weight', '3'], /--ewc-weight does not apply to 'lethe diffusion replay' \(it is read by unlearn\)/],
    [['unlearn', '--from', dir, '--out', out, '--method', 'esd', '--drop-last', 'false'], /--drop-last shapes the batches of real images, which esd reads only with --xt-source data/],
    [['sample', '--from', dir, '--out', join(dir, 'g.png'), '--warmup', '5'], /--warmup does not apply to 'lethe diffusion sample' \(it is read by train\)/],
  ];
  for (const [args, message] of cases) {
    const r = await runCli(['diffusion', ...args], dir);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
  assert.ok(!existsSync(out), 'nothing is written');
});
