// The shipped declarations type-check for a user: a small program importing dist/src/index.d.ts compiles with
// skipLibCheck off (so every .d.ts it reaches is checked), and the declarations still refuse what they should.
// stripInternal removes `@internal` members from them; this catches a public type left referring to a stripped
// one, and an @internal constructor whose removal would let `new Tensor()` compile.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';

const index = join(process.cwd(), 'dist', 'src', 'index.js');

const program = `
import { Tensor, tensor, tidy, createModel, fit, unlearn, nn, distributed, type Module, type UnlearnRunOptions } from ${JSON.stringify(index)};
const t = tensor([1, 2, 3]);
const s: number = tidy(() => t.add(t).sum().item());
const m: Module = createModel({ name: 'mlp', inChannels: 1, numClasses: 3, imageSize: 4 });
const o: UnlearnRunOptions<'ft'> = { method: 'ft', options: { lr: 0.1 } };
void s; void m; void o; void fit; void unlearn; void nn.Linear;
// @ts-expect-error a Tensor wraps a native handle: no argument-less constructor
new Tensor();
// @ts-expect-error a process group is made by initProcessGroup, with options
new distributed.ProcessGroup();
// @ts-expect-error internal members are not in the declarations
void m._parameters;
// @ts-expect-error method options are typed per method
const bad: UnlearnRunOptions<'ft'> = { method: 'ft', options: { lrr: 1 } };
void bad;
`;

test('a user program compiles against the shipped declarations (skipLibCheck off), and they refuse what they should', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lethe-consumer-'));
  const file = join(dir, 'main.ts');
  writeFileSync(file, program);
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }');
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noEmit: true,
    skipLibCheck: false,
    types: ['node'],
    typeRoots: [join(process.cwd(), 'node_modules', '@types')],
  };
  const p = ts.createProgram([file], options);
  const diagnostics = ts.getPreEmitDiagnostics(p).map((d) => {
    const where = d.file ? `${d.file.fileName}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}` : '';
    return `${where} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
  assert.deepEqual(diagnostics, [], diagnostics.join('\n'));
  // the program really reached the package's declarations (an unresolved import would be a diagnostic, but be sure)
  assert.ok(p.getSourceFiles().some((f) => f.fileName.endsWith(join('dist', 'src', 'index.d.ts'))), 'index.d.ts was not loaded');
});
