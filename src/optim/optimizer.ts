// The optimizer base class: parameter groups, per-parameter state, update masks, zeroGrad, state dicts.
//
// Subclasses only say how one parameter moves (`update`). They run torch.optim's single-tensor algorithm:
// the same in-place kernels in the same order with the same scalars, so a float64 run equals PyTorch's bit
// for bit, and no full-size temporaries are allocated beyond what PyTorch allocates.
//
// Masks. A group may carry `masks`, aligned with its params (null = no mask for that param), each a tensor of
// the parameter's shape whose non-zero entries may train. Two modes:
//  - 'update' (default, exact freeze): the step runs as usual, then entries where mask = 0 get their old value
//    back exactly (a `where` against a copy taken before the step, not a multiply, so they stay bit-identical)
//    and every state tensor (momentum buffer, Adam moments) is set to 0 there. So a frozen entry sees no
//    weight-decay shrink and no momentum drift, and its state never accumulates gradient. This is SalUn's
//    fixed behaviour (reference PR #33: restore θ_o at mask = 0 and zero the momentum there after every
//    step). Because the optimizers are elementwise, unmasked entries follow exactly the trajectory they would
//    follow without a mask. If a mask is later relaxed, the unfrozen entries start from zero state; Adam's
//    step count is per tensor, so their bias correction is the tensor's, not a fresh one. Cost: one copy of
//    each masked parameter per step.
//  - 'grad' (the reference SalUn code before the fix, used for the paper's numbers): only the gradient is
//    multiplied by the mask before the normal step. Weight decay and momentum still move "frozen" entries:
//    with SGD(momentum, weightDecay) they shrink by (1 - lr·wd) per step plus momentum. The leak is
//    reproduced on purpose; use it to match published numbers.
import { Tensor } from '../torch/tensor.js';
import { isFloating } from '../torch/dtype.js';
import { tidy, keep } from '../torch/scope.js';
import { noGrad, enableGrad } from '../torch/autograd.js';
import { scalar } from '../torch/creation.js';

import type { MaskMode } from './mask-mode.js';
export { MASK_MODES, checkMaskMode, type MaskMode } from './mask-mode.js';

/** Hyperparameters every optimizer has; each optimizer adds its own. */
export interface BaseOptions {
  /** Learning rate, a finite number >= 0. */
  lr: number;
  /** Weight decay, a finite number >= 0 (L2 added to the gradient, except AdamW's decoupled decay). */
  weightDecay: number;
  /** How a group's masks act; see MaskMode. Default 'update'. */
  maskMode: MaskMode;
}

/** A value an option may take (what goes into a state dict's group record). */
export type OptionValue = number | boolean | string | readonly number[];

/** What the constructor accepts per group: the params, optional masks, and overrides of the defaults. */
export type ParamGroupInit<O extends BaseOptions> = Partial<O> & {
  params: readonly Tensor[];
  masks?: readonly (Tensor | null)[] | null;
};

/** A parameter group as the optimizer holds it; options (lr, ...) may be changed between steps. */
export type ParamGroup<O extends BaseOptions> = O & {
  readonly params: readonly Tensor[];
  /** Set through Optimizer.setMasks so that they are validated. */
  readonly masks: readonly (Tensor | null)[] | null;
  /** The lr before any schedule touched it (PyTorch's 'initial_lr'); set by the first scheduler. */
  initialLr?: number;
};

/** The state of one parameter: named tensors plus a step counter (null for optimizers that do not count). */
export interface ParamState {
  /** The state tensors by name ("momentum_buffer", "exp_avg", …), owned by the optimizer. */
  readonly tensors: Map<string, Tensor>;
  /** Steps taken for this parameter, or null for an optimizer that does not count (SGD). */
  step: number | null;
}

/**
 * Plain-data optimizer state, as PyTorch's state_dict: one record per group (options plus `params`, the
 * global indices of its parameters in group order) and the state tensors keyed "<paramIndex>.<name>",
 * e.g. "0.momentum_buffer", "3.exp_avg", "3.step" (a float32 scalar, as PyTorch 1.13 stores it).
 */
