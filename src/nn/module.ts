// The Module base class: torch.nn.Module's vocabulary (parameters, buffers, children, stateDict, train/eval)
// with explicit memory ownership.
//
// Names are PyTorch state_dict keys. A module's parameters and buffers live in ordered registries, and
// traversal is pre-order (a module's own entries, then each child's, recursively), which is exactly the order
// of PyTorch's named_parameters() and state_dict(). Layers read their tensors through getters over these
// registries, so to(device) and loadStateDict can swap or overwrite them without stale references inside the
// module (references held *outside*, e.g. by an optimizer, must be rebuilt after to(), as in PyTorch).
//
// Ownership: a module owns its parameters and buffers. They are created with keep() so no tidy frees them,
// and dispose() frees them all.
import { type DType, isFloating } from '../torch/dtype.js';
import type { Device } from '../torch/device.js';
import { noGrad } from '../torch/autograd.js';
import { keep, tidy } from '../torch/scope.js';
import { Tensor } from '../torch/tensor.js';

/** A state dict: PyTorch-named tensors, as a Map or a plain record (e.g. read from safetensors). */
export type StateDict = Map<string, Tensor>;
/** What loadStateDict accepts: a state dict as a Map or as a plain record of tensors (e.g. read from safetensors). */
export type StateDictLike = ReadonlyMap<string, Tensor> | Readonly<Record<string, Tensor>>;

/** Options of Module.loadStateDict. */
export interface LoadStateDictOptions {
  /** Require the key sets to match exactly (default true, as in PyTorch). */
  strict?: boolean;
}
/** What Module.loadStateDict reports (a strict load, the default, throws instead of returning non-empty lists). */
export interface LoadStateDictResult {
  /** The module's keys the state dict did not have (left unchanged). */
  missingKeys: string[];
  /** The state dict's keys the module does not have (ignored). */
  unexpectedKeys: string[];
}

/** Options of Module.to: a target device and/or floating-point dtype. */
export interface ModuleToOptions {
  /** Every parameter and buffer moves there. */
  device?: Device;
  /** Floating-point parameters and buffers are cast; integer buffers (num_batches_tracked) keep their dtype. */
  dtype?: DType;
}

const NAME_RE = /^[^.]+$/;

/**
 * Base class of layers and models, after torch.nn.Module: parameters, buffers and children in ordered registries named
 * by PyTorch state_dict keys. A module owns its tensors (no tidy frees them); dispose() frees them and those of its
 * descendants. Subclasses register them in the constructor and implement forward.
 */
export abstract class Module implements Disposable {
  /** Training mode (Dropout drops, BatchNorm uses batch statistics and updates its running ones). */
  training = true;
  /** @internal own parameters, in registration order */
  _parameters = new Map<string, Tensor>();
  /** @internal own buffers, in registration order */
  _buffers = new Map<string, Tensor>();
  /** @internal names of buffers left out of stateDict */
  _nonPersistent = new Set<string>();
  /** @internal children, in registration order */
  _modules = new Map<string, Module>();
  /** @internal */
  _disposed = false;

  /** The module's computation, in its current mode (training unless eval()); returns a new tensor the caller owns. */
  abstract forward(x: Tensor): Tensor;

  /** The class name, as PyTorch prints it. */
  get typeName(): string {
    return this.constructor.name;
  }

  // ---- registration -------------------------------------------------------------------------------------

  private checkName(name: string, kind: string): void {
    if (!NAME_RE.test(name)) throw new Error(`${this.typeName}: invalid ${kind} name '${name}' (names must be non-empty and contain no '.')`);
    if (this._disposed) throw new Error(`${this.typeName}: cannot register ${kind} '${name}' on a disposed module`);
    const taken = this._parameters.has(name) ? 'parameter' : this._buffers.has(name) ? 'buffer' : this._modules.has(name) ? 'module' : null;
    if (taken !== null) throw new Error(`${this.typeName}: '${name}' is already registered as a ${taken}`);
  }

