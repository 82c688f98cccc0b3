// Builds the C++ reference programs of bench/cpp with the system's cmake (and ninja when present).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: this file is bench/x.ts in the sources and dist/bench/x.js once compiled. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    if (existsSync(join(dir, 'bench', 'cpp', 'CMakeLists.txt'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('cannot find the repository root (bench/cpp/CMakeLists.txt) above ' + dirname(fileURLToPath(import.meta.url)));
}

export function run(cmd: string, args: readonly string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; what: string }): string {
  const r = spawnSync(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw new Error(`${opts.what}: could not start ${cmd}: ${r.error.message}`);
  if (r.status !== 0) {
    throw new Error(`${opts.what} failed (${cmd} ${args.join(' ')}, exit ${r.status ?? r.signal}):\n${r.stderr}${r.stdout}`);
  }
  return r.stdout;
}

function hasProgram(name: string): boolean {
  return spawnSync(name, ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * Builds bench/cpp into bench/out/cpp-build and returns that directory (programs: cnn_step, op_overhead).
 * Configures once, then lets the build tool decide what is out of date (a no-op when nothing changed; cmake
 * re-configures by itself when CMakeLists.txt changed).
 */
export function buildCpp(root: string): string {
  const src = join(root, 'bench', 'cpp');
  const build = join(root, 'bench', 'out', 'cpp-build');
  mkdirSync(build, { recursive: true });
  if (!hasProgram('cmake')) throw new Error('cmake is needed to build the C++ reference (apt-get install cmake)');
  if (!existsSync(join(build, 'CMakeCache.txt'))) {
    const generator = hasProgram('ninja') ? ['-G', 'Ninja'] : [];
    run('cmake', ['-S', src, '-B', build, ...generator, '-DCMAKE_BUILD_TYPE=Release'], { cwd: root, what: 'configuring bench/cpp' });
  }
  run('cmake', ['--build', build], { cwd: root, what: 'building bench/cpp' });
  return build;
}

