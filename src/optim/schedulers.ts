// Learning-rate schedules with torch.optim.lr_scheduler's semantics: constructing a schedule sets epoch 0's
// lr; call scheduler.step() after optimizer.step(), once per epoch (or per iteration, if that is your unit).
//
// StepLR and MultiStepLR use PyTorch's chainable rule (multiply the group's current lr at a milestone), so
// their lrs equal PyTorch's bit for bit and other changes to the lr persist. LambdaLR is base·λ(epoch) as in
// PyTorch. CosineAnnealingLR uses the closed form; PyTorch's step() uses a recursive form that equals it up to
// ~1e-16 relative rounding, and Math.cos may differ from C's cos by an ulp, so expect agreement to ~1e-15, not
// bit identity. LinearWarmup is PyTorch's LinearLR(startFactor → 1) in closed form, optionally followed by
// another schedule as SequentialLR does.
import { libmPow } from './libm.js';

/** What a schedule needs from an optimizer: its groups' lr (and PyTorch's initial_lr). */
export interface SchedulableOptimizer {
  /** The groups whose lr a schedule sets; it records each group's initialLr the first time. */
  readonly paramGroups: readonly { lr: number; initialLr?: number }[];
}

/** Plain-data scheduler state (PyTorch's scheduler state_dict). */
export interface SchedulerStateDict {
  /** The scheduler class ('StepLR', …); loadStateDict refuses another kind's state. */
  kind: string;
  /** Calls to step() since construction (0 right after it). */
  lastEpoch: number;
  /** The lr of each group before scheduling. */
  baseLrs: number[];
  /** The lrs the last step set. */
  lastLr: number[];
  /** The schedule's own options (step size, milestones, …). */
  options: Record<string, number | number[]>;
  /** LinearWarmup only: the state of the schedule that follows the warm-up. */
  after?: SchedulerStateDict;
}

/**
 * Base class of the learning-rate schedules, with torch.optim.lr_scheduler's semantics: construction sets epoch 0's lr,
 * and step() (called after optimizer.step(), once per epoch) advances it. Throws a RangeError if a computed lr is
 * negative or not finite.
 */
export abstract class LRScheduler {
  /** The lr of each group before scheduling (PyTorch's base_lrs, from the groups' initial_lr). */
  baseLrs: number[];
  /** Epochs (calls to step()) since the start; 0 right after construction. */
  lastEpoch = -1;
  private lastLrs: number[] = [];

  protected constructor(
    /** The optimizer whose groups' lr this schedule sets. */
    readonly optimizer: SchedulableOptimizer,
    /** The schedule's class name, as saved in its state dict. */
    readonly kind: string,
  ) {
    const groups = optimizer?.paramGroups;
    if (!Array.isArray(groups) || groups.length === 0) throw new TypeError(`${kind}: expected an optimizer with parameter groups`);
    for (const g of groups) if (g.initialLr === undefined) g.initialLr = g.lr;
    this.baseLrs = groups.map((g) => g.initialLr!);
  }

  /** The lrs for the current lastEpoch (PyTorch's get_lr). */
  protected abstract computeLr(): number[];

  /** The options saved in and restored from state dicts. */
  protected abstract options(): Record<string, number | number[]>;
  protected abstract setOptions(o: Record<string, number | number[]>): void;

  /** Subclasses call this at the end of their constructor: PyTorch's constructor steps once to epoch 0. */
  protected initialStep(): void {
    this.step();
  }

  /** Advances one epoch and sets the groups' lr. */
  step(): void {
    this.lastEpoch += 1;
    this.apply(this.computeLr());
  }

  protected groupLrs(): number[] {
    return this.groups().map((g) => g.lr);
  }

  protected groups(): readonly { lr: number; initialLr?: number }[] {
    const groups = this.optimizer.paramGroups;
    if (groups.length !== this.baseLrs.length) {
      throw new Error(`${this.kind}: the optimizer now has ${groups.length} parameter groups but the schedule was built for ${this.baseLrs.length}; create the schedule after adding groups`);
    }
    return groups;
  }