  /**
   * Registers a parameter: the module takes ownership (the tensor is kept out of every tidy) and marks it
   * as a leaf that requires grad. Pass a fresh tensor (e.g. from empty() + an init function).
   */
  protected registerParameter(name: string, t: Tensor): Tensor {
    this.checkName(name, 'parameter');
    if (!t.isFloatingPoint()) throw new TypeError(`${this.typeName}: parameter '${name}' must be floating point, got ${t.dtype}`);
    if (!t.isLeaf) throw new Error(`${this.typeName}: parameter '${name}' must be a leaf tensor (create it under noGrad or detach() it)`);
    keep(t);
    t.requiresGrad = true;
    this._parameters.set(name, t);
    return t;
  }

  /** Registers a buffer (state that is not trained, e.g. running statistics). Non-persistent buffers stay out of stateDict. */
  protected registerBuffer(name: string, t: Tensor, opts: { persistent?: boolean } = {}): Tensor {
    this.checkName(name, 'buffer');
    keep(t);
    this._buffers.set(name, t);
    if (opts.persistent === false) this._nonPersistent.add(name);
    return t;
  }

  /** Registers a child module under `name` and returns it, for `this.conv1 = this.registerModule('conv1', new Conv2d(...))`. */
  protected registerModule<M extends Module>(name: string, m: M): M {
    this.checkName(name, 'module');
    if (!(m instanceof Module)) throw new TypeError(`${this.typeName}: registerModule('${name}') expects a Module`);
    this._modules.set(name, m);
    return m;
  }

  /** An own parameter by name (throws a clear error if absent). */
  protected param(name: string): Tensor {
    const t = this._parameters.get(name);
    if (t === undefined) throw new Error(`${this.typeName} has no parameter '${name}'`);
    return t;
  }
  /** An own parameter that a layer may not have (e.g. a bias when bias=false), or null. */
  protected optionalParam(name: string): Tensor | null {
    return this._parameters.get(name) ?? null;
  }
  /** An own buffer that a layer may not have (e.g. running statistics when they are not tracked), or null. */
  protected optionalBuffer(name: string): Tensor | null {
    return this._buffers.get(name) ?? null;
  }
  /** An own buffer by name (throws a clear error if absent). */
  protected buffer(name: string): Tensor {
    const t = this._buffers.get(name);
    if (t === undefined) throw new Error(`${this.typeName} has no buffer '${name}'`);
    return t;
  }

  // ---- traversal ----------------------------------------------------------------------------------------

  /** Direct children with their names. */
  *namedChildren(): Generator<[string, Module]> {
    yield* this._modules.entries();
  }
  /** Direct children, in registration order. */
  *children(): Generator<Module> {
    yield* this._modules.values();
  }
  /** This module and every descendant, pre-order, each module once (PyTorch's named_modules). */
  *namedModules(prefix = '', memo = new Set<Module>()): Generator<[string, Module]> {
    if (memo.has(this)) return;
    memo.add(this);
    yield [prefix, this];
    for (const [name, child] of this._modules) yield* child.namedModules(prefix === '' ? name : `${prefix}.${name}`, memo);
  }
  /** This module and every descendant, pre-order, each once. */
  *modules(): Generator<Module> {
    for (const [, m] of this.namedModules()) yield m;
  }
  /** Parameters with their state_dict names, in PyTorch's order (each tensor once). */
  *namedParameters(opts: { recurse?: boolean } = {}): Generator<[string, Tensor]> {
    const seen = new Set<Tensor>();
    const mods: Iterable<[string, Module]> = opts.recurse === false ? [['', this]] : this.namedModules();
    for (const [prefix, m] of mods) {
      for (const [name, t] of m._parameters) {
        if (seen.has(t)) continue;
        seen.add(t);
        yield [prefix === '' ? name : `${prefix}.${name}`, t];
      }
    }
  }
  /**
   * Parameters in PyTorch's order, each tensor once (only this module's with { recurse: false }). The module owns them:
   * do not dispose them.
   */
  *parameters(opts: { recurse?: boolean } = {}): Generator<Tensor> {
    for (const [, t] of this.namedParameters(opts)) yield t;
  }
  /** Buffers (persistent or not) with their names, in PyTorch's order. */
  *namedBuffers(opts: { recurse?: boolean } = {}): Generator<[string, Tensor]> {
    const mods: Iterable<[string, Module]> = opts.recurse === false ? [['', this]] : this.namedModules();
    for (const [prefix, m] of mods) {
      for (const [name, t] of m._buffers) yield [prefix === '' ? name : `${prefix}.${name}`, t];
    }
  }
  /**
   * Buffers in PyTorch's order, persistent or not (only this module's with { recurse: false }). The module owns them:
   * do not dispose them.
   */
  *buffers(opts: { recurse?: boolean } = {}): Generator<Tensor> {
    for (const [, t] of this.namedBuffers(opts)) yield t;
  }

