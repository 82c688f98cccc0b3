// SEMU's SVD subspace (research/semu.md §1.1–1.4): train a tiny r×r core per layer instead of the weights.
//
// For every Conv2d and Linear weight W0 with forget-set gradient G:
//   (optional) project G away from W0;  thin SVD of G (per input channel for convolutions);
//   keep the k leading singular vectors (explained-variance rule);  W = W0 + U_k · R · V_kᵀ with R = 0 at start.
// Only the R cores train. Instead of swapping the model's layers, the weights themselves are rewritten after
// every step (W ← W0 + U R Vh) and the cores' gradients are pulled from the weights' gradients by the chain
// rule (dL/dR = U_kᵀ · dL/dW · V_k), which is exact because W is linear in R. Any model and any training loop
// (RL, GA, ...) therefore runs inside the subspace unchanged, and the result is plain weights: nothing to merge.
import { Conv2d } from '../../nn/conv.js';
import { Linear } from '../../nn/linear.js';
import type { Module } from '../../nn/module.js';
import { keep, linalg, noGrad, tidy, zeros, tensor, type Tensor } from '../../torch/index.js';
import type { Gradients } from './gradients.js';
import { oneOf } from '../../util/options.js';
import { BLOCK_CHOICES, BLOCK_DEFAULTS, type BlockChoice } from './settings.js';

/** Settings of SEMU's SVD subspace; an unknown choice or a gamma outside (0, 1] is an error. */
export interface SubspaceOptions {
  /** explained-variance ratio γ of the rank rule; null keeps the full thin SVD (reference default 0.95 in its README) */
  gamma?: number | null;
  /**
   * How G is projected away from W0 before the SVD:
   * - 'orthogonal' (default, the paper's intent): G − (⟨G,W0⟩/‖W0‖²)·W0, exactly orthogonal to W0;
   * - 'reference': G − (⟨G,W0⟩/‖W0‖)·W0, the reference code's formula (not orthogonal unless ‖W0‖ = 1);
   * - 'none': no projection.
   */
  projection?: BlockChoice<'subspace', 'projection'>;
  /**
   * Rank rule: 'reference' (default) = number of components whose cumulative energy ratio is ≤ γ (searchsorted
   * right=True, at least 1), which can keep less than γ of the energy; 'reach' = smallest k reaching ≥ γ.
   */
  rankRule?: BlockChoice<'subspace', 'rankRule'>;
  /**
   * Ranks of a convolution's per-input-channel SVDs:
   * - 'max' (default, the classification reference): one k per layer, the largest over its input channels;
   * - 'per-channel' (the DDPM reference, research/semu.md §1.8): each input channel c keeps its own k_c. The
   *   reference keeps U, Vh and R at full rank and masks R's gradient to its top-left k_c×k_c block after every
   *   backward pass; R starts at 0, so that is exactly a k_max-rank basis whose core gradient is masked per
   *   channel, which is what this does (trainable count Σ k_c²).
   */
  channelRanks?: BlockChoice<'subspace', 'channelRanks'>;
  /** layers whose name contains this string keep the full rank (the DDPM reference: 'attn', its γ_attn = 1) */
  fullRank?: string;
}

interface SubspaceLayer {
  name: string;
  kind: 'linear' | 'conv';
  weight: Tensor;
  w0: Tensor;
  /** linear: [out, k]; conv: [in, out, k] */
  u: Tensor;
  /** linear: [k, in]; conv: [in, k, kh·kw] */
  vh: Tensor;
  /** the trainable core; linear: [k, k]; conv: [in, k, k] */
  r: Tensor;
  rank: number;
  /** 'per-channel' ranks: 1 on each channel's top-left k_c×k_c block of r, 0 elsewhere */
  coreMask: Tensor | null;
}

/** The layers a subspace adapts: the weights of every Conv2d and Linear module (biases and norms stay frozen). */
export function subspaceWeights(model: Module): [string, Tensor][] {
  const out: [string, Tensor][] = [];
  for (const [prefix, m] of model.namedModules()) {
    if (m instanceof Conv2d || m instanceof Linear) out.push([prefix === '' ? 'weight' : `${prefix}.weight`, m.weight]);
  }
  return out;
}

/**
 * Refuses a `fullRank` that names no adapted layer of `model`: a misspelt name would keep every layer at its
 * reduced rank without a word. Called before the gradient pass.
 */