export interface OptimizerStateDict {
  /** One record per group: its options and `params`, the global indices of its parameters. */
  groups: Record<string, OptionValue>[];
  /** State tensors keyed "<paramIndex>.<name>". */
  state: Map<string, Tensor>;
}

/** What an optimizer is built from: the tensors (any iterable, e.g. a generator), or parameter groups. */
export type ParamsInput<O extends BaseOptions> = Iterable<Tensor> | readonly ParamGroupInit<O>[];

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * Base class of SGD, Adam and AdamW: parameter groups with their own options (lr and the rest may be changed between
 * steps), optional update masks (see MaskMode), state dicts in PyTorch's layout. It owns its state tensors: dispose()
 * frees them. Throws on an empty parameter list or an invalid option.
 */
export abstract class Optimizer<O extends BaseOptions> {
  /** The options every group starts from (frozen); a group's own options override them. */
  readonly defaults: Readonly<O>;
  private readonly groups: ParamGroup<O>[] = [];
  private readonly states = new Map<Tensor, ParamState>();
  private disposed = false;

  /**
   * @param name used in error messages ('SGD', 'Adam', ...)
   * @param stateKeys the state tensors this optimizer keeps per parameter (for loadStateDict validation)
   */
  protected constructor(
    /** The optimizer's class name ('SGD', 'Adam', …), used in error messages. */
    readonly name: string,
    params: ParamsInput<O>,
    defaults: O,
    private readonly stateKeys: readonly string[],
  ) {
    this.validate(defaults, `${name} options`);
    this.defaults = Object.freeze({ ...defaults });
    const list: readonly unknown[] = params === null || typeof params !== 'object' ? [] : Array.isArray(params) ? params : Array.from(params as Iterable<Tensor>);
    if (list.length === 0) {
      throw new Error(`${name}: got an empty parameter list; pass the tensors to optimize (e.g. model.parameters())`);
    }
    if (list[0] instanceof Tensor) {
      this.addParamGroup({ params: list as Tensor[] } as unknown as ParamGroupInit<O>);
    } else {
      for (const g of list as ParamGroupInit<O>[]) this.addParamGroup(g);
    }
  }

  /**
   * Moves one parameter in place and updates its state in place; called under noGrad inside a tidy, so
   * temporaries are freed. New state tensors go through `initState`, which keeps them alive.
   */
  protected abstract update(param: Tensor, grad: Tensor, state: ParamState, group: ParamGroup<O>): void;

  /** Stores a new state tensor for a parameter (taking it out of the step's tidy) and returns it. */
  protected initState(state: ParamState, key: string, value: Tensor): Tensor {
    const stored = keep(value);
    const old = state.tensors.get(key);
    if (old !== undefined && old !== stored) old.dispose();
    state.tensors.set(key, stored);
    return stored;
  }

  /** Throws a clear error if an option set is invalid. */
  protected abstract validate(options: O, where: string): void;

  /** The groups; set `paramGroups[i].lr` (or other options) between steps, as in PyTorch. */
  get paramGroups(): readonly ParamGroup<O>[] {
    return this.groups;
  }

