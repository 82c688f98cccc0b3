// Stochastic gradient descent with momentum, dampening, Nesterov and L2 weight decay: torch.optim.SGD.
import type { Tensor } from '../torch/tensor.js';
import {
  Optimizer,
  type BaseOptions,
  type ParamGroup,
  type ParamsInput,
  type ParamState,
  checkBoolean,
  checkMaskMode,
  checkNonNegative,
} from './optimizer.js';

/**
 * Options of SGD: lr (required) and, by default, momentum 0, dampening 0, nesterov false, weightDecay 0, maximize
 * false, maskMode 'update'.
 */
export interface SGDOptions extends BaseOptions {
  /** Momentum factor, >= 0; 0 keeps no momentum buffer. */
  momentum: number;
  /** Share of the new gradient held back from the momentum buffer (1 - dampening enters it). */
  dampening: number;
  /** Nesterov momentum; needs momentum > 0 and dampening 0 (else the constructor throws). */
  nesterov: boolean;
  /** Ascend instead of descend (torch's maximize=True); gradient ascent unlearning uses it. */
  maximize: boolean;
}

/**
 * torch.optim.SGD (PyTorch 1.13, single-tensor path), per parameter with gradient g:
 *   d = g (or -g if maximize);  d += weightDecay·p
 *   buf = d on the first step, else buf = momentum·buf + (1 - dampening)·d
 *   d = nesterov ? d + momentum·buf : buf                          (when momentum ≠ 0)
 *   p -= lr·d
 * State: "momentum_buffer" (only when momentum ≠ 0).
 */
export class SGD extends Optimizer<SGDOptions> {
  constructor(params: ParamsInput<SGDOptions>, options: Partial<SGDOptions> & { lr: number }) {
    super(
      'SGD',
      params,
      {
        lr: options.lr,
        momentum: options.momentum ?? 0,
        dampening: options.dampening ?? 0,
        nesterov: options.nesterov ?? false,
        weightDecay: options.weightDecay ?? 0,
        maximize: options.maximize ?? false,
        maskMode: options.maskMode ?? 'update',
      },
      ['momentum_buffer'],
    );
  }

  protected validate(o: SGDOptions, where: string): void {
    checkNonNegative(o.lr, 'lr', where);
    checkNonNegative(o.momentum, 'momentum', where);
    checkNonNegative(o.weightDecay, 'weightDecay', where);
    if (typeof o.dampening !== 'number' || !Number.isFinite(o.dampening)) throw new RangeError(`${where}: dampening must be a finite number, got ${String(o.dampening)}`);
    checkBoolean(o.nesterov, 'nesterov', where);
    checkBoolean(o.maximize, 'maximize', where);
    checkMaskMode(o.maskMode, where);
    if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) {
      throw new Error(`${where}: Nesterov momentum needs momentum > 0 and dampening = 0 (got momentum ${o.momentum}, dampening ${o.dampening})`);
    }
  }

  protected update(p: Tensor, grad: Tensor, state: ParamState, g: ParamGroup<SGDOptions>): void {
    let d = g.maximize ? grad.neg() : grad;
    if (g.weightDecay !== 0) d = d.add(p, g.weightDecay);
    if (g.momentum !== 0) {
      let buf = state.tensors.get('momentum_buffer');
      if (buf === undefined) buf = this.initState(state, 'momentum_buffer', d.clone());
      else buf.mul_(g.momentum).add_(d, 1 - g.dampening);
      d = g.nesterov ? d.add(buf, g.momentum) : buf;
    }
    p.add_(d, -g.lr);
  }
}
