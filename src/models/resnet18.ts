// ResNet-18, CIFAR variant (SalUn's models/ResNet.py with imagenet=False; research/salun.md §5):
// 3×3 stride-1 stem without max-pool, torchvision BasicBlocks [2, 2, 2, 2] at 64/128/256/512 channels,
// 1×1-conv + BN `downsample` shortcuts when the shape changes, global average pool, Linear head `fc`.
// Parameter names are torchvision's, so state dicts and saliency masks line up with the reference code.
import { Conv2d } from '../nn/conv.js';
import { Identity, ReLU } from '../nn/activation.js';
import { kaimingNormal_, ones_, zeros_ } from '../nn/init.js';
import { Linear } from '../nn/linear.js';
import { Module } from '../nn/module.js';
import { BatchNorm2d } from '../nn/normalization.js';
import { AdaptiveAvgPool2d } from '../nn/pooling.js';
import { Sequential } from '../nn/container.js';
import { tidy } from '../torch/scope.js';
import type { Tensor } from '../torch/tensor.js';
import { checkImageInput, ImageClassifier } from './classifier.js';
import { MODEL_OPTION_KEYS, withNormalization, type ModelOptions, type ModelSpec } from './spec.js';
import { refuseUnknownKeys } from '../util/options.js';

/** torchvision's BasicBlock: conv3×3 → BN → ReLU → conv3×3 → BN, plus the (optionally downsampled) input, then ReLU. */
export class BasicBlock extends Module {
  conv1: Conv2d;
  bn1: BatchNorm2d;
  relu: ReLU;
  conv2: Conv2d;
  bn2: BatchNorm2d;
  downsample: Sequential | null;

  /**
   * `downsample` is built by the caller *before* the block, as torchvision's _make_layer does: that order of
   * construction is what makes seeded initialisation draw the same random numbers as PyTorch.
   */
  constructor(inPlanes: number, planes: number, stride = 1, downsample: Sequential | null = null) {
    super();
    this.conv1 = this.registerModule('conv1', new Conv2d(inPlanes, planes, 3, { stride, padding: 1, bias: false }));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d(planes));
    this.relu = this.registerModule('relu', new ReLU());
    this.conv2 = this.registerModule('conv2', new Conv2d(planes, planes, 3, { stride: 1, padding: 1, bias: false }));
    this.bn2 = this.registerModule('bn2', new BatchNorm2d(planes));
    this.downsample = downsample === null ? null : this.registerModule('downsample', downsample);
  }

  forward(x: Tensor): Tensor {
    return tidy(() => {
      const out = this.bn2.forward(this.conv2.forward(this.bn1.forward(this.conv1.forward(x)).relu()));
      const identity = this.downsample === null ? x : this.downsample.forward(x);
      return out.add(identity).relu();
    });
  }
}

/** Options of resnet18(): defaults 3 input channels, 10 classes, no input normalisation. */
export type ResNet18Options = ModelOptions;

/**
 * CIFAR ResNet-18 (3×3 stem, no max-pool, 64–512 channels), with torchvision's submodule and parameter names, so state
 * dicts match the reference's. Use resnet18(), which also refuses unknown options.
 */
export class ResNet18 extends ImageClassifier {
  conv1: Conv2d;
  bn1: BatchNorm2d;
  relu: ReLU;
  maxpool: Identity;
  layer1: Sequential;
  layer2: Sequential;
  layer3: Sequential;
  layer4: Sequential;
  avgpool: AdaptiveAvgPool2d;
  fc: Linear;

  /** The spec a model built from `opts` has: the defaults filled in, imageSize dropped (the network takes any size). */
  static specOf(opts: ResNet18Options = {}): ModelSpec {
    return withNormalization({ name: 'resnet18', inChannels: opts.inChannels ?? 3, numClasses: opts.numClasses ?? 10 }, opts);
  }

  constructor(opts: ResNet18Options = {}) {
    super(ResNet18.specOf(opts), 'fc');
    this.addNormalize();
    const inChannels = this._spec.inChannels;
    this.conv1 = this.registerModule('conv1', new Conv2d(inChannels, 64, 3, { stride: 1, padding: 1, bias: false }));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d(64));
    this.relu = this.registerModule('relu', new ReLU());
    this.maxpool = this.registerModule('maxpool', new Identity());
    let inPlanes = 64;
    const makeLayer = (name: string, planes: number, blocks: number, stride: number): Sequential => {
      let downsample: Sequential | null = null;
      if (stride !== 1 || inPlanes !== planes) {
        downsample = new Sequential(new Conv2d(inPlanes, planes, 1, { stride, bias: false }), new BatchNorm2d(planes));
      }
      const layer = new Sequential(new BasicBlock(inPlanes, planes, stride, downsample));
      inPlanes = planes;
      for (let i = 1; i < blocks; i++) layer.append(new BasicBlock(inPlanes, planes));
      return this.registerModule(name, layer);
    };
    this.layer1 = makeLayer('layer1', 64, 2, 1);
    this.layer2 = makeLayer('layer2', 128, 2, 2);
    this.layer3 = makeLayer('layer3', 256, 2, 2);
    this.layer4 = makeLayer('layer4', 512, 2, 2);
    this.avgpool = this.registerModule('avgpool', new AdaptiveAvgPool2d(1));
    this.fc = this.registerModule('fc', new Linear(512, this._spec.numClasses));
    // The reference's init: conv kaiming_normal(fan_out, relu), BN γ=1 β=0, Linear left at PyTorch's default.
    for (const m of this.modules()) {
      if (m instanceof Conv2d) kaimingNormal_(m.weight, { mode: 'fan_out', nonlinearity: 'relu' });
      else if (m instanceof BatchNorm2d) {
        if (m.weight !== null) ones_(m.weight);
        if (m.bias !== null) zeros_(m.bias);
      }
    }
  }

  /** The 512-d globally pooled features. */
  features(x: Tensor): Tensor {
    checkImageInput('resnet18', x, this._spec.inChannels);
    return tidy(() => {
      let h = this.normalizeInput(x);
      h = this.maxpool.forward(this.bn1.forward(this.conv1.forward(h)).relu());
      h = this.layer4.forward(this.layer3.forward(this.layer2.forward(this.layer1.forward(h))));
      return this.avgpool.forward(h).flatten(1);
    });
  }
}

/** CIFAR ResNet-18 (11,173,962 parameters for 3 input channels and 10 classes). */
export function resnet18(opts: ResNet18Options = {}): ResNet18 {
  refuseUnknownKeys('resnet18', opts, [...MODEL_OPTION_KEYS]);
  return new ResNet18(opts);
}
