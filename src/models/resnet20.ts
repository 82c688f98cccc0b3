// ResNet-20, CIFAR "option A" (He et al. 2016 §4.2; SalUn's models/ResNets.py `resnet20s`, after Idelbayev's
// pytorch_resnet_cifar10): 16/32/64 channels, 3 stages of 3 BasicBlocks, and a parameter-free shortcut that
// subsamples with stride 2 and zero-pads the new channels. Weights of every conv and of the Linear head are
// kaiming_normal (fan_in, gain √2); the head's bias keeps PyTorch's default. Parameter names: conv1, bn1,
// layer{1,2,3}.{0,1,2}.{conv1,bn1,conv2,bn2}, fc.
import { Conv2d } from '../nn/conv.js';
import { Sequential } from '../nn/container.js';
import { kaimingNormal_ } from '../nn/init.js';
import { Linear } from '../nn/linear.js';
import { Module } from '../nn/module.js';
import { BatchNorm2d } from '../nn/normalization.js';
import { avgPool2d, pad } from '../torch/functional.js';
import { tidy } from '../torch/scope.js';
import type { Tensor } from '../torch/tensor.js';
import { checkImageInput, ImageClassifier } from './classifier.js';
import { MODEL_OPTION_KEYS, withNormalization, type ModelOptions, type ModelSpec } from './spec.js';
import { refuseUnknownKeys } from '../util/options.js';

/** Option-A shortcut: x[:, :, ::2, ::2] zero-padded from inPlanes to planes channels. No parameters. */
export class PadShortcut extends Module {
  /** Zero channels added before the input's. */
  readonly padBefore: number;
  /** Zero channels added after the input's. */
  readonly padAfter: number;
  constructor(inPlanes: number, planes: number) {
    super();
    // The reference pads planes // 4 on each side (planes = 2 · inPlanes); this is the same split, in general form.
    this.padBefore = Math.floor((planes - inPlanes) / 2);
    this.padAfter = planes - inPlanes - this.padBefore;
  }
  forward(x: Tensor): Tensor {
    return tidy(() => pad(x.slice(2, 0, undefined, 2).slice(3, 0, undefined, 2), [0, 0, 0, 0, this.padBefore, this.padAfter]));
  }
  override extraRepr(): string {
    return `subsample=2, pad_channels=(${this.padBefore}, ${this.padAfter})`;
  }
}

/**
 * ResNet-20's block: conv3×3 → BN → ReLU → conv3×3 → BN, plus the shortcut (a PadShortcut when the shape changes, else
 * the identity), then ReLU.
 */
export class BasicBlockA extends Module {
  conv1: Conv2d;
  bn1: BatchNorm2d;
  conv2: Conv2d;
  bn2: BatchNorm2d;
  shortcut: Module;

  constructor(inPlanes: number, planes: number, stride = 1) {
    super();
    this.conv1 = this.registerModule('conv1', new Conv2d(inPlanes, planes, 3, { stride, padding: 1, bias: false }));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d(planes));
    this.conv2 = this.registerModule('conv2', new Conv2d(planes, planes, 3, { stride: 1, padding: 1, bias: false }));
    this.bn2 = this.registerModule('bn2', new BatchNorm2d(planes));
    const changes = stride !== 1 || inPlanes !== planes;
    this.shortcut = this.registerModule('shortcut', changes ? new PadShortcut(inPlanes, planes) : new Sequential());
  }

  forward(x: Tensor): Tensor {
    return tidy(() => {
      const out = this.bn2.forward(this.conv2.forward(this.bn1.forward(this.conv1.forward(x)).relu()));
      return out.add(this.shortcut.forward(x)).relu();
    });
  }
}

/** Options of resnet20(): defaults 3 input channels, 10 classes, no input normalisation. */
export type ResNet20Options = ModelOptions;

/**
 * CIFAR ResNet-20 option A (16/32/64 channels, 3 × 3 blocks, parameter-free shortcuts), with the reference's parameter
 * names. Use resnet20(), which also refuses unknown options.
 */
export class ResNet20 extends ImageClassifier {
  conv1: Conv2d;
  bn1: BatchNorm2d;
  layer1: Sequential;
  layer2: Sequential;
  layer3: Sequential;
  fc: Linear;

  /** The spec a model built from `opts` has: the defaults filled in, imageSize dropped (the network takes any size). */
  static specOf(opts: ResNet20Options = {}): ModelSpec {
    return withNormalization({ name: 'resnet20', inChannels: opts.inChannels ?? 3, numClasses: opts.numClasses ?? 10 }, opts);
  }

  constructor(opts: ResNet20Options = {}) {
    super(ResNet20.specOf(opts), 'fc');
    this.addNormalize();
    this.conv1 = this.registerModule('conv1', new Conv2d(this._spec.inChannels, 16, 3, { stride: 1, padding: 1, bias: false }));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d(16));
    let inPlanes = 16;
    const makeLayer = (name: string, planes: number, blocks: number, stride: number): Sequential => {
      const layer = new Sequential();
      for (let i = 0; i < blocks; i++) {
        layer.append(new BasicBlockA(inPlanes, planes, i === 0 ? stride : 1));
        inPlanes = planes;
      }
      return this.registerModule(name, layer);
    };
    this.layer1 = makeLayer('layer1', 16, 3, 1);
    this.layer2 = makeLayer('layer2', 32, 3, 2);
    this.layer3 = makeLayer('layer3', 64, 3, 2);
    this.fc = this.registerModule('fc', new Linear(64, this._spec.numClasses));
    // The reference's `self.apply(_weights_init)`: kaiming_normal_ with PyTorch's defaults on conv and Linear weights.
    this.apply((m) => {
      if (m instanceof Conv2d || m instanceof Linear) kaimingNormal_(m.weight);
    });
  }

  /** The 64-d globally pooled features. */
  features(x: Tensor): Tensor {
    checkImageInput('resnet20', x, this._spec.inChannels);
    return tidy(() => {
      let h = this.normalizeInput(x);
      h = this.bn1.forward(this.conv1.forward(h)).relu();
      h = this.layer3.forward(this.layer2.forward(this.layer1.forward(h)));
      // The reference's F.avg_pool2d(out, out.size(3)): one window over the whole (square) map.
      const [, , hh, ww] = h.shape;
      return avgPool2d(h, [hh!, ww!]).flatten(1);
    });
  }
}

/** CIFAR ResNet-20 option A (269,722 parameters for 3 input channels and 10 classes). */
export function resnet20(opts: ResNet20Options = {}): ResNet20 {
  refuseUnknownKeys('resnet20', opts, [...MODEL_OPTION_KEYS]);
  return new ResNet20(opts);
}