export function checkFullRank(model: Module, fullRank: string | undefined): void {
  if (fullRank === undefined || fullRank === '') return;
  const names = subspaceWeights(model).map(([name]) => name);
  if (names.some((n) => n.includes(fullRank))) return;
  const shown = names.length > 6 ? [...names.slice(0, 6), '…'] : names;
  throw new Error(`SEMU subspace: fullRank '${fullRank}' matches no Conv2d or Linear layer of the model (its layers: ${shown.join(', ')})`);
}

/** k for each row of singular values (one row for a linear layer, one per input channel for a convolution). */
function selectRanks(s: Tensor, gamma: number | null, rule: BlockChoice<'subspace', 'rankRule'>): number[] {
  const m = s.shape[s.ndim - 1]!;
  const rows = s.ndim === 1 ? 1 : s.shape[0]!;
  if (gamma === null) return new Array<number>(rows).fill(m);
  return tidy(() => {
    const energy = s.square();
    const ratio = energy.cumsum(-1).div(energy.sum(-1, true).clampMin(1e-30));
    const r = ratio.ndim === 1 ? ratio.unsqueeze(0) : ratio;
    // 'reference': count of c_j ≤ γ; 'reach': count of c_j < γ, plus one (the component that reaches γ).
    const counts = rule === 'reference' ? r.le(gamma).sum(-1) : r.lt(gamma).sum(-1).add(1);
    return Array.from(counts.toTypedArray() as BigInt64Array, (k) => Math.min(m, Math.max(1, Number(k))));
  });
}

/** [in, k, k] with ones on channel c's top-left ks[c]×ks[c] block. */
function perChannelCoreMask(ks: number[], k: number): Tensor {
  const data = new Float32Array(ks.length * k * k);
  ks.forEach((kc, c) => {
    for (let i = 0; i < kc; i++) data.fill(1, c * k * k + i * k, c * k * k + i * k + kc);
  });
  return tensor(data, { shape: [ks.length, k, k] });
}

/**
 * The subspace's settings with their defaults, checked (the runner checks them before any gradient is taken). A
 * misspelt choice would silently select another variant of the algorithm: every one is checked.
 */
export function subspaceSettings(o: SubspaceOptions) {
  const d = BLOCK_DEFAULTS.subspace;
  const gamma = o.gamma === undefined ? d.gamma : o.gamma;
  if (gamma !== null && !(gamma > 0 && gamma <= 1)) throw new RangeError(`SEMU subspace: gamma must be in (0, 1], got ${gamma}`);
  return {
    gamma,
    projection: oneOf('SEMU subspace', 'projection', o.projection ?? d.projection, BLOCK_CHOICES.subspace.projection, { reference: "the reference code's ‖W‖" }),
    rule: oneOf('SEMU subspace', 'rankRule', o.rankRule ?? d.rankRule, BLOCK_CHOICES.subspace.rankRule),
    channelRanks: oneOf('SEMU subspace', 'channelRanks', o.channelRanks ?? d.channelRanks, BLOCK_CHOICES.subspace.channelRanks),
  };
}

/** The settings a subspace was built with, defaults resolved: what a run's record keeps, so it says which variant ran. */
export interface SubspaceRecord {
  gamma: number | null;
  projection: string;
  rankRule: string;
  channelRanks: string;
  fullRank: string;
}

export function subspaceRecord(o: SubspaceOptions): SubspaceRecord {
  const { gamma, projection, rule, channelRanks } = subspaceSettings(o);
  return { gamma, projection, rankRule: rule, channelRanks, fullRank: o.fullRank ?? BLOCK_DEFAULTS.subspace.fullRank };
}

/**
 * SEMU's subspace: per Conv2d/Linear weight W0, a basis U_k, V_k from the SVD of the forget gradient and a trainable
 * core R (0 at start), with W = W0 + U_k R V_kᵀ. Owns its tensors: dispose() frees them.
 */
export class SvdSubspace {
  private constructor(
    /** The adapted layers, in subspaceWeights order, with their bases, cores and ranks. */
    readonly layers: SubspaceLayer[],
  ) {}