  /** The submodule at a dotted path ('' is this module), e.g. 'layer1.0.conv1'. */
  getSubmodule(path: string): Module {
    if (path === '') return this;
    let m: Module = this;
    for (const part of path.split('.')) {
      const next = m._modules.get(part);
      if (next === undefined) {
        throw new Error(`${this.typeName}: no submodule '${path}' ('${part}' is not a child of ${m.typeName}; children: ${[...m._modules.keys()].join(', ') || 'none'})`);
      }
      m = next;
    }
    return m;
  }

  /**
   * Replaces the submodule at a dotted path and returns the old one, which the caller now owns (dispose it
   * unless you reuse it). A field of the parent that referenced the old module is updated too, so forward()
   * uses the new one.
   */
  setSubmodule(path: string, m: Module): Module {
    const dot = path.lastIndexOf('.');
    const parent = dot < 0 ? this : this.getSubmodule(path.slice(0, dot));
    const name = dot < 0 ? path : path.slice(dot + 1);
    const old = parent._modules.get(name);
    if (old === undefined) throw new Error(`${this.typeName}: no submodule '${path}' to replace`);
    parent._modules.set(name, m);
    const fields = parent as unknown as Record<string, unknown>;
    if (fields[name] === old) fields[name] = m;
    return old;
  }

  /** Calls fn on every descendant, then on this module (PyTorch's apply, e.g. for custom initialisation). */
  apply(fn: (m: Module) => void): this {
    for (const child of this._modules.values()) child.apply(fn);
    fn(this);
    return this;
  }

  // ---- modes and gradients ------------------------------------------------------------------------------