  protected apply(lrs: number[]): void {
    const groups = this.groups();
    lrs.forEach((lr, i) => {
      if (!Number.isFinite(lr) || lr < 0) throw new RangeError(`${this.kind}: computed an invalid lr ${lr} for group ${i} at epoch ${this.lastEpoch}`);
      groups[i]!.lr = lr;
    });
    this.lastLrs = [...lrs];
  }

  /** The lrs set by the last step (PyTorch's get_last_lr()). */
  getLastLr(): number[] {
    return [...this.lastLrs];
  }

  /** Plain-data state: counters, base and last lrs, options (the optimizer's own lrs are in its state dict). */
  stateDict(): SchedulerStateDict {
    return { kind: this.kind, lastEpoch: this.lastEpoch, baseLrs: [...this.baseLrs], lastLr: [...this.lastLrs], options: this.options() };
  }

  /** Restores counters and options (the optimizer's lrs come from its own state dict, as in PyTorch). */
  loadStateDict(s: SchedulerStateDict): void {
    if (typeof s !== 'object' || s === null || s.kind !== this.kind) {
      throw new Error(`${this.kind}.loadStateDict: the state is for a ${String(s?.kind)} schedule, not ${this.kind}`);
    }
    if (!Number.isInteger(s.lastEpoch) || s.lastEpoch < -1) throw new Error(`${this.kind}.loadStateDict: bad lastEpoch ${String(s.lastEpoch)}`);
    if (!Array.isArray(s.baseLrs) || s.baseLrs.length !== this.baseLrs.length || !Array.isArray(s.lastLr)) {
      throw new Error(`${this.kind}.loadStateDict: the state has ${s.baseLrs?.length} groups, this schedule has ${this.baseLrs.length}`);
    }
    this.setOptions(s.options);
    this.lastEpoch = s.lastEpoch;
    this.baseLrs = [...s.baseLrs];
    this.lastLrs = [...s.lastLr];
  }

  /** @internal Restarts at epoch 0 from the base lrs (SequentialLR's hand-over). */
  restart(): void {
    this.groups().forEach((g, i) => (g.lr = this.baseLrs[i]!));
    this.lastEpoch = -1;
    this.step();
  }
}

function checkPositiveInt(v: unknown, name: string, kind: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new RangeError(`${kind}: ${name} must be a positive integer, got ${String(v)}`);
  return v;
}
function checkGamma(v: unknown, kind: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new RangeError(`${kind}: gamma must be a finite number >= 0, got ${String(v)}`);
  return v;
}

/** lr = base · λ(epoch); one function for all groups or one per group (torch LambdaLR). */
export class LambdaLR extends LRScheduler {
  private readonly lambdas: ((epoch: number) => number)[];
  constructor(optimizer: SchedulableOptimizer, lrLambda: ((epoch: number) => number) | readonly ((epoch: number) => number)[]) {
    super(optimizer, 'LambdaLR');
    const n = this.baseLrs.length;
    const list = typeof lrLambda === 'function' ? new Array<(e: number) => number>(n).fill(lrLambda) : [...lrLambda];
    if (list.length !== n || !list.every((f) => typeof f === 'function')) {
      throw new TypeError(`LambdaLR: expected one function or ${n} functions (one per parameter group)`);
    }
    this.lambdas = list;
    this.initialStep();
  }
  protected computeLr(): number[] {
    return this.baseLrs.map((b, i) => b * this.lambdas[i]!(this.lastEpoch));
  }
  protected options(): Record<string, number | number[]> {
    return {};
  }
  protected setOptions(): void {}
}

