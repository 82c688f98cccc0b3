// Autograd helpers: gradients of outputs w.r.t. inputs, and grad-mode scopes.
import { native } from './native.js';
import { Tensor } from './tensor.js';

/** Options of autograd.grad, as torch.autograd.grad's. */
export interface GradOptions {
  /** The vector each output's gradient is multiplied by (one per output; null or omitted for one-element outputs). */
  gradOutputs?: (Tensor | null)[];
  /** Keep the graph for another backward pass; defaults to createGraph. */
  retainGraph?: boolean;
  /** Record the gradient computation, for higher-order gradients. Default false. */
  createGraph?: boolean;
  /** Return null for an input the outputs do not depend on instead of throwing. Default false. */
  allowUnused?: boolean;
}

/**
 * torch.autograd.grad: the gradient of sum(outputs · gradOutputs) with respect to each input, one entry per
 * input (null for an unused input when allowUnused is set). Does not touch the inputs' .grad.
 */
function grad(outputs: Tensor | readonly Tensor[], inputs: Tensor | readonly Tensor[], o: GradOptions = {}): (Tensor | null)[] {
  const outs = outputs instanceof Tensor ? [outputs] : outputs;
  const ins = inputs instanceof Tensor ? [inputs] : inputs;
  if (ins.length === 0) throw new RangeError('autograd.grad: no inputs given');
  const result = native.grad(
    outs.map((t) => t.handle),
    ins.map((t) => t.handle),
    o.gradOutputs === undefined ? null : o.gradOutputs.map((t) => (t === null ? null : t.handle)),
    o.retainGraph ?? o.createGraph ?? false,
    o.createGraph ?? false,
    o.allowUnused ?? false,
  );
  return result.map((h) => (h === null ? null : new Tensor(h)));
}

/** torch.autograd's functional API. The returned gradients are new tensors the caller owns. */
export const autograd = { grad };

/** Runs fn with gradient recording disabled (torch.no_grad). fn must be synchronous. */
export function noGrad<T>(fn: () => T): T {
  const previous = native.setGradEnabled(false);
  try {
    return rejectPromise('noGrad', fn());
  } finally {
    native.setGradEnabled(previous);
  }
}

/** Runs fn with gradient recording enabled, e.g. inside a noGrad region (torch.enable_grad). */
export function enableGrad<T>(fn: () => T): T {
  const previous = native.setGradEnabled(true);
  try {
    return rejectPromise('enableGrad', fn());
  } finally {
    native.setGradEnabled(previous);
  }
}

/**
 * Grad mode is process-wide state restored when fn returns; an async fn would run most of its body after the
 * mode was restored, silently recording (or not) a graph. Failing loudly beats that.
 */
function rejectPromise<T>(what: string, result: T): T {
  if (result instanceof Promise) {
    result.catch(() => undefined); // the caller gets our error; do not also report an unhandled rejection
    throw new Error(`${what}(fn): fn returned a Promise; grad mode cannot follow async code, so pass a synchronous function`);
  }
  return result;
}

/** Whether operations are being recorded for autograd (false inside noGrad). */
export function isGradEnabled(): boolean {
  return native.isGradEnabled();
}

/** `using _ = noGradGuard()` disables grad recording until the end of the block. */
export function noGradGuard(): Disposable {
  const previous = native.setGradEnabled(false);
  return { [Symbol.dispose]: () => void native.setGradEnabled(previous) };
}