  /** Sets training mode (default true) on this module and every descendant. */
  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }
  /** train(false): evaluation mode (Dropout off, BatchNorm on its running statistics). */
  eval(): this {
    return this.train(false);
  }

  /** Sets requiresGrad on every parameter (false = frozen: no gradient is computed for it). */
  requiresGrad_(requiresGrad = true): this {
    for (const p of this.parameters()) p.requiresGrad = requiresGrad;
    return this;
  }
  /** requiresGrad_(false): no gradient is computed for any parameter. */
  freeze(): this {
    return this.requiresGrad_(false);
  }
  /** requiresGrad_(true): every parameter trains again. */
  unfreeze(): this {
    return this.requiresGrad_(true);
  }

  /** Sets every parameter's .grad to null (PyTorch's zero_grad(set_to_none=True)). */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  /** Number of parameter elements (only those with requiresGrad when trainableOnly). */
  numParameters(opts: { trainableOnly?: boolean } = {}): number {
    let n = 0;
    for (const p of this.parameters()) if (!opts.trainableOnly || p.requiresGrad) n += p.numel();
    return n;
  }

  // ---- state dict ---------------------------------------------------------------------------------------

  /** @internal the live tensors of the state dict, in PyTorch's order: per module, params then persistent buffers. */
  _stateEntries(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const walk = (m: Module, prefix: string): void => {
      for (const [name, t] of m._parameters) out.push([prefix + name, t]);
      for (const [name, t] of m._buffers) if (!m._nonPersistent.has(name)) out.push([prefix + name, t]);
      for (const [name, child] of m._modules) walk(child, `${prefix}${name}.`);
    };
    walk(this, '');
    return out;
  }

  /**
   * Parameters and persistent buffers by state_dict key, in PyTorch's order. The values are fresh detached
   * handles that the caller owns and disposes (call it inside tidy, or use disposeStateDict). As in PyTorch
   * they share storage with the module, so they see later training updates; pass { clone: true } for a
   * snapshot with its own storage.
   */
  stateDict(opts: { clone?: boolean } = {}): StateDict {
    const sd: StateDict = new Map();
    noGrad(() => {
      // Under noGrad, clone() gives a tensor with no autograd history and its own storage.
      for (const [k, t] of this._stateEntries()) sd.set(k, opts.clone ? t.clone() : t.detach());
    });
    return sd;
  }

  /**
   * Copies values into this module's parameters and buffers in place (under noGrad), as PyTorch's
   * load_state_dict. Everything is checked before anything is copied, so a failed load leaves the module
   * unchanged. Shape mismatches are always an error; missing and unexpected keys are an error when strict
   * (the default) and are returned otherwise.
   */
  loadStateDict(sd: StateDictLike, opts: LoadStateDictOptions = {}): LoadStateDictResult {
    const strict = opts.strict ?? true;
    const given: [string, Tensor][] = sd instanceof Map ? [...sd.entries()] : Object.entries(sd as Record<string, Tensor>);
    const givenMap = new Map(given);
    const own = this._stateEntries();
    const ownKeys = new Set(own.map(([k]) => k));
    const missingKeys = own.map(([k]) => k).filter((k) => !givenMap.has(k));
    const unexpectedKeys = given.map(([k]) => k).filter((k) => !ownKeys.has(k));
    const problems: string[] = [];
    for (const [k, target] of own) {
      const src = givenMap.get(k);
      if (src === undefined) continue;
      if (!(src instanceof Tensor)) {
        problems.push(`${k}: expected a Tensor, got ${typeof src}`);
      } else if (src.isDisposed) {
        problems.push(`${k}: the tensor was disposed`);
      } else if (!sameShape(src.shape, target.shape)) {
        problems.push(`${k}: checkpoint shape [${src.shape.join(', ')}], model shape [${target.shape.join(', ')}]`);
      }
    }
    const parts: string[] = [];
    // a wholly different model lists hundreds of keys: the first few say enough
    const some = (items: string[], sep: string): string => (items.length <= 8 ? items.join(sep) : `${items.slice(0, 8).join(sep)}${sep}… and ${items.length - 8} more`);
    if (problems.length > 0) parts.push(`${problems.length} mismatched ${plural(problems.length, 'entry', 'entries')} (${some(problems, '; ')})`);
    if (strict && missingKeys.length > 0) parts.push(`${missingKeys.length} missing ${plural(missingKeys.length, 'key', 'keys')} (${some(missingKeys, ', ')})`);
    if (strict && unexpectedKeys.length > 0) parts.push(`${unexpectedKeys.length} unexpected ${plural(unexpectedKeys.length, 'key', 'keys')} (${some(unexpectedKeys, ', ')})`);
    if (parts.length > 0) {
      const hint = problems.length === 0 ? ' Pass { strict: false } to load the matching keys only.' : ' Nothing was loaded.';
      throw new Error(`${this.typeName}.loadStateDict: ${parts.join('; ')}.${hint}`);
    }
    noGrad(() => {
      for (const [k, target] of own) {
        const src = givenMap.get(k);
        if (src !== undefined) target.copy_(src);
      }
    });
    return { missingKeys, unexpectedKeys };
  }

  // ---- devices, copies, lifetime ------------------------------------------------------------------------

  /**
   * Moves (and/or casts) every parameter and buffer, replacing them in this module (PyTorch's module.to).
   * Parameters keep their requiresGrad. Build optimizers after moving the model: they hold the old tensors.
   */
  to(target: Device | ModuleToOptions): this {
    const opts: ModuleToOptions = typeof target === 'string' ? { device: target } : target;
    if (opts.dtype !== undefined && !isFloating(opts.dtype)) throw new TypeError(`Module.to: dtype must be floating point, got ${opts.dtype}`);
    const convert = (t: Tensor): Tensor | null => {
      const dtype = opts.dtype !== undefined && t.isFloatingPoint() && t.dtype !== opts.dtype ? opts.dtype : undefined;
      const device = opts.device !== undefined && t.device !== opts.device ? opts.device : undefined;
      if (dtype === undefined && device === undefined) return null;
      return keep(noGrad(() => t.to({ dtype, device })));
    };
    for (const m of this.modules()) {
      for (const [name, t] of m._parameters) {
        const moved = convert(t);
        if (moved === null) continue;
        moved.requiresGrad = t.requiresGrad;
        m._parameters.set(name, moved);
        t.dispose();
      }
      for (const [name, t] of m._buffers) {
        const moved = convert(t);
        if (moved === null) continue;
        m._buffers.set(name, moved);
        t.dispose();
      }
    }
    return this;
  }

  /**
   * An independent deep copy: same class, same options, same values and modes, separate storage. Parameters
   * keep their requiresGrad; gradients are not copied. Uses no random numbers, so cloning never changes
   * what a later seeded operation draws. Unlearning methods work on clones: the original is never modified.
   */
  clone(): this {
    if (this._disposed) throw new Error(`${this.typeName}.clone: the module was disposed`);
    return tidy(() => noGrad(() => deepCopy(this, new Map()) as this));
  }

  /** Whether dispose() has run; the module's tensors are then freed. */
  get isDisposed(): boolean {
    return this._disposed;
  }

  /**
   * Throws a message naming `where` when this module was disposed: the entry points (fit, unlearn, evaluation,
   * saving) call it first, so a disposed model fails with what happened rather than with a tensor's generic error.
   */
  checkLive(where: string): this {
    if (this._disposed) throw new Error(`${where}: the model was disposed; load or build it again (a model passed to a function stays the caller's, so dispose it only when done)`);
    return this;
  }

  /** Frees every parameter and buffer of this module and its descendants. Idempotent. */
  dispose(): void {
    if (this._disposed) return;
    this._disposed = true;
    for (const t of this._parameters.values()) t.dispose();
    for (const t of this._buffers.values()) t.dispose();
    for (const child of this._modules.values()) child.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  // ---- printing -----------------------------------------------------------------------------------------

  /** The options shown between the parentheses when printing (PyTorch's extra_repr). */
  extraRepr(): string {
    return '';
  }

  /** PyTorch's printout: the type name and extraRepr(), then each child indented under its name. */
  toString(): string {
    const children = [...this._modules];
    if (children.length === 0) return `${this.typeName}(${this.extraRepr()})`;
    const lines = [`${this.typeName}(${this.extraRepr()}`];
    for (const [name, child] of children) lines.push(`  (${name}): ${child.toString().split('\n').join('\n  ')}`);
    lines.push(')');
    return lines.join('\n');
  }
}

