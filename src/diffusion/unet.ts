// A compact class-conditional UNet for ε-prediction (the DDPM/DDIM architecture, scaled down for a CPU).
//
// Shape of the network, as in the reference's Conditional_Model (Selective Amnesia / DDIM code):
//   emb = MLP(sinusoid(t)) + class_embed(y)        y ∈ {0..C−1}, or C = the learned null class (guidance)
//   conv_in → per level: numResBlocks × [ResBlock(+attention at attnResolutions)] → downsample (except last)
//   mid: ResBlock → attention → ResBlock
//   per level, reversed: (numResBlocks+1) × [concat skip → ResBlock(+attention)] → upsample (except first)
//   GroupNorm → SiLU → conv_out
// Every ResBlock is GroupNorm → SiLU → conv3×3 → + Linear(SiLU(emb)) → GroupNorm → SiLU → dropout → conv3×3,
// plus a 1×1 shortcut when the channel count changes. Attention and projections are 1×1 convolutions, so
// SEMU's subspace (which adapts every Conv2d and Linear weight) covers them.
import { Conv2d } from '../nn/conv.js';
import { Linear, Embedding } from '../nn/linear.js';
import { GroupNorm } from '../nn/normalization.js';
import { Dropout, SiLU } from '../nn/activation.js';
import { Sequential } from '../nn/container.js';
import { Module } from '../nn/module.js';
import { arange, cat, interpolate, silu, tidy, type Tensor } from '../torch/index.js';
import { resolveUNetConfig, type UNetConfig, type UNetPreset } from './config.js';

/** A named list of modules ("0", "1", ...) whose owner calls them itself (torch.nn.ModuleList). */
class ModuleList<M extends Module> extends Module {
  readonly items: M[] = [];
  add(m: M): M {
    this.registerModule(String(this.items.length), m);
    this.items.push(m);
    return m;
  }
  forward(): Tensor {
    throw new Error('ModuleList is a container: call its items');
  }
}

/** A module with named children only (one UNet level). */
class Level extends Module {
  readonly block = this.registerModule('block', new ModuleList<ResBlock>());
  readonly attn = this.registerModule('attn', new ModuleList<AttnBlock>());
  resample: Module | null = null;
  setResample(name: 'downsample' | 'upsample', m: Module): void {
    this.resample = this.registerModule(name, m);
  }
  forward(): Tensor {
    throw new Error('UNet level is a container: the UNet calls its blocks');
  }
}

function norm(groups: number, channels: number): GroupNorm {
  return new GroupNorm(Math.min(groups, channels), channels, { eps: 1e-6 });
}

/**
 * DDPM's sinusoidal timestep embedding: [sin(t·f_k), cos(t·f_k)] with f_k = 10000^(−k/(half−1)), k < dim/2.
 * t: [B] (any numeric dtype) → float32 [B, dim].
 */
export function timestepEmbedding(t: Tensor, dim: number): Tensor {
  if (!Number.isInteger(dim) || dim < 4 || dim % 2 !== 0) throw new RangeError(`timestepEmbedding: dim must be an even integer ≥ 4, got ${dim}`);
  const half = dim / 2;
  return tidy(() => {
    const freqs = arange(0, half, 1, { dtype: 'float32' }).mul(-Math.log(10000) / (half - 1)).exp();
    const args = t.to('float32').unsqueeze(1).mul(freqs.unsqueeze(0));
    return cat([args.sin(), args.cos()], 1);
  });
}

/**
 * The UNet's residual block: GroupNorm → SiLU → conv3×3, plus a projection of the embedding, then GroupNorm → SiLU →
 * dropout → conv3×3, added to the input (through a 1×1 conv `nin_shortcut` when the channel count changes).
 */
export class ResBlock extends Module {
  readonly norm1: GroupNorm;
  readonly conv1: Conv2d;
  readonly temb_proj: Linear;
  readonly norm2: GroupNorm;
  readonly dropout: Dropout;
  readonly conv2: Conv2d;
  readonly nin_shortcut: Conv2d | null;

  constructor(inChannels: number, outChannels: number, embChannels: number, dropout: number, groups: number) {
    super();
    this.norm1 = this.registerModule('norm1', norm(groups, inChannels));
    this.conv1 = this.registerModule('conv1', new Conv2d(inChannels, outChannels, 3, { padding: 1 }));
    this.temb_proj = this.registerModule('temb_proj', new Linear(embChannels, outChannels));
    this.norm2 = this.registerModule('norm2', norm(groups, outChannels));
    this.dropout = this.registerModule('dropout', new Dropout(dropout));
    this.conv2 = this.registerModule('conv2', new Conv2d(outChannels, outChannels, 3, { padding: 1 }));
    this.nin_shortcut = inChannels === outChannels ? null : this.registerModule('nin_shortcut', new Conv2d(inChannels, outChannels, 1));
  }

