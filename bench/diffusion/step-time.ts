// How long one training step and one sampling step of the UNet presets take on this machine.
import { manualSeed, randn, randint, tidy, noGrad, memory } from '../../src/index.js';
import { Adam } from '../../src/optim/index.js';
import { UNet } from '../../src/diffusion/unet.js';
import { NoiseSchedule } from '../../src/diffusion/schedule.js';
import { diffusionLoss, guidedPrediction } from '../../src/diffusion/loss.js';
import { timestepTensor } from '../../src/diffusion/schedule.js';

const arg = process.argv[2] ?? 'small';
const preset = arg.startsWith('{') ? (JSON.parse(arg) as Record<string, unknown>) : (arg as 'small' | 'base' | 'tiny');
const batch = Number(process.argv[3] ?? 128);
manualSeed(0);
const model = new UNet(preset);
const schedule = new NoiseSchedule();
console.log(`${arg}: ${model.numParameters()} parameters, batch ${batch}`);
const opt = new Adam(model.parameters(), { lr: 1e-3 });
const x = randn([batch, 1, model.config.imageSize, model.config.imageSize]);
const y = randint(0, 10, [batch]);
for (let i = 0; i < 3; i++) {
  const t0 = performance.now();
  tidy(() => {
    const l = diffusionLoss(model, schedule, x, y);
    opt.zeroGrad();
    l.backward();
    opt.step();
  });
  console.log(`train step ${i}: ${(performance.now() - t0).toFixed(0)} ms`);
}
model.eval();
for (let i = 0; i < 2; i++) {
  const t0 = performance.now();
  tidy(() => noGrad(() => guidedPrediction(model, x, timestepTensor(new Array(batch).fill(500)), y, 2)));
  console.log(`guided sampling forward (2×${batch}): ${(performance.now() - t0).toFixed(0)} ms`);
}
console.log(memory());