/** PyTorch-style copy of a module: `cloneModule(m)` is `m.clone()`. */
export function cloneModule<M extends Module>(m: M): M {
  return m.clone();
}

/** Disposes every tensor of a state dict returned by stateDict(). */
export function disposeStateDict(sd: ReadonlyMap<string, Tensor> | Readonly<Record<string, Tensor>>): void {
  const values = sd instanceof Map ? [...sd.values()] : Object.values(sd as Record<string, Tensor>);
  for (const t of values) t.dispose();
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function plural(n: number, one: string, many: string): string {
  return n === 1 ? one : many;
}

/**
 * Structural deep copy of a module graph. Modules become objects of the same class (constructors are not
 * re-run, so no random initialisation happens); tensors become clones kept out of every scope; plain data,
 * arrays, Maps and Sets are copied; functions are shared. `memo` preserves aliasing (a tensor referenced from
 * two places is cloned once).
 */
function deepCopy(value: unknown, memo: Map<unknown, unknown>): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const seen = memo.get(value);
  if (seen !== undefined) return seen;
  if (value instanceof Tensor) {
    const c = keep(value.clone()); // deepCopy runs under noGrad: a leaf with its own storage
    if (value.requiresGrad) c.requiresGrad = true;
    memo.set(value, c);
    return c;
  }
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    memo.set(value, out);
    for (const v of value) out.push(deepCopy(v, memo));
    return out;
  }
  if (value instanceof Map) {
    const out = new Map();
    memo.set(value, out);
    for (const [k, v] of value) out.set(deepCopy(k, memo), deepCopy(v, memo));
    return out;
  }
  if (value instanceof Set) {
    const out = new Set();
    memo.set(value, out);
    for (const v of value) out.add(deepCopy(v, memo));
    return out;
  }
  if (ArrayBuffer.isView(value) || value instanceof Date || value instanceof RegExp) return value;
  // a frozen plain value (a model's spec) cannot change: the copy may share it, and it stays frozen
  if (Object.isFrozen(value)) return value;
  const out = Object.create(Object.getPrototypeOf(value) as object) as Record<string, unknown>;
  memo.set(value, out);
  for (const key of Object.keys(value)) out[key] = deepCopy((value as Record<string, unknown>)[key], memo);
  return out;
}