  /** x: [B, in, H, W]; emb: SiLU-activated embedding [B, embChannels]. */
  forward(x: Tensor, emb?: Tensor): Tensor {
    if (emb === undefined) throw new Error('ResBlock.forward(x, emb): the embedding is required');
    return tidy(() => {
      let h = this.conv1.forward(silu(this.norm1.forward(x)));
      h = h.add(this.temb_proj.forward(emb).unsqueeze(2).unsqueeze(3));
      h = this.conv2.forward(this.dropout.forward(silu(this.norm2.forward(h))));
      const skip = this.nin_shortcut === null ? x : this.nin_shortcut.forward(x);
      return skip.add(h);
    });
  }
}

/** Single-head self-attention over the H·W positions, with a residual connection. */
export class AttnBlock extends Module {
  readonly norm: GroupNorm;
  readonly q: Conv2d;
  readonly k: Conv2d;
  readonly v: Conv2d;
  readonly proj_out: Conv2d;

  constructor(channels: number, groups: number) {
    super();
    this.norm = this.registerModule('norm', norm(groups, channels));
    this.q = this.registerModule('q', new Conv2d(channels, channels, 1));
    this.k = this.registerModule('k', new Conv2d(channels, channels, 1));
    this.v = this.registerModule('v', new Conv2d(channels, channels, 1));
    this.proj_out = this.registerModule('proj_out', new Conv2d(channels, channels, 1));
  }

  forward(x: Tensor): Tensor {
    return tidy(() => {
      const [b, c, hh, ww] = x.shape as [number, number, number, number];
      const h = this.norm.forward(x);
      const q = this.q.forward(h).reshape(b, c, hh * ww);
      const k = this.k.forward(h).reshape(b, c, hh * ww);
      const v = this.v.forward(h).reshape(b, c, hh * ww);
      const w = q.transpose(1, 2).bmm(k).mul(c ** -0.5).softmax(2); // [b, i, j]: query i attends to key j
      const out = v.bmm(w.transpose(1, 2)).reshape(b, c, hh, ww);
      return x.add(this.proj_out.forward(out));
    });
  }
}

class Downsample extends Module {
  readonly conv: Conv2d;
  constructor(channels: number) {
    super();
    this.conv = this.registerModule('conv', new Conv2d(channels, channels, 3, { stride: 2, padding: 1 }));
  }
  forward(x: Tensor): Tensor {
    return this.conv.forward(x);
  }
}

class Upsample extends Module {
  readonly conv: Conv2d;
  constructor(channels: number) {
    super();
    this.conv = this.registerModule('conv', new Conv2d(channels, channels, 3, { padding: 1 }));
  }
  forward(x: Tensor): Tensor {
    return tidy(() => this.conv.forward(interpolate(x, { scaleFactor: 2, mode: 'nearest' })));
  }
}

/**
 * The class-conditional DDPM noise predictor ε(x_t, t, y) of the SalUn/SEMU diffusion references: a UNet with
 * residual blocks, attention at `attnResolutions` and a class embedding with one extra row, the null class that
 * classifier-free guidance uses. Built from a preset name ('tiny', 'small', 'base') or a UNetConfig.
 */
export class UNet extends Module {
  /** The resolved architecture (every field present), as checkpoints store it. */
  readonly config: UNetConfig;
  /** the class index of the learned null class (= numClasses) */
  readonly nullClass: number;
  readonly time_embed: Sequential;
  readonly class_embed: Embedding;
  readonly conv_in: Conv2d;
  readonly down: ModuleList<Level>;
  readonly mid_block_1: ResBlock;
  readonly mid_attn_1: AttnBlock;
  readonly mid_block_2: ResBlock;
  readonly up: ModuleList<Level>;
  readonly norm_out: GroupNorm;
  readonly conv_out: Conv2d;