/** lr *= gamma every stepSize epochs (torch StepLR). */
export class StepLR extends LRScheduler {
  private stepSize: number;
  private gamma: number;
  constructor(optimizer: SchedulableOptimizer, o: { stepSize: number; gamma?: number }) {
    super(optimizer, 'StepLR');
    this.stepSize = checkPositiveInt(o?.stepSize, 'stepSize', 'StepLR');
    this.gamma = checkGamma(o.gamma ?? 0.1, 'StepLR');
    this.initialStep();
  }
  protected computeLr(): number[] {
    const lrs = this.groupLrs();
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return lrs;
    return lrs.map((lr) => lr * this.gamma);
  }
  protected options(): Record<string, number | number[]> {
    return { stepSize: this.stepSize, gamma: this.gamma };
  }
  protected setOptions(o: Record<string, number | number[]>): void {
    this.stepSize = checkPositiveInt(o['stepSize'], 'stepSize', 'StepLR');
    this.gamma = checkGamma(o['gamma'], 'StepLR');
  }
}

/** lr *= gamma at each milestone epoch (a milestone listed twice applies gamma twice), as torch MultiStepLR. */
export class MultiStepLR extends LRScheduler {
  private milestones: Map<number, number> = new Map();
  private gamma: number;
  constructor(optimizer: SchedulableOptimizer, o: { milestones: readonly number[]; gamma?: number }) {
    super(optimizer, 'MultiStepLR');
    this.setMilestones(o?.milestones);
    this.gamma = checkGamma(o.gamma ?? 0.1, 'MultiStepLR');
    this.initialStep();
  }
  private setMilestones(ms: unknown): void {
    if (!Array.isArray(ms) || !ms.every((m) => Number.isInteger(m) && m >= 0)) {
      throw new TypeError(`MultiStepLR: milestones must be an array of non-negative integer epochs, got ${JSON.stringify(ms)}`);
    }
    this.milestones = new Map();
    for (const m of ms as number[]) this.milestones.set(m, (this.milestones.get(m) ?? 0) + 1);
  }
  protected computeLr(): number[] {
    const lrs = this.groupLrs();
    const count = this.milestones.get(this.lastEpoch);
    if (count === undefined) return lrs;
    const factor = libmPow(this.gamma, count);
    return lrs.map((lr) => lr * factor);
  }
  protected options(): Record<string, number | number[]> {
    const ms: number[] = [];
    for (const [m, c] of [...this.milestones].sort((a, b) => a[0] - b[0])) for (let i = 0; i < c; i++) ms.push(m);
    return { milestones: ms, gamma: this.gamma };
  }
  protected setOptions(o: Record<string, number | number[]>): void {
    this.setMilestones(o['milestones']);
    this.gamma = checkGamma(o['gamma'], 'MultiStepLR');
  }
}

/** lr = etaMin + (base - etaMin)·(1 + cos(π·epoch/tMax))/2 (torch CosineAnnealingLR, closed form). */
export class CosineAnnealingLR extends LRScheduler {
  private tMax: number;
  private etaMin: number;
  constructor(optimizer: SchedulableOptimizer, o: { tMax: number; etaMin?: number }) {
    super(optimizer, 'CosineAnnealingLR');
    this.tMax = checkPositiveInt(o?.tMax, 'tMax', 'CosineAnnealingLR');
    this.etaMin = checkEtaMin(o.etaMin ?? 0);
    this.initialStep();
  }
  protected computeLr(): number[] {
    const c = Math.cos((Math.PI * this.lastEpoch) / this.tMax);
    // Same operation order as PyTorch's _get_closed_form_lr.
    return this.baseLrs.map((b) => this.etaMin + ((b - this.etaMin) * (1 + c)) / 2);
  }
  protected options(): Record<string, number | number[]> {
    return { tMax: this.tMax, etaMin: this.etaMin };
  }
  protected setOptions(o: Record<string, number | number[]>): void {
    this.tMax = checkPositiveInt(o['tMax'], 'tMax', 'CosineAnnealingLR');
    this.etaMin = checkEtaMin(o['etaMin']);
  }
}
function checkEtaMin(v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new RangeError(`CosineAnnealingLR: etaMin must be a finite number >= 0, got ${String(v)}`);
  return v;
}

