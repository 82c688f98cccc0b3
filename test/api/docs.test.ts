// Every export of the package carries a doc comment, as a user's editor shows it. The walk starts from the shipped
// dist/src/index.d.ts, follows re-exports and the namespaces (nn, nn.init, diffusion, distributed), and checks each
// exported symbol, the public methods and accessors of its classes and interfaces, and the fields of its interfaces
// (options and results, where defaults and units are stated). Class data properties are not required: they echo a
// constructor argument or name a PyTorch submodule (conv1, bn1), which the class's comment covers. A member that
// overrides a documented one (forward) inherits its comment. `@internal` symbols and members are exempt.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

const entry = join(process.cwd(), 'dist', 'src', 'index.d.ts');

function isInternal(decl: ts.Declaration): boolean {
  return ts.getJSDocTags(decl).some((t) => t.tagName.text === 'internal');
}

/** True when `symbol` has a doc comment: text, a tag, or (for a class member) one inherited from a base class. */
function documented(symbol: ts.Symbol, checker: ts.TypeChecker): boolean {
  if (symbol.getDocumentationComment(checker).length > 0) return true;
  return (symbol.declarations ?? []).some((d) => ts.getJSDocCommentsAndTags(d).length > 0);
}

/** The members a user reaches: public, and for classes callable (methods, accessors) rather than data. */
function checkedMembers(symbol: ts.Symbol): ts.Symbol[] {
  const isClass = (symbol.flags & ts.SymbolFlags.Class) !== 0;
  if (!isClass && (symbol.flags & ts.SymbolFlags.Interface) === 0) return [];
  const out: ts.Symbol[] = [];
  const add = (table: ts.SymbolTable | undefined): void => {
    table?.forEach((m) => {
      const decls = m.declarations ?? [];
      if (decls.length === 0) return;
      if (m.flags & (ts.SymbolFlags.Constructor | ts.SymbolFlags.Signature | ts.SymbolFlags.TypeParameter)) return;
      if (isClass && (m.flags & (ts.SymbolFlags.Method | ts.SymbolFlags.Accessor)) === 0) return;
      const hidden = decls.every(
        (d) => (ts.getCombinedModifierFlags(d) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) !== 0 || ts.isPrivateIdentifier(ts.getNameOfDeclaration(d) ?? d),
      );
      if (!hidden && !decls.every(isInternal)) out.push(m);
    });
  };
  add(symbol.members);
  if (isClass) add(symbol.exports); // static members
  return out;
}

/** Every exported symbol (as `nn.Linear`) and checked member (as `nn.Linear.forward`) without a doc comment. */
function undocumented(): { missing: string[]; checked: number } {
  const program = ts.createProgram([entry], { noEmit: true, skipLibCheck: true, types: [] });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(entry);
  assert.ok(source, `${entry} is not in the program`);
  const root = checker.getSymbolAtLocation(source);
  assert.ok(root, 'index.d.ts is not a module');

  const missing: string[] = [];
  const seen = new Set<ts.Symbol>();
  let checked = 0;
  const check = (symbol: ts.Symbol, name: string): void => {
    checked++;
    if (!documented(symbol, checker)) missing.push(name);
  };
  const walk = (mod: ts.Symbol, prefix: string): void => {
    for (const exported of checker.getExportsOfModule(mod)) {
      const target = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      if (seen.has(target)) continue; // exported under two names or paths: checked once
      seen.add(target);
      const name = prefix + exported.name;
      if (target.flags & ts.SymbolFlags.ValueModule && target.declarations?.some(ts.isSourceFile)) {
        walk(target, `${name}.`); // `export * as nn`: the namespace's exports are the API
        continue;
      }
      const decls = target.declarations ?? [];
      if (decls.length > 0 && decls.every(isInternal)) continue;
      check(target, name);
      for (const member of checkedMembers(target)) check(member, `${name}.${member.name}`);
    }
  };
  walk(root, '');
  return { missing, checked };
}

test('every export reachable from dist/src/index.d.ts, and every method, accessor and interface field of them, has a doc comment', () => {
  assert.ok(existsSync(entry), `${entry} is missing (did the TypeScript build run?)`);
  const { missing, checked } = undocumented();
  // (a walk that stopped following re-exports would pass vacuously)
  assert.ok(checked > 1000, `only ${checked} symbols were walked: the walk lost the re-exports`);
  assert.deepEqual(missing, [], `${missing.length} of ${checked} exported symbols have no doc comment:\n  ${missing.join('\n  ')}`);
});