  constructor(config: UNetPreset | (Partial<UNetConfig> & { preset?: UNetPreset }) = 'small') {
    super();
    const c = resolveUNetConfig(config);
    this.config = c;
    this.nullClass = c.numClasses;
    const ch = c.baseChannels;
    const emb = 4 * ch;
    this.time_embed = this.registerModule('time_embed', new Sequential(new Linear(ch, emb), new SiLU(), new Linear(emb, emb)));
    this.class_embed = this.registerModule('class_embed', new Embedding(c.numClasses + 1, emb));
    this.conv_in = this.registerModule('conv_in', new Conv2d(c.inChannels, ch, 3, { padding: 1 }));

    // Down path: record the channel count of every tensor pushed on the skip stack.
    this.down = this.registerModule('down', new ModuleList<Level>());
    const skips: number[] = [ch];
    let cur = ch;
    let res = c.imageSize;
    c.channelMults.forEach((mult, i) => {
      const level = this.down.add(new Level());
      for (let j = 0; j < c.numResBlocks; j++) {
        level.block.add(new ResBlock(cur, ch * mult, emb, c.dropout, c.groups));
        cur = ch * mult;
        if (c.attnResolutions.includes(res)) level.attn.add(new AttnBlock(cur, c.groups));
        skips.push(cur);
      }
      if (i !== c.channelMults.length - 1) {
        level.setResample('downsample', new Downsample(cur));
        res /= 2;
        skips.push(cur);
      }
    });

    this.mid_block_1 = this.registerModule('mid_block_1', new ResBlock(cur, cur, emb, c.dropout, c.groups));
    this.mid_attn_1 = this.registerModule('mid_attn_1', new AttnBlock(cur, c.groups));
    this.mid_block_2 = this.registerModule('mid_block_2', new ResBlock(cur, cur, emb, c.dropout, c.groups));

    // Up path, stored in the same level order as the down path (level 0 = full resolution), built from the bottom.
    this.up = this.registerModule('up', new ModuleList<Level>());
    const upLevels: Level[] = [];
    for (let i = c.channelMults.length - 1; i >= 0; i--) {
      const level = new Level();
      const out = ch * c.channelMults[i]!;
      for (let j = 0; j < c.numResBlocks + 1; j++) {
        level.block.add(new ResBlock(cur + skips.pop()!, out, emb, c.dropout, c.groups));
        cur = out;
        if (c.attnResolutions.includes(res)) level.attn.add(new AttnBlock(cur, c.groups));
      }
      if (i !== 0) {
        level.setResample('upsample', new Upsample(cur));
        res *= 2;
      }
      upLevels.unshift(level);
    }
    for (const l of upLevels) this.up.add(l);
    this.norm_out = this.registerModule('norm_out', norm(c.groups, cur));
    this.conv_out = this.registerModule('conv_out', new Conv2d(cur, c.inChannels, 3, { padding: 1 }));
  }

  /**
   * The predicted noise ε_θ(x_t, t, y): x [B, C, S, S] float, t [B] integer timesteps, y [B] int64 classes in
   * [0, numClasses] (numClasses = the null class, i.e. unconditional).
   */
  forward(x: Tensor, t?: Tensor, y?: Tensor): Tensor {
    if (t === undefined || y === undefined) throw new Error('UNet.forward(x, t, y): the timesteps t and class labels y are required');
    const c = this.config;
    const s = x.shape;
    if (s.length !== 4 || s[1] !== c.inChannels || s[2] !== c.imageSize || s[3] !== c.imageSize) {
      throw new Error(`UNet: expected images [B, ${c.inChannels}, ${c.imageSize}, ${c.imageSize}], got [${s.join(', ')}]`);
    }
    const b = s[0]!;
    if (t.ndim !== 1 || t.shape[0] !== b) throw new Error(`UNet: t must have shape [${b}], got [${t.shape.join(', ')}]`);
    if (y.ndim !== 1 || y.shape[0] !== b) throw new Error(`UNet: y must have shape [${b}], got [${y.shape.join(', ')}]`);
    if (y.dtype !== 'int64') throw new TypeError(`UNet: class labels y must be int64, got ${y.dtype}`);
    return tidy(() => {
      const emb = this.time_embed.forward(timestepEmbedding(t, c.baseChannels)).add(this.class_embed.forward(y));
      const act = silu(emb);
      const hs: Tensor[] = [this.conv_in.forward(x)];
      for (const level of this.down.items) {
        level.block.items.forEach((block, j) => {
          let h = block.forward(hs[hs.length - 1]!, act);
          const attn = level.attn.items[j];
          if (attn !== undefined) h = attn.forward(h);
          hs.push(h);
        });
        if (level.resample !== null) hs.push(level.resample.forward(hs[hs.length - 1]!));
      }
      let h = hs[hs.length - 1]!;
      h = this.mid_block_2.forward(this.mid_attn_1.forward(this.mid_block_1.forward(h, act)), act);
      for (let i = this.up.items.length - 1; i >= 0; i--) {
        const level = this.up.items[i]!;
        level.block.items.forEach((block, j) => {
          h = block.forward(cat([h, hs.pop()!], 1), act);
          const attn = level.attn.items[j];
          if (attn !== undefined) h = attn.forward(h);
        });
        if (level.resample !== null) h = level.resample.forward(h);
      }
      return this.conv_out.forward(silu(this.norm_out.forward(h)));
    });
  }
}