  /** Builds the subspace from forget-set gradients of the subspaceWeights (the caller keeps `grads`). */
  static fromGradients(model: Module, grads: Gradients, o: SubspaceOptions = {}): SvdSubspace {
    const { gamma, projection, rule, channelRanks } = subspaceSettings(o);
    const perChannel = channelRanks === 'per-channel';
    const layers: SubspaceLayer[] = [];
    try {
      for (const [name, weight] of subspaceWeights(model)) {
        const g0 = grads.get(name);
        if (g0 === undefined) throw new Error(`SEMU subspace: no gradient for '${name}'`);
        layers.push(
          tidy(() =>
            noGrad(() => {
              const w0 = weight.detach().clone();
              let g = g0;
              if (projection !== 'none') {
                const inner = g.mul(w0).sum();
                const norm = projection === 'orthogonal' ? w0.square().sum() : w0.norm(2);
                g = g.sub(w0.mul(inner.div(norm.clampMin(1e-30))));
              }
              const kind = weight.ndim === 4 ? 'conv' : 'linear';
              // conv: one matrix per input channel, out × (kh·kw)
              const mat = kind === 'conv' ? g.permute(1, 0, 2, 3).reshape(weight.shape[1]!, weight.shape[0]!, -1) : g;
              const { U, S, Vh } = linalg.svd(mat.contiguous());
              const full = o.fullRank !== undefined && o.fullRank !== '' && name.includes(o.fullRank);
              const ks = selectRanks(S, full ? null : gamma, rule);
              const k = Math.max(...ks);
              const coreMask = kind === 'conv' && perChannel && ks.some((kc) => kc < k) ? keep(perChannelCoreMask(ks, k)) : null;
              const u = (kind === 'conv' ? U.narrow(2, 0, k) : U.narrow(1, 0, k)).contiguous();
              const vh = (kind === 'conv' ? Vh.narrow(1, 0, k) : Vh.narrow(0, 0, k)).contiguous();
              const r = kind === 'conv' ? zeros([weight.shape[1]!, k, k]) : zeros([k, k]);
              r.requiresGrad = true;
              const layer: SubspaceLayer = { name, kind, weight, w0: keep(w0), u: keep(u), vh: keep(vh), r: keep(r), rank: k, coreMask };
              return layer;
            }),
          ),
        );
      }
    } catch (e) {
      new SvdSubspace(layers).dispose();
      throw e;
    }
    if (layers.length === 0) throw new Error('SEMU subspace: the model has no Conv2d or Linear layer');
    return new SvdSubspace(layers);
  }

  /** The trainable cores (what the optimizer updates). */
  params(): Tensor[] {
    return this.layers.map((l) => l.r);
  }

  /** Degrees of freedom: Σ k² over linear layers + Σ in·k² over convolutions (Σ k_c² with per-channel ranks). */
  trainableCount(): number {
    return this.layers.reduce((n, l) => n + (l.coreMask === null ? l.r.numel() : tidy(() => l.coreMask!.sum().item())), 0);
  }

  /** Per-layer ranks, for reports. */
  ranks(): Record<string, number> {
    return Object.fromEntries(this.layers.map((l) => [l.name, l.rank]));
  }

  /** dL/dR from the weights' gradients (chain rule); the weights' own grads are then cleared. */
  pullGradients(): void {
    for (const l of this.layers) {
      tidy(() =>
        noGrad(() => {
          const gw = l.weight.grad;
          if (gw === null) {
            l.r.grad = null;
            return;
          }
          const gr =
            l.kind === 'linear'
              ? l.u.t().mm(gw).mm(l.vh.t())
              : l.u.transpose(1, 2).bmm(gw.permute(1, 0, 2, 3).reshape(l.u.shape[0]!, l.u.shape[1]!, -1)).bmm(l.vh.transpose(1, 2));
          l.r.grad = l.coreMask === null ? gr : gr.mul(l.coreMask);
          l.weight.grad = null;
        }),
      );
    }
  }

  /** Rewrites every adapted weight as W0 + U R Vh. */
  pushWeights(): void {
    for (const l of this.layers) {
      tidy(() =>
        noGrad(() => {
          const w = l.weight;
          const delta =
            l.kind === 'linear'
              ? l.u.mm(l.r).mm(l.vh)
              : l.u.bmm(l.r).bmm(l.vh).reshape(w.shape[1]!, w.shape[0]!, w.shape[2]!, w.shape[3]!).permute(1, 0, 2, 3);
          w.copy_(l.w0.add(delta));
        }),
      );
    }
  }

  /** Frees the bases, cores and W0 copies; the model's weights keep their current values. */
  dispose(): void {
    for (const l of this.layers) {
      l.w0.dispose();
      l.u.dispose();
      l.vh.dispose();
      l.r.dispose();
      l.coreMask?.dispose();
    }
    this.layers.length = 0;
  }
}
