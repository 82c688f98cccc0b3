// The `lethe` command line: commander wiring, shared options, and error → exit-code mapping.
// Commands live in ./commands/*.ts; each receives its merged options (config file < flags).
import { Command, CommanderError, Option } from 'commander';
import { LETHE_VERSION } from '../version.js';
import { describeError, exitCodeFor, EXIT_USAGE } from './errors.js';
import { collect, mergedOptions, Opts, refuseRepeatedFlags } from './options.js';
import { DATA_NAMES } from './data.js';
import { DISTRIBUTED_OPTIONS } from '../distributed/cli.js';
import { blockSettingsLine } from './method-help.js';
import { MASK_MODES } from '../optim/mask-mode.js';
import { DDPM_SUBSPACE, SUBSPACE_DEFAULTS } from '../unlearn/blocks/settings.js';
import { SWEEP_BY } from './sweep-winner.js';

type Action = (o: Opts, args: string[], cmd: Command) => Promise<void>;

function dataOptions(cmd: Command): Command {
  return cmd
    .option('--data <name|dir>', `dataset: ${DATA_NAMES.join('|')} or a directory with IDX/CIFAR files (default fmnist)`)
    .option('--data-dir <dir>', 'where the dataset files are (default: Debian\u2019s location for fmnist)')
    .option('--train-size <n>', 'use a seeded subset of n training images (before the validation split)')
    .option('--test-size <n>', 'use a seeded subset of n test images');
}

function commonOptions(cmd: Command): Command {
  return cmd
    .option('--config <file.json>', 'read options from a JSON file (flags override it)')
    .option('--json', 'print the result as JSON on stdout')
    .option('--quiet', 'no progress output');
}

/** The training recipe's flags; `of` says whose recipe they set where that is not obvious (bench: not the methods'). */
function trainRecipeOptions(cmd: Command, of = ''): Command {
  return cmd
    .option('--epochs <n>', `training epochs${of} (protocol: 20)`)
    .option('--lr <x>', `learning rate${of} (protocol: 0.1)`)
    .option('--batch-size <n>', `batch size${of} (protocol: 256)`)
    .option('--momentum <x>', `SGD momentum${of} (protocol: 0.9)`)
    .option('--weight-decay <x>', `weight decay${of} (protocol: 5e-4)`)
    .addOption(new Option('--optimizer <name>', `optimizer${of}`).choices(['sgd', 'adam']))
    .addOption(new Option('--schedule <name>', `learning-rate schedule${of} (protocol: multistep)`).choices(['multistep', 'cosine', 'constant']))
    .option('--milestones <list>', `multistep epochs${of}, e.g. 10,15 (default: half and three quarters of --epochs)`)
    .option('--augment', `random crop + flip on training batches${of} (the protocol has none)`);
}

function distributedOptions(cmd: Command): Command {
  for (const d of DISTRIBUTED_OPTIONS) cmd.option(d.flags, d.description);
  return cmd;
}

function examples(cmd: Command, lines: string[]): Command {
  return cmd.addHelpText('after', `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`);
}

function action(cmd: Command, load: () => Promise<{ default: Action }>): Command {
  return cmd.action(async (...args: unknown[]) => {
    const self = args[args.length - 1] as Command;
    const positional = self.args;
    const opts = new Opts(mergedOptions(self));
    const { default: run } = await load();
    await run(opts, positional, self);
  });
}

