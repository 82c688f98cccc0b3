// CUFG's forgetting-gradient corrector (research/cufg.md §2), per parameter tensor:
//   gate:  if any layer has cos(g_r, g_f) > τ, correct every layer, else keep the plain fine-tuning gradient g_r;
//   correction:  u = (n_r + β·n_f) / (‖n_r + n_f‖ + 1e-8), n = g / (‖g‖ + 1e-8), β = 0.9^epoch
//   (stepNorm 'retain', a labelled deviation: ‖g_r‖·u, the corrected direction at fine-tuning's step length;
//   gate 'model', a labelled deviation: one cosine over the whole model's gradients instead of any tensor's).
// g_r is the retain-batch CE gradient, g_f the gradient of −CE on the current forget subset (ascent direction).
import { noGrad, stack, tidy, type Tensor } from '../../torch/index.js';
import { deepFreeze } from '../../util/options.js';

/** Settings of CUFG's forgetting-gradient corrector (UFG and CUFG options include them). */
export interface CorrectorOptions {
  /** τ0, the gate threshold at stage 0 (reference final commit: 0.45) */
  tau0: number;
  /** how much τ drops per stage (reference: 0.05) */
  tauStep: number;
  /** β = decay^epoch weights the forgetting direction (reference: 0.9) */
  decay: number;
  /**
   * 'reference' (default): the denominator uses the unweighted n_r + n_f while the numerator weights n_f by β,
   * as the code does; 'weighted': normalise n_r + β·n_f by its own norm (unit-norm update every epoch).
   */
  normalization: 'reference' | 'weighted';
  /**
   * The length of a corrected step, per tensor. 'unit' (default, the reference): about 1 whatever the gradient's size,
   * so the lr is a step length and, on a small network, one lr cannot serve both the plain fine-tuning steps (which
   * need a fine-tuning lr) and the corrected ones (which need a far smaller one). 'retain' (a deviation, labelled):
   * the corrected direction at the retain gradient's own length ‖g_r‖, so the corrector only turns fine-tuning's
   * steps and the lr keeps its fine-tuning meaning.
   */
  stepNorm: 'unit' | 'retain';
  /**
   * What the gate compares with τ. 'tensor' (default, the reference): the largest per-tensor cosine, so any one tensor
   * opens it. Two unrelated directions in n dimensions have cosines spread by about 1/√n, so on a network with small
   * tensors (resnet20's BatchNorm weights and biases hold 16 numbers) one of them crosses τ by chance on most steps
   * and the gate opens on noise (bench/cufg/gate.ts measures it). 'model' (a deviation, labelled): the cosine of the
   * whole model's gradients (every tensor concatenated), which large tensors dominate; it sits near 0.05 on a trained
   * resnet20, so τ must be chosen on that scale.
   */
  gate: 'tensor' | 'model';
}

/**
 * The corrector's settings in the reference's final commit: τ0 0.45, τ step 0.05, β decay 0.9, 'reference'
 * normalisation, 'unit' step norm, a per-tensor gate.
 */
export const CORRECTOR_DEFAULTS: Readonly<CorrectorOptions> = deepFreeze({ tau0: 0.45, tauStep: 0.05, decay: 0.9, normalization: 'reference', stepNorm: 'unit', gate: 'tensor' });

/** τ at a stage. */
export function gateThreshold(o: CorrectorOptions, stage: number): number {
  return o.tau0 - o.tauStep * stage;
}

/** β, the weight of the forgetting direction at an epoch. */
export function forgetWeight(o: CorrectorOptions, epoch: number): number {
  return o.decay ** epoch;
}

/**
 * Returns the corrected gradients (new tensors, owned by the caller), whether the gate fired, and the cosine the gate
 * compared with τ (the largest per-tensor one, or the whole model's).
 * `retain` and `forget` are aligned per parameter; a null entry (unused parameter) passes g_r through.
 */
export function correctGradients(
  retain: readonly (Tensor | null)[],
  forget: readonly (Tensor | null)[],
  o: CorrectorOptions,
  epoch: number,
  stage: number,
): { grads: (Tensor | null)[]; fired: boolean; cosine: number } {
  return tidy(() =>
    noGrad(() => {
      const pairs = retain.map((g, i) => [g, forget[i] ?? null] as const);
      const both = pairs.filter(([r, f]) => r !== null && f !== null) as [Tensor, Tensor][];
      const cosine = both.length === 0 ? NaN : o.gate === 'model' ? modelCosine(both) : maxTensorCosine(both);
      const fired = cosine > gateThreshold(o, stage);
      if (!fired) return { grads: retain.map((g) => (g === null ? null : g.clone())), fired, cosine };
      const beta = forgetWeight(o, epoch);
      const grads = pairs.map(([r, f]) => {
        if (r === null) return null;
        if (f === null) return r.clone();
        const length = r.norm();
        const nr = r.div(length.add(1e-8));
        const nf = f.div(f.norm().add(1e-8));
        const num = nr.add(nf.mul(beta));
        const den = o.normalization === 'reference' ? nr.add(nf).norm() : num.norm();
        const unit = num.div(den.add(1e-8));
        return o.stepNorm === 'retain' ? unit.mul(length) : unit;
      });
      return { grads, fired, cosine };
    }),
  );
}

/** The largest per-tensor cos(g_r, g_f); a tensor whose gradient is all zeros (cosine NaN) does not vote. */
function maxTensorCosine(pairs: [Tensor, Tensor][]): number {
  return stack(pairs.map(([r, f]) => r.flatten().dot(f.flatten()).div(r.norm().mul(f.norm())))).nanToNum({ nan: -2 }).max().item();
}

/** cos(g_r, g_f) of the whole model's gradients, every tensor concatenated (NaN when either is all zeros). */
function modelCosine(pairs: [Tensor, Tensor][]): number {
  const sum = (ts: Tensor[]) => stack(ts).sum();
  const dot = sum(pairs.map(([r, f]) => r.flatten().dot(f.flatten())));
  const rr = sum(pairs.map(([r]) => r.pow(2).sum()));
  const ff = sum(pairs.map(([, f]) => f.pow(2).sum()));
  return dot.div(rr.mul(ff).sqrt()).item();
}