  /** Adds a group; its options override the optimizer's defaults. */
  addParamGroup(init: ParamGroupInit<O>): void {
    this.checkAlive('addParamGroup');
    const where = `${this.name}: parameter group ${this.groups.length}`;
    if (typeof init !== 'object' || init === null || !Array.isArray(init.params)) {
      throw new TypeError(`${where}: expected { params: Tensor[], ...options }`);
    }
    const options: Record<string, unknown> = { ...this.defaults };
    for (const [key, value] of Object.entries(init)) {
      if (key === 'params' || key === 'masks' || value === undefined) continue;
      if (key === 'initialLr') {
        options[key] = value;
        continue;
      }
      if (!(key in this.defaults)) {
        throw new Error(`${where}: unknown option '${key}'; ${this.name} options are ${Object.keys(this.defaults).join(', ')}`);
      }
      options[key] = Array.isArray(value) ? [...(value as unknown[])] : value;
    }
    this.validate(options as unknown as O, where);
    if (init.params.length === 0) throw new Error(`${where}: the group has no parameters`);
    const taken = new Set(this.groups.flatMap((g) => g.params));
    const seen = new Set<Tensor>();
    init.params.forEach((p, i) => {
      if (!(p instanceof Tensor)) throw new TypeError(`${where}: params[${i}] is not a Tensor`);
      if (p.isDisposed) throw new Error(`${where}: params[${i}] was disposed`);
      if (!isFloating(p.dtype)) throw new TypeError(`${where}: params[${i}] has dtype ${p.dtype}; only floating-point tensors can be optimized`);
      if (!p.isLeaf) throw new Error(`${where}: params[${i}] is not a leaf tensor (it was computed from others); optimize the leaf it came from, or detach() it`);
      if (taken.has(p) || seen.has(p)) throw new Error(`${where}: params[${i}] appears more than once across parameter groups`);
      seen.add(p);
    });
    const group = { ...options, params: [...init.params], masks: null } as unknown as ParamGroup<O>;
    this.groups.push(group);
    if (init.masks != null) this.setMasks(this.groups.length - 1, init.masks);
  }

  /**
   * Sets (or with null removes) the masks of a group: one entry per param, null for "no mask", else a tensor
   * of the param's shape (float 0/1 or bool; non-zero = may train). The optimizer does not own the masks:
   * keep them alive while it uses them.
   */
  setMasks(groupIndex: number, masks: readonly (Tensor | null)[] | null): void {
    const group = this.groups[groupIndex];
    if (group === undefined) throw new RangeError(`${this.name}.setMasks: no parameter group ${groupIndex} (there are ${this.groups.length})`);
    const where = `${this.name}: masks of parameter group ${groupIndex}`;
    if (masks !== null) {
      if (!Array.isArray(masks) || masks.length !== group.params.length) {
        throw new Error(`${where}: expected an array of ${group.params.length} entries (one per param, null for none), got ${Array.isArray(masks) ? masks.length : typeof masks}`);
      }
      masks.forEach((m, i) => {
        if (m === null) return;
        if (!(m instanceof Tensor)) throw new TypeError(`${where}: entry ${i} is neither a Tensor nor null`);
        if (m.isDisposed) throw new Error(`${where}: entry ${i} was disposed`);
        const ps = group.params[i]!.shape;
        if (!sameShape(m.shape, ps)) throw new Error(`${where}: entry ${i} has shape [${m.shape.join(', ')}] but its param has shape [${ps.join(', ')}]`);
        if (!isFloating(m.dtype) && m.dtype !== 'bool') throw new TypeError(`${where}: entry ${i} has dtype ${m.dtype}; use a float 0/1 or a bool mask`);
      });
    }
    (group as { masks: readonly (Tensor | null)[] | null }).masks = masks === null ? null : [...masks];
  }

  /** Sets every parameter's gradient to null (PyTorch's zero_grad(set_to_none=True)). */
  zeroGrad(): void {
    for (const g of this.groups) for (const p of g.params) p.grad = null;
  }

  /**
   * One optimization step over every parameter that has a gradient (parameters whose grad is null are
   * skipped, as in PyTorch). An optional closure recomputes the loss with grad enabled and its value is
   * returned.
   */
  step(closure?: () => number): number | undefined {
    this.checkAlive('step');
    const loss = closure === undefined ? undefined : enableGrad(closure);
    this.groups.forEach((g, gi) => this.validate(g, `${this.name}: parameter group ${gi}`));
    noGrad(() => {
      for (const group of this.groups) {
        group.params.forEach((param, i) => {
          // One tidy per parameter keeps the peak at one parameter's temporaries.
          tidy(() => this.stepParam(param, group, group.masks?.[i] ?? null));
        });
      }
    });
    return loss;
  }