export function buildProgram(): Command {
  const program = new Command('lethe')
    .description('Lethe: make trained neural networks forget data (SalUn, SEMU, CUFG and baselines on libtorch)')
    .version(LETHE_VERSION, '-V, --version')
    .exitOverride()
    .showHelpAfterError('(add --help for usage and examples)')
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  program.addHelpText(
    'after',
    `
Exit codes: 0 ok, 1 failure (diverged run, corrupt checkpoint, ...), 2 bad usage (unknown flag or method, bad value,
missing file), 130 interrupted (rerun the same command to resume). LETHE_DEBUG=1 prints stack traces.
Environment: LETHE_NUM_THREADS (libtorch threads, default all cores), LETHE_CACHE (model cache, default
./.cache/lethe), LETHE_RECIPES (the recipes directory, default the package's recipes/), LETHE_PROGRESS_SECONDS
(seconds between plain progress lines when not on a TTY, default 10), LETHE_MALLOC_TUNING=0 (no allocator tuning),
LETHE_CPU_CACHE (MB of freed large CPU blocks kept for reuse, default 4096 or a quarter of the memory; 0 = off).`,
  );

  const demo = commonOptions(program.command('demo').description('the main job in a few minutes: train original and retrain, run SalUn, FT and GA, compare'))
    .option('--out <dir>', 'results directory (default: <cache>/demo)')
    .option('--cache-dir <dir>', 'model cache (default $LETHE_CACHE or ./.cache/lethe)')
    .option('--train-size <n>', 'training images used (default 3000 of 60000)')
    .option('--test-size <n>', 'test images used (default 2000 of 10000; keep it below the retain set for MIA)')
    .option('--epochs <n>', 'epochs of the original and retrain models (default 30)')
    .option('--model <name>', 'mlp (default) | smallcnn | resnet20 | resnet18');
  examples(demo, ['lethe demo', 'lethe demo --train-size 10000 --test-size 5000 --epochs 20', 'lethe demo --model resnet20', 'lethe demo --json > demo.json']);
  action(demo, () => import('./commands/demo.js'));

  const train = distributedOptions(commonOptions(trainRecipeOptions(dataOptions(program.command('train').description('train an original model (or, with --forget, the retrain reference on D_r)'))))
    .option('--model <name>', 'resnet20 | resnet18 | smallcnn | mlp (default resnet20)')
    .option('--seed <n>', 'seed of the split, the forget set, the initialisation and the batch order (default 1)')
    .option('--forget <spec>', 'train the retrain reference: on D_r only, for this forget set (random:0.1, class:3, ...)')
    .option('--val-fraction <x>', 'share of each class held out for validation (protocol: 0.1; 0 trains on every image)')
    .option('--out <dir>', 'checkpoint directory, required unless --cache (resumable; a finished one is reused)')
    .option('--cache', 'write into the model cache, where bench and sweep look for this model (instead of --out)')
    .option('--cache-dir <dir>', 'with --cache: the model cache (default $LETHE_CACHE or ./.cache/lethe)')
    .option('--force', 'retrain even if the directory holds a finished model'));
  examples(train, [
    'lethe train --data fmnist --model resnet20 --out runs/original',
    'lethe train --model smallcnn --train-size 5000 --epochs 3 --out runs/quick',
    'lethe train --forget random:0.1 --out runs/retrain      # the retrain reference',
    'lethe train --model resnet20 --out runs/original --nproc 2   # data-parallel, 2 local processes',
    'lethe train --cache & lethe train --cache --forget random:0.1   # a bench\u2019s two models at once, then lethe bench',
  ]);
  action(train, () => import('./commands/train.js'));

  const imp = commonOptions(dataOptions(program.command('import').description('make a classifier trained elsewhere (PyTorch .pt/.pth state dict or safetensors) a Lethe original checkpoint').argument('<file>', 'the weights file')))
    .option('--model <name>', 'resnet20 | resnet18 | smallcnn | mlp: the architecture the weights are for (default resnet20)')
    .option('--normalize <how>', 'when the file has no normalize.mean/std: data | none | MEAN:STD (per channel)')
    .option('--key <path>', 'where the state dict sits inside a PyTorch checkpoint dict, e.g. state_dict (found automatically)')
    .option('--seed <n>', 'seed of the validation hold-out and of the forget sets drawn later (default 1)')
    .option('--val-fraction <x>', 'share of each class held out for validation (default 0.1; 0 when the model trained on every image)')
    .option('--out <dir>', 'checkpoint directory, required')
    .option('--force', 'replace a finished checkpoint in --out');
  examples(imp, [
    'lethe import salun_resnet20.pth --model resnet20 --out runs/original        # SalUn\'s checkpoint: state_dict with normalize.*',
    'lethe import model.safetensors --model smallcnn --normalize data --val-fraction 0 --out runs/original',
    'lethe unlearn --from runs/original --forget indices:delete.json --method salun --out runs/salun',
  ]);
  action(imp, () => import('./commands/import.js'));

  const unlearn = distributedOptions(commonOptions(program.command('unlearn').description('unlearn a forget set from a trained checkpoint with any method and blocks'))
    .option('--from <dir>', 'the original checkpoint (from lethe train), required')
    .option('--forget <spec>', 'random:0.1 | random:5400 | class:3 | indices:FILE (default: the checkpoint\u2019s, if any)')
    .option('--method <name>', 'unlearning method (listed below; with --help, that method\u2019s options)')
    .option('--recipe <name|file>', 'a recipe from recipes/ (by method name) or a JSON file; flags override it')
    .option('--epochs <n>', 'unlearning epochs')
    .option('--lr <x>', 'learning rate')
    .option('--batch-size <n>', 'batch size')
    .option('--momentum <x>', 'SGD momentum')
    .option('--weight-decay <x>', 'weight decay')
    .option('--opt <key=value|json>', 'a method option, repeatable: --opt labels=wrong or --opt \'{"variant":"mixed"}\'', collect)
    .option('--mask [ratio]', 'saliency mask block: keep this fraction of weights trainable (default 0.5)')
    .option('--no-mask', 'remove the saliency mask (e.g. from salun)')
    .addOption(new Option('--mask-mode <mode>', 'update: exact freeze; grad: the reference\u2019s leaky gradient masking').choices(MASK_MODES))
    .option('--mask-file <file>', 'a saliency mask saved by --save-mask (safetensors) or the SalUn reference\u2019s with_<ratio>.pt: no gradient pass; turns the mask block on')
    .option('--save-mask <file>', 'write the saliency mask this run computes (safetensors, 0/1 per weight) for later runs\u2019 --mask-file')
    .option('--subspace [settings]', `SVD subspace block: ${blockSettingsLine('subspace')}`)
    .option('--no-subspace', 'remove the SVD subspace (e.g. from semu)')
    .option('--curriculum [settings]', `curriculum block: ${blockSettingsLine('curriculum')}`)
    .option('--no-curriculum', 'remove the curriculum (e.g. from cufg)')
    .option('--seed <n>', 'seed of the method\u2019s randomness (default: the checkpoint\u2019s seed)')
    .option('--data-dir <dir>', 'where the dataset files are now, if they moved since training')
    .option('--reference <dir>', 'a retrain checkpoint for the same forget set: adds Avg.Gap')
    .option('--out <dir>', 'write the unlearned model and its manifest here')
    .option('--force', 'replace a finished checkpoint in --out'));
  unlearn.addHelpText('after', () => methodHelpText);
  examples(unlearn, [
    'lethe unlearn --from runs/original --forget random:0.1 --method salun --out runs/salun',
    'lethe unlearn --from runs/original --forget class:3 --method ga --mask 0.5 --lr 1e-4 --out runs/ga-mask',
    'lethe unlearn --from runs/original --forget random:0.1 --method rl --subspace gamma=0.9 --reference runs/retrain',
    'lethe unlearn --from runs/original --forget random:0.1 --method cufg --recipe recipes/cufg.json --opt refreshEvery=4 --out runs/cufg',
    'lethe unlearn --from runs/original --forget class:3 --method salun --save-mask mask.safetensors --lr 0.01 && lethe unlearn --from runs/original --forget class:3 --method salun --mask-file mask.safetensors --lr 0.02',
  ]);
  action(unlearn, () => import('./commands/unlearn.js'));

  const mask = commonOptions(program.command('mask').description('SalUn\u2019s saliency masks on their own (the reference\u2019s generate_mask step): one gradient pass over the forget set, one mask file per ratio, for lethe unlearn --mask-file'))
    .option('--from <dir>', 'the original checkpoint (from lethe train or lethe import), required')
    .option('--forget <spec>', 'random:0.1 | random:5400 | class:3 | indices:FILE (default: the checkpoint\u2019s, if any)')
    .option('--ratio <r[,r…]>', 'share of weights kept salient, in (0, 1]; several (0.1,0.3,0.5) make one mask each from the same pass (default 0.5)')
    .option('--method <name>', 'the run the mask is for: its batch size and augmentation order the gradient pass (default salun)')
    .option('--recipe <name|file>', 'a recipe whose method and options the run would use')
    .option('--batch-size <n>', 'batch size of the gradient pass (default: the method\u2019s)')
    .option('--opt <key=value|json>', 'a method option, repeatable (as lethe unlearn\u2019s)', collect)
    .option('--seed <n>', 'the run\u2019s seed (default: the checkpoint\u2019s): it orders the forget stream')
    .option('--data-dir <dir>', 'where the dataset files are now, if they moved since training')
    .option('--layers', 'also print each parameter\u2019s share of salient weights')
    .option('--out <file|dir>', 'the mask file (one ratio) or a directory for with_<ratio>.safetensors (several), required');
  examples(mask, [
    'lethe mask --from runs/original --forget class:3 --out mask.safetensors && lethe unlearn --from runs/original --forget class:3 --method salun --mask-file mask.safetensors',
    'lethe mask --from runs/original --forget random:0.1 --ratio 0.1,0.3,0.5,0.7,0.9 --out masks --layers',
  ]);
  action(mask, () => import('./commands/mask.js'));

  const evalCmd = commonOptions(program.command('eval').description('evaluate a checkpoint: UA, RA, TA, MIA (all views), per-class accuracy, Avg.Gap'))
    .argument('<dir>', 'checkpoint directory')
    .option('--reference <dir>', 'retrain checkpoint: adds Avg.Gap')
    .option('--forget <spec>', 'forget set (default: the checkpoint\u2019s)')
    .option('--data-dir <dir>', 'where the dataset files are now')
    .option('--csv <file>', 'also write the metrics as CSV');
  examples(evalCmd, ['lethe eval runs/salun --reference runs/retrain', 'lethe eval runs/original --forget random:0.1 --json', 'lethe eval runs/salun --csv salun.csv']);
  action(evalCmd, () => import('./commands/eval.js'));

  const bench = commonOptions(trainRecipeOptions(dataOptions(program.command('bench').description('the paper-style table: every method vs retrain over several seeds (resumable)')), ' of the original and retrain models'))
    .option('--model <name>', 'resnet20 | resnet18 | smallcnn | mlp (default resnet20)')
    .option('--forget <spec>', 'forget set (default random:0.1)')
    .option('--methods <list>', "'all' or a comma-separated list (default all)")
    .option('--seeds <n>', 'number of seeds (default 3)')
    .option('--seed <n>', 'first seed (default 1)')
    .option('--out <dir>', 'results directory, required (results.json, results.csv, results.md, runs/)')
    .option('--cache-dir <dir>', 'model cache (default $LETHE_CACHE or ./.cache/lethe)')
    .option('--all-mia', 'compute every MIA feature view (slower)')
    .option('--fresh', 'recompute finished runs instead of skipping them')
    .option('--defaults', 'run every method with its reference defaults instead of its recipe (untuned; for models and data the recipes were not tuned for)')
    .option('--jobs <n>', 'make n runs at once, each in its own process with 1/n of the threads (default 1), after training the missing original and retrain models the same way; the same results');
  examples(bench, [
    'lethe bench --data fmnist --model resnet20 --forget random:0.1 --methods all --seeds 3 --out bench/fmnist',
    'lethe bench --methods salun,ft,ga --model smallcnn --train-size 10000 --epochs 8 --seeds 2 --out bench/quick',
    'LETHE_NUM_THREADS=4 lethe bench --methods salun,rl,ga,semu --seeds 3 --jobs 4 --out bench/fmnist   # four 1-thread runs at a time',
  ]);
  action(bench, () => import('./commands/bench.js'));

  const sweep = commonOptions(dataOptions(program.command('sweep').description('tune a method\u2019s learning rate (or --param) on a log grid or a list of values by Avg.Gap and write the winning recipe')))
    .option('--method <name>', 'the method to tune, required')
    .option('--epochs <n>', 'epochs of the original and retrain models (protocol: 20)')
    .option('--batch-size <n>', 'batch size of the original and retrain models (protocol: 256); the method keeps its recipe\u2019s')
    .option('--milestones <list>', 'multistep epochs of the original and retrain models (default: half and three quarters of --epochs)')
    .option('--param <name>', 'the option to tune (default: the method\u2019s tuned option: lr, or alpha for iu), or a block setting BLOCK.KEY such as mask.ratio')
    .option('--range <from:to>', 'the grid\u2019s range, log-spaced (default: a tenth to ten times the recipe\u2019s value)')
    .option('--lr <from:to>', 'learning-rate range, log-spaced (e.g. 1e-3:5e-2); the same as --range when tuning lr')
    .option('--points <n>', 'grid points (default 5)')
    .option('--values <list>', 'explicit candidates instead of a log grid, e.g. 0.3,0.45,0.6, or reference,weighted for a categorical option')
    .addOption(new Option('--by <metric>', 'what to minimise over the seeds: avg-gap, the mean Avg.Gap (default), or worst-gap, the worst seed\u2019s (safer where the lr has a cliff that moves with the seed)').choices([...SWEEP_BY]))
    .option('--opt <key=value|json>', 'fix another method option for every trial and the written recipe, repeatable: --opt bnLeak=true, --opt epochs=5 (the method\u2019s epochs; --epochs is the original\u2019s)', collect)
    .option('--model <name>', 'default resnet20')
    .option('--forget <spec>', 'default random:0.1')
    .option('--seed <n>', 'the seed (default 1)')
    .option('--seeds <n>', 'score each value by its mean Avg.Gap over this many seeds from --seed (default 1)')
    .option('--out <dir>', 'sweep results (default <cache>/sweeps/<method>)')
    .option('--cache-dir <dir>', 'model cache shared with bench')
    .option('--recipes-dir <dir>', 'where to write <method>.json, or class-wise/<method>.json for class:K forget sets (default the package\u2019s recipes/)')
    .option('--no-write', 'do not write the recipe')
    .option('--fresh', 'rerun finished trials instead of reusing them (an interrupted sweep resumes by default)')
    .option('--jobs <n>', 'run n trials at once, each in its own process with 1/n of the threads (default 1), after training the missing original and retrain models the same way; the same results');
  sweep.addHelpText('after', () => methodHelpText);
  examples(sweep, ['lethe sweep --method salun --lr 1e-3:5e-2 --points 5 --by avg-gap', 'lethe sweep --method ga --lr 1e-5:1e-3 --model smallcnn --train-size 10000 --epochs 8', 'lethe sweep --method iu --range 1:20 --points 4', 'lethe sweep --method cufg --param normalization --values reference,weighted', 'lethe sweep --method salun --param mask.ratio --values 0.3,0.5,0.7', 'lethe sweep --method salun --forget class:1', 'lethe sweep --method cufg --lr 1e-4:1e-3 --points 3 --opt bnLeak=true --no-write']);
  action(sweep, () => import('./commands/sweep.js'));

  const report = program
    .command('report')
    .description('a self-contained HTML page of a results directory: bench/demo (inline SVG charts) or the diffusion benchmark (tables and sample grids)')
    .argument('<dir>', 'results directory (holding results.json)')
    .option('--html <file>', 'the HTML file to write, required')
    .option('--png', 'also write each chart as PNG beside the HTML (bench/demo only; ignored for diffusion results)')
    .option('--config <file.json>', 'read options from a JSON file');
  examples(report, ['lethe report bench/fmnist --html report.html', 'lethe report .cache/lethe/demo --html demo.html --png', 'lethe report bench/out/diffusion --html diffusion.html']);
  action(report, () => import('./commands/report.js'));

  const diffusion = commonOptions(
    program
      .command('diffusion')
      .description('generative unlearning: a class-conditional DDPM that forgets a class (SalUn, SEMU, FT, GA, ESD, SA)')
      .argument('<subcommand>', 'train | unlearn | mask | replay | sample | eval | classifier'),
  )
    .option('--out <path>', 'output checkpoint directory (train, unlearn, classifier), PNG file (sample), mask file or directory (mask), SA file (replay)')
    .option('--force', 'train, unlearn, classifier: replace a finished checkpoint in --out (never an input)')
    .option('--from <dir>', 'the diffusion checkpoint to start from (unlearn, mask, replay, sample, eval)')
    .option('--data <name|dir>', 'dataset (default Fashion-MNIST from Debian)')
    .option('--method <name>', 'unlearn: salun (default) | semu | ft | ga | esd | sa')
    .option('--forget-class <k>', 'unlearn/mask/eval: the class to forget (default 0); train: leave it out of the training data (the retrain reference)')
    .option('--iterations <n>', 'train/unlearn iterations')
    .option('--batch-size <n>', 'train/unlearn batch size')
    .option('--lr <x>', 'train/unlearn learning rate')
    .option('--timesteps <n>', 'train: diffusion steps T (default 1000)')
    .option('--warmup <n>', 'train: linear lr warm-up in iterations (default 200)')
    .option('--ema-decay <d>', 'train: decay of the weights\u2019 moving average, in [0, 1) (default 0.999)')
    .option('--ema-warmup <bool>', 'train: warm the EMA decay up as min(d, (1+n)/(10+n)) (default true; false = the reference\u2019s fixed decay)')
    .option('--drop-last <bool>', 'train/unlearn: drop each pass\u2019s last partial batch (default true; false = the reference\u2019s loaders)')
    .option('--cond-drop <p>', 'train/unlearn: conditioning dropout to the null class (default 0.1)')
    .option('--grad-clip <x>', 'unlearn: gradient-norm clip before each step (default 1; esd: none, as its reference)')
    .option('--unet <size>', 'train: tiny | small (default) | base')
    .option('--weights <which>', 'unlearn/mask/replay/sample/eval: auto (default: the EMA weights when the checkpoint has them) | ema | model (the raw weights, which the reference unlearns and samples)')
    .option('--alpha <x>', 'unlearn (salun, ga; semu with --use-retain): weight of the remaining-class diffusion loss (default 1e-3)')
    .option('--mask-ratio <x>', 'unlearn (salun): saliency mask ratio (default 0.5); mask: one or several (0.1,0.5), one file each from one gradient pass')
    .option('--mask-file <file>', 'unlearn (salun): a saliency mask saved by --save-mask instead of the gradient pass')
    .option('--save-mask <file>', 'unlearn (salun): write the mask this run computes (safetensors) for later runs\u2019 --mask-file')
    .option('--gamma <x>', 'unlearn (semu): explained-variance ratio (short for --subspace gamma=X)')
    .option('--subspace <settings>', `unlearn (semu): the SVD subspace, key=value,… over the DDPM reference's: ${blockSettingsLine('subspace', { ...SUBSPACE_DEFAULTS, ...DDPM_SUBSPACE })}`)
    .option('--gradient-samples <n>', 'unlearn, mask: forget-class images for the mask/subspace gradient (default all)')
    .option('--use-retain [bool]', 'unlearn: add α × the remaining-class diffusion loss (salun, ga: default true, as the reference; semu: default false, true = its retain variant)')
    .option('--negative-guidance <x>', 'unlearn (esd): η of the target ε(∅) − η·(ε(c) − ε(∅)) of the frozen original (default 1)')
    .option('--xt-source <s>', 'unlearn (esd): where x_t comes from: unlearned (default: sampled from the model being trained, as the ESD code) | original (sampled from the frozen model) | data (noised real images of the class)')
    .option('--xt-guidance <w>', 'unlearn (esd): guidance of the sampling that makes x_t (default 2 = ESD\u2019s start_guidance 3)')
    .option('--xt-steps <n>', 'unlearn (esd): DDIM steps of that sampling (default 50)')
    .option('--ewc-weight <x>', 'unlearn (sa): λ, the weight of the EWC penalty Σ F·(θ − θ*)² (default 10)')
    .option('--replay-weight <x>', 'unlearn (sa): γ, the weight of the replay loss (default 1)')
    .option('--sa-file <file>', 'unlearn (sa): the replay images and Fisher information written by lethe diffusion replay, instead of computing them')
    .option('--replay-per-class <n>', 'unlearn (sa), replay: images sampled per class from the original for replay and the Fisher information (default 500)')
    .option('--fim-per-class <n>', 'unlearn (sa), replay: of those, how many per class the Fisher information averages over (default all)')
    .option('--replay-steps <n>', 'unlearn (sa), replay: DDIM steps of the replay sampling (default 1000)')
    .option('--replay-eta <x>', 'unlearn (sa), replay: DDIM η of the replay sampling (default 1)')
    .option('--replay-guidance <w>', 'unlearn (sa), replay: guidance of the replay sampling (default 2)')
    .option('--classifier <dir>', 'eval: the evaluation classifier checkpoint')
    .option('--samples-forget <n>', 'eval: samples of the forgotten class')
    .option('--samples-per-class <n>', 'eval: samples per remaining class')
    .option('--grid <file.png>', 'eval: also write a sample grid')
    .option('--per-class <n>', 'sample: columns per class row (default 8)')
    .option('--sampler <name>', 'sample/eval: ddim (default) | ddpm')
    .option('--steps <n>', 'sample/eval: sampling steps')
    .option('--eta <x>', 'sample/eval: DDIM eta')
    .option('--clip-x0 <bool>', 'sample/eval (ddim): clamp the predicted x0 to [-1, 1] at each step (default true; the reference does not)')
    .option('--guidance <w>', 'sample/eval: classifier-free guidance scale (default 2)')
    .option('--epochs <n>', 'classifier: training epochs')
    .option('--min-accuracy <pct>', 'classifier: refuse (write nothing) below this test accuracy, in percent (default 90: Fashion-MNIST\u2019s bar; lower it for a harder dataset)')
    .option('--seed <n>', 'random seed');
  examples(diffusion, [
    'lethe diffusion train --out runs/ddpm --iterations 3000',
    'lethe diffusion classifier --out runs/fmnist-classifier',
    'lethe diffusion train --out runs/ddpm-retrain --iterations 3000 --forget-class 1   # the retrain reference: never sees class 1',
    'lethe diffusion unlearn --from runs/ddpm --method salun --forget-class 1 --out runs/ddpm-salun',
    'lethe diffusion unlearn --from runs/ddpm --method esd --forget-class 1 --out runs/ddpm-esd   # ESD: 1000 single-image steps, no data read',
    'lethe diffusion unlearn --from runs/ddpm --method sa --forget-class 1 --iterations 200 --batch-size 32 --replay-per-class 100 --fim-per-class 10 --replay-steps 25 --replay-eta 0 --out runs/ddpm-sa',
    'lethe diffusion replay --from runs/ddpm --replay-per-class 100 --fim-per-class 5 --out runs/ddpm-sa.safetensors   # SA\u2019s passes once, for many runs\u2019 --sa-file',
    'lethe diffusion mask --from runs/ddpm --forget-class 1 --mask-ratio 0.3,0.5,0.7 --out masks   # masks alone, for --mask-file',
    'lethe diffusion sample --from runs/ddpm-salun --out grid.png',
    'lethe diffusion eval --from runs/ddpm-salun --classifier runs/fmnist-classifier --forget-class 1 --grid eval.png',
  ]);
  action(diffusion, () => import('./commands/diffusion.js'));

  const doctor = program.command('doctor').description('versions, libtorch build, threads, CUDA, libsvm, datasets and cache').option('--json', 'print as JSON').option('--config <file.json>', 'unused; accepted for symmetry');
  examples(doctor, ['lethe doctor', 'lethe doctor --json']);
  action(doctor, () => import('./commands/doctor.js'));

  refuseRepeatedFlags(program);
  return program;
}

let methodHelpText = '';

/** The methods' part of the help (it imports libtorch, so it is loaded only when help is asked for a command that takes --method). */
async function loadMethodHelp(argv: string[]): Promise<void> {
  const [{ methodNames, getMethod }, { methodHelp }] = await Promise.all([import('../unlearn/index.js'), import('./method-help.js')]);
  methodHelpText = methodHelp(methodNames().map((m) => getMethod(m)), argv);
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    if ((argv.includes('unlearn') || argv.includes('sweep')) && (argv.includes('--help') || argv.includes('-h'))) await loadMethodHelp(argv);
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return 0;
      return EXIT_USAGE; // commander already printed the message
    }
    process.stderr.write(`lethe: ${describeError(e)}\n`);
    return exitCodeFor(e);
  }
}

// `lethe … | head` closes stdout early: that is not an error
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

const code = await main(process.argv.slice(2));
process.exitCode = code;
