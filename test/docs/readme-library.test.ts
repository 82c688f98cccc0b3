// The README's library example must compile against the package's own type declarations, as a user's strict
// TypeScript project would see them: a renamed export or a changed type otherwise rots the first code a user copies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = process.cwd();

/** The first ```ts block after the heading `## Using Lethe as a library`. */
function libraryExample(readme: string): string {
  const section = readme.indexOf('\n## Using Lethe as a library');
  assert.ok(section >= 0, 'README has no "Using Lethe as a library" section');
  const m = /```ts\n([\s\S]*?)```/.exec(readme.slice(section));
  assert.ok(m, 'the library section has no ```ts block');
  return m[1]!;
}

test('the README library example type-checks in strict mode against dist/src/index.d.ts', () => {
  const code = libraryExample(readFileSync(join(root, 'README.md'), 'utf8'));
  assert.match(code, /from 'lethe'/, 'the example imports the package by name');
  // inside the package root, so that 'lethe' resolves through package.json "exports" (a self-reference)
  const dir = mkdtempSync(join(root, 'dist', 'readme-example-'));
  try {
    writeFileSync(join(dir, 'example.ts'), `export {};\n${code}`);
    const compilerOptions = { strict: true, noUncheckedIndexedAccess: true, target: 'ES2022', lib: ['ES2023', 'esnext.disposable'], module: 'NodeNext', moduleResolution: 'NodeNext', noEmit: true, skipLibCheck: true, types: ['node'] };
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['example.ts'] }));
    const r = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { encoding: 'utf8' });
    assert.equal(r.status, 0, `tsc rejects the README example:\n${r.stdout}${r.stderr}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