  private stepParam(param: Tensor, group: ParamGroup<O>, mask: Tensor | null): void {
    if (param.isDisposed) throw new Error(`${this.name}.step: a parameter was disposed while the optimizer still holds it`);
    const rawGrad = param.grad;
    if (rawGrad === null) return;
    if (mask !== null && mask.isDisposed) throw new Error(`${this.name}.step: a mask was disposed while the optimizer still uses it`);
    // 'grad' mode is the reference's in-place `grad *= mask`: the gradient keeps its dtype.
    const grad = mask !== null && group.maskMode === 'grad' ? rawGrad.mul(mask).to(rawGrad.dtype) : rawGrad;
    const freeze = mask !== null && group.maskMode === 'update';
    const before = freeze ? param.clone() : null;
    const state = this.stateOf(param);
    this.update(param, grad, state, group);
    if (freeze) {
      const trainable = mask.ne(0);
      param.copy_(param.where(trainable, before!));
      const frozen = trainable.logicalNot();
      for (const t of state.tensors.values()) t.maskedFill_(frozen, 0);
    }
  }

  private stateOf(param: Tensor): ParamState {
    let s = this.states.get(param);
    if (s === undefined) {
      s = { tensors: new Map(), step: null };
      this.states.set(param, s);
    }
    return s;
  }

  /** The option keys of a group, in a stable order (the defaults' keys, then initialLr if set). */
  private groupOptions(group: ParamGroup<O>): Record<string, OptionValue> {
    const out: Record<string, OptionValue> = {};
    const g = group as unknown as Record<string, OptionValue>;
    for (const key of Object.keys(this.defaults)) {
      const v = g[key]!;
      out[key] = Array.isArray(v) ? [...(v as number[])] : v;
    }
    if (group.initialLr !== undefined) out['initialLr'] = group.initialLr;
    return out;
  }

  /**
   * The optimizer's state as plain data (see OptimizerStateDict). The tensors are fresh copies that the
   * caller owns: dispose them (or call this inside tidy) when done. Masks are not included.
   */
  stateDict(): OptimizerStateDict {
    this.checkAlive('stateDict');
    const groups: Record<string, OptionValue>[] = [];
    const state = new Map<string, Tensor>();
    let index = 0;
    noGrad(() => {
      for (const group of this.groups) {
        const ids: number[] = [];
        for (const p of group.params) {
          const s = this.states.get(p);
          if (s !== undefined) {
            if (s.step !== null) state.set(`${index}.step`, scalar(s.step, { dtype: 'float32' }));
            for (const [key, t] of s.tensors) state.set(`${index}.${key}`, t.clone());
          }
          ids.push(index++);
        }
        groups.push({ ...this.groupOptions(group), params: ids });
      }
    });
    return { groups, state };
  }