/** Options of LinearWarmup. Throws a RangeError unless warmupSteps is an integer >= 0 and startFactor is in [0, 1]. */
export interface LinearWarmupOptions {
  /** Epochs of warm-up; at epoch warmupSteps the lr reaches its base value. */
  warmupSteps: number;
  /** Fraction of the base lr at epoch 0, in [0, 1]. Default 1/3, as torch's LinearLR. */
  startFactor?: number;
  /**
   * The schedule to run after the warm-up (built on the same optimizer, before this one). It restarts at its
   * epoch 0 when the warm-up ends, as in SequentialLR([LinearLR, after], milestones=[warmupSteps]).
   * Without it the lr stays at its base value.
   */
  after?: LRScheduler;
}

/** lr = base·(startFactor + (1 - startFactor)·epoch/warmupSteps) for epoch < warmupSteps, then `after` or base. */
export class LinearWarmup extends LRScheduler {
  private warmupSteps: number;
  private startFactor: number;
  private readonly after: LRScheduler | undefined;
  constructor(optimizer: SchedulableOptimizer, o: LinearWarmupOptions) {
    super(optimizer, 'LinearWarmup');
    const w = o?.warmupSteps;
    if (typeof w !== 'number' || !Number.isInteger(w) || w < 0) throw new RangeError(`LinearWarmup: warmupSteps must be an integer >= 0, got ${String(w)}`);
    this.warmupSteps = w;
    this.startFactor = checkFactor(o.startFactor ?? 1 / 3);
    if (o.after !== undefined) {
      if (!(o.after instanceof LRScheduler)) throw new TypeError('LinearWarmup: after must be a schedule (e.g. a CosineAnnealingLR)');
      if (o.after.optimizer !== optimizer) throw new Error('LinearWarmup: the `after` schedule must be built on the same optimizer');
    }
    this.after = o.after;
    this.initialStep();
  }
  protected computeLr(): number[] {
    if (this.lastEpoch >= this.warmupSteps) return [...this.baseLrs];
    const f = this.startFactor + ((1 - this.startFactor) * this.lastEpoch) / this.warmupSteps;
    return this.baseLrs.map((b) => b * f);
  }
  override step(): void {
    if (this.after === undefined || this.lastEpoch + 1 < this.warmupSteps) {
      super.step();
      return;
    }
    this.lastEpoch += 1;
    if (this.lastEpoch === this.warmupSteps) this.after.restart();
    else this.after.step();
    this.apply(this.after.getLastLr());
  }
  protected options(): Record<string, number | number[]> {
    return { warmupSteps: this.warmupSteps, startFactor: this.startFactor };
  }
  protected setOptions(o: Record<string, number | number[]>): void {
    const w = o['warmupSteps'];
    if (typeof w !== 'number' || !Number.isInteger(w) || w < 0) throw new RangeError(`LinearWarmup.loadStateDict: bad warmupSteps ${String(w)}`);
    this.warmupSteps = w;
    this.startFactor = checkFactor(o['startFactor']);
  }
  /** The warm-up's state, with the `after` schedule's state nested under `after`. */
  override stateDict(): SchedulerStateDict {
    const s = super.stateDict();
    if (this.after !== undefined) s.after = this.after.stateDict();
    return s;
  }
  override loadStateDict(s: SchedulerStateDict): void {
    if ((s?.after === undefined) !== (this.after === undefined)) {
      throw new Error('LinearWarmup.loadStateDict: the saved warm-up and this one differ in whether a schedule follows the warm-up');
    }
    if (this.after !== undefined) this.after.loadStateDict(s.after!);
    super.loadStateDict(s);
  }
}
function checkFactor(v: unknown): number {
  if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new RangeError(`LinearWarmup: startFactor must be in [0, 1], got ${String(v)}`);
  return v;
}
