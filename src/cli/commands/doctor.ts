// lethe doctor: what this installation has — versions, libtorch build, threads, CUDA, libsvm, data, cache.
import { existsSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { FASHION_MNIST_DEBIAN_DIR, MNIST_DEFAULT_DIR, IDX_FILES } from '../../data/index.js';
import { cpuCache, cuda, getNumThreads, libtorch } from '../../torch/index.js';
import { libsvmVersion } from '../../eval/svm.js';
import { methodNames } from '../../unlearn/index.js';
import { LETHE_VERSION } from '../../version.js';
import { cacheDir } from '../cache.js';
import { recipesDir } from '../recipes.js';
import type { Opts } from '../options.js';
import { print, printJson } from './shared.js';

function datasetStatus(dir: string): { dir: string; found: boolean; files: string[] } {
  if (!existsSync(dir)) return { dir, found: false, files: [] };
  const files = readdirSync(dir);
  const found = IDX_FILES.trainImages.some((f) => files.includes(f));
  return { dir, found, files };
}

export default async function doctor(o: Opts): Promise<void> {
  const svm = libsvmVersion();
  const cache = cacheDir();
  const info = {
    lethe: LETHE_VERSION,
    node: process.version,
    libtorch: libtorch.version(),
    threads: { libtorch: getNumThreads(), cores: availableParallelism(), env: process.env['LETHE_NUM_THREADS'] ?? null },
    cuda: { available: cuda.isAvailable(), devices: cuda.deviceCount() },
    cpuCache: cpuCache(),
    libsvm: `${Math.floor(svm / 100)}.${String(svm % 100).padStart(2, '0')}`,
    datasets: {
      fmnist: datasetStatus(FASHION_MNIST_DEBIAN_DIR),
      mnist: datasetStatus(MNIST_DEFAULT_DIR),
      cifar: { found: false, note: 'Debian does not package CIFAR; pass --data-dir with the binary batches' },
    },
    cache: { dir: cache, exists: existsSync(cache), models: existsSync(`${cache}/models`) ? readdirSync(`${cache}/models`).length : 0 },
    recipes: { dir: recipesDir(), files: existsSync(recipesDir()) ? readdirSync(recipesDir()).filter((f) => f.endsWith('.json')) : [] },
    methods: methodNames(),
    buildConfig: libtorch.buildConfig(),
    parallelInfo: libtorch.parallelInfo(),
  };
  if (o.bool('json')) {
    printJson(info);
    return;
  }
  const yes = (b: boolean): string => (b ? 'found' : 'not found');
  print(`lethe      ${info.lethe} (node ${info.node})`);
  print(`libtorch   ${info.libtorch}`);
  print(`threads    ${info.threads.libtorch} intra-op of ${info.threads.cores} cores${info.threads.env ? ` (LETHE_NUM_THREADS=${info.threads.env})` : ''}`);
  const mb = (bytes: number): string => `${Math.round(bytes / 2 ** 20)} MB`;
  const cc = info.cpuCache;
  print(`cpu cache  ${cc.enabled ? `freed blocks of ${mb(cc.minBytes)} or more kept for reuse, up to ${mb(cc.limitBytes)} (LETHE_CPU_CACHE)` : 'off (LETHE_CPU_CACHE=0)'}`);
  print(`cuda       ${info.cuda.available ? `${info.cuda.devices} device(s)` : 'not available (CPU build)'}`);
  print(`libsvm     ${info.libsvm}`);
  print(`fmnist     ${yes(info.datasets.fmnist.found)} in ${info.datasets.fmnist.dir}${info.datasets.fmnist.found ? '' : ' (apt-get install dataset-fashion-mnist)'}`);
  print(`mnist      ${yes(info.datasets.mnist.found)} in ${info.datasets.mnist.dir}${info.datasets.mnist.found ? '' : ' (copy the IDX files there or use --data-dir)'}`);
  print(`cifar      ${info.datasets.cifar.note}`);
  print(`cache      ${info.cache.dir} (${info.cache.exists ? `${info.cache.models} cached model(s)` : 'empty'}; LETHE_CACHE overrides)`);
  print(`recipes    ${info.recipes.dir}: ${info.recipes.files.join(', ') || 'none'}`);
  print(`methods    ${info.methods.join(', ')}`);
  print('\nlibtorch build configuration:');
  print(info.buildConfig.trimEnd());
}