  /**
   * Restores options and state saved by stateDict(). Groups are matched by position and must hold the same
   * number of parameters; state tensors must have their parameter's shape. The tensors are copied (the
   * caller keeps ownership of `dict`). Nothing changes if anything is invalid.
   */
  loadStateDict(dict: OptimizerStateDict): void {
    this.checkAlive('loadStateDict');
    const where = `${this.name}.loadStateDict`;
    if (typeof dict !== 'object' || dict === null || !Array.isArray(dict.groups) || !(dict.state instanceof Map)) {
      throw new TypeError(`${where}: expected { groups: [...], state: Map<string, Tensor> }`);
    }
    if (dict.groups.length !== this.groups.length) {
      throw new Error(`${where}: the saved state has ${dict.groups.length} parameter groups, this optimizer has ${this.groups.length}`);
    }
    // Resolve options and the saved-index → parameter map first; commit only when everything checks out.
    const byIndex = new Map<number, Tensor>();
    const newOptions = dict.groups.map((saved, gi) => {
      const group = this.groups[gi]!;
      const ids = saved['params'];
      if (!Array.isArray(ids) || ids.length !== group.params.length || !ids.every((x) => Number.isInteger(x))) {
        throw new Error(`${where}: saved group ${gi} has ${Array.isArray(ids) ? ids.length : 'no'} params, this optimizer's group ${gi} has ${group.params.length}`);
      }
      ids.forEach((id, k) => byIndex.set(id as number, group.params[k]!));
      const opts: Record<string, unknown> = this.groupOptions(group);
      for (const [key, value] of Object.entries(saved)) {
        if (key === 'params') continue;
        if (key === 'initialLr') {
          if (typeof value !== 'number') throw new TypeError(`${where}: group ${gi} initialLr must be a number`);
        } else if (!(key in this.defaults)) {
          throw new Error(`${where}: group ${gi} has unknown option '${key}'; ${this.name} options are ${Object.keys(this.defaults).join(', ')}`);
        } else {
          const expected = (this.defaults as Record<string, unknown>)[key];
          const ok = Array.isArray(expected) ? Array.isArray(value) && value.length === expected.length : typeof value === typeof expected;
          if (!ok) throw new TypeError(`${where}: group ${gi} option '${key}' has the wrong type (${JSON.stringify(value)})`);
        }
        opts[key] = Array.isArray(value) ? [...value] : value;
      }
      this.validate(opts as unknown as O, `${where}: group ${gi}`);
      return opts;
    });
    const newStates = new Map<Tensor, ParamState>();
    const created: Tensor[] = [];
    try {
      noGrad(() => {
        for (const [key, t] of dict.state) {
          const m = /^(\d+)\.(.+)$/.exec(key);
          const param = m === null ? undefined : byIndex.get(Number(m[1]));
          if (m === null || param === undefined) throw new Error(`${where}: state key '${key}' does not name a parameter index of this optimizer`);
          const name = m[2]!;
          if (!(t instanceof Tensor) || t.isDisposed) throw new TypeError(`${where}: state '${key}' is not a live Tensor`);
          let s = newStates.get(param);
          if (s === undefined) {
            s = { tensors: new Map(), step: null };
            newStates.set(param, s);
          }
          if (name === 'step') {
            const v = t.item();
            if (!Number.isInteger(v) || v < 0) throw new Error(`${where}: state '${key}' must be a non-negative integer, got ${v}`);
            s.step = v;
            continue;
          }
          if (!this.stateKeys.includes(name)) {
            throw new Error(`${where}: unknown state '${key}'; ${this.name} keeps ${[...this.stateKeys, 'step'].join(', ')}`);
          }
          if (!sameShape(t.shape, param.shape)) {
            throw new Error(`${where}: state '${key}' has shape [${t.shape.join(', ')}] but its param has shape [${param.shape.join(', ')}]`);
          }
          const copy = keep(tidy(() => t.to({ dtype: param.dtype, device: param.device, copy: true })));
          created.push(copy);
          s.tensors.set(name, copy);
        }
      });
    } catch (e) {
      for (const t of created) t.dispose();
      throw e;
    }
    this.groups.forEach((g, gi) => Object.assign(g, newOptions[gi]));
    this.freeState();
    for (const [p, s] of newStates) this.states.set(p, s);
  }

  /** The state tensors of one parameter (read-only view, e.g. for tests and diagnostics); the optimizer owns them. */
  stateOfParam(param: Tensor): ReadonlyMap<string, Tensor> | undefined {
    return this.states.get(param)?.tensors;
  }

  private freeState(): void {
    for (const s of this.states.values()) for (const t of s.tensors.values()) t.dispose();
    this.states.clear();
  }

  /** Frees every state tensor. The optimizer cannot be used afterwards. Idempotent. */
  dispose(): void {
    this.freeState();
    this.disposed = true;
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  private checkAlive(what: string): void {
    if (this.disposed) throw new Error(`${this.name}.${what}: the optimizer was disposed; create a new one`);
  }
}

// ---- option checks shared by the optimizers -----------------------------------------------------------

export function checkNonNegative(value: unknown, name: string, where: string): void {
  if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value)) {
    throw new RangeError(`${where}: ${name} must be a finite number >= 0, got ${String(value)}`);
  }
}

export function checkBoolean(value: unknown, name: string, where: string): void {
  if (typeof value !== 'boolean') throw new TypeError(`${where}: ${name} must be true or false, got ${String(value)}`);
}
