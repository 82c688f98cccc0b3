// Lethe's models against PyTorch: seeded initialisation (bit for bit), logits of a deterministic weight pattern
// (eval mode), and one training-mode forward including the BatchNorm running statistics.
//
// The reference values were printed once by Debian's python3-torch 1.13.1 (built on the same libtorch as
// Lethe) running the script at the end of this file; its model definitions follow SalUn's models/ResNet.py
// (imagenet=False), models/ResNets.py (resnet20s) and the benchmark's CNN.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { arange, manualSeed, memory, noGrad, tidy, type Tensor } from '../../src/index.js';
import type { Module } from '../../src/nn/index.js';
import { createModel, resnet18, resnet20, type ModelSpec } from '../../src/models/index.js';
import { baselineMemory } from '../baseline.js';

function values(t: Tensor): number[] {
  return Array.from(t.toTypedArray() as Float32Array);
}
function close(actual: readonly number[], expected: readonly number[], tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  actual.forEach((a, i) => assert.ok(Math.abs(a - expected[i]!) <= tol, `${what}[${i}]: ${a} vs ${expected[i]}`));
}

/** The Python script's fill_pattern, op for op (float64 torch ops, then rounded to float32 by copy_). */
function fillPattern(model: Module): void {
  tidy(() =>
    noGrad(() => {
      let i = -1;
      for (const [name, t] of model.stateDict()) {
        i++;
        if (name.endsWith('num_batches_tracked') || name.startsWith('normalize.')) continue;
        const n = t.numel();
        const base = arange(n, undefined, 1, { dtype: 'float64' }).mul(0.7).add(0.3 * i).sin();
        let v: Tensor;
        if (name.endsWith('running_var')) v = base.abs().mul(0.5).add(0.75);
        else if (name.endsWith('running_mean')) v = base.mul(0.1);
        else if (t.ndim >= 2) v = base.mul(Math.sqrt(1.0 / (n / t.shape[0]!)));
        else if (name.endsWith('weight')) v = base.mul(0.2).add(0.5);
        else v = base.mul(0.1);
        t.copy_(v.reshape(t.shape)); // t aliases the model's tensor (stateDict shares storage)
      }
    }),
  );
}

function patternInput(shape: number[]): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tidy(() => arange(n, undefined, 1, { dtype: 'float64' }).mul(0.013).sin().add(1).mul(0.5).float().reshape(shape));
}

const CIFAR = { mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.2435, 0.2616] };
const FMNIST = { mean: [0.286], std: [0.353] };

test('seeded resnet20 initialisation equals PyTorch bit for bit', () => {
  const base = baselineMemory();
  manualSeed(0);
  const m = resnet20();
  assert.deepEqual(values(m.conv1.weight).slice(0, 6), [-0.25560250878334045, -0.10799900442361832, 0.08158154785633087, 0.2965761423110962, -0.3991929590702057, -0.028172383084893227]);
  assert.deepEqual(values(m.fc.weight).slice(0, 4), [-0.08074184507131577, -0.16564331948757172, -0.16250191628932953, -0.005777348298579454]);
  assert.deepEqual(values(m.fc.bias!), [0.11209645867347717, -0.0658978521823883, 0.11753486096858978, 0.041683271527290344, -0.11634472012519836, -0.12073995172977448, -0.10112650692462921, 0.024803876876831055, -0.006496131420135498, 0.025349989533424377]);
  const blockConv = m.getSubmodule('layer3.2.conv2') as unknown as { weight: Tensor };
  tidy(() => assert.equal(blockConv.weight.double().sum().item(), -0.3024912373545021));
  let total = 0;
  for (const p of m.parameters()) total += tidy(() => p.double().sum().item());
  assert.equal(total, 629.5195555757706);
  m.dispose();
  assert.deepEqual(memory(), base);
});

test('seeded resnet18 initialisation equals PyTorch bit for bit (downsample built before its block, as torchvision)', () => {
  const base = baselineMemory();
  manualSeed(1);
  const m = resnet18();
  assert.deepEqual(values(m.conv1.weight).slice(0, 4), [-0.10129304975271225, -0.05975423380732536, 0.05329330265522003, -0.12308254837989807]);
  const ds = m.getSubmodule('layer2.0.downsample.0') as unknown as { weight: Tensor };
  assert.deepEqual(values(ds.weight).slice(0, 4), [0.02300049550831318, 0.10182354599237442, 0.16109494864940643, -0.07032240182161331]);
  assert.deepEqual(values(m.fc.bias!), [0.014664100483059883, -0.020145418122410774, -0.017750613391399384, 0.03807052597403526, 0.024171307682991028, -0.00816914439201355, 0.010455094277858734, -0.017570825293660164, 0.03291101008653641, 0.026466166600584984]);
  assert.deepEqual(values(m.fc.weight).slice(0, 4), [0.01147165521979332, -0.00027963906177319586, 0.03136080130934715, -0.005369787570089102]);
  const last = m.getSubmodule('layer4.1.conv2') as unknown as { weight: Tensor };
  tidy(() => assert.equal(last.weight.double().sum().item(), -33.11275552460776));
  m.dispose();
  assert.deepEqual(memory(), base);
});

const EVAL_CASES: [ModelSpec, number[], number[]][] = [
  [{ name: 'resnet18', inChannels: 3, numClasses: 10, ...CIFAR }, [2, 3, 32, 32], [1.403275489807129, 1.1924866437911987, 0.9064905643463135, 0.5374510288238525, 0.09378707408905029, -0.3928174376487732, -0.8705606460571289, -1.2801260948181152, -1.571596384048462, -1.7184510231018066, 0.8501776456832886, 0.7712684869766235, 0.6451289653778076, 0.45330554246902466, 0.19244642555713654, -0.11790600419044495, -0.4376565217971802, -0.7179825305938721, -0.9175502061843872, -1.0159435272216797]],
  [{ name: 'resnet20', inChannels: 1, numClasses: 10, ...FMNIST }, [2, 1, 28, 28], [-0.06129884719848633, -0.23884321749210358, -0.28071436285972595, -0.1602005511522293, 0.05384376645088196, 0.2370782345533371, 0.283121258020401, 0.16635577380657196, -0.043517809361219406, -0.22360903024673462, -0.0817832350730896, -0.3179895877838135, -0.36848631501197815, -0.20110833644866943, 0.08566205203533173, 0.32150697708129883, 0.36678454279899597, 0.19636142253875732, -0.08613943308591843, -0.3119124174118042]],
  [{ name: 'smallcnn', inChannels: 1, numClasses: 10 }, [2, 1, 28, 28], [0.36265459656715393, -0.07428986579179764, -0.2974933683872223, 0.05451643466949463, 0.14587558805942535, -0.23632371425628662, -0.22007472813129425, 0.2675308287143707, 0.2945106029510498, -0.1416420042514801, 0.36414989829063416, -0.07180090248584747, -0.2993100881576538, 0.052262112498283386, 0.14798343181610107, -0.2343415915966034, -0.2224385142326355, 0.2658539116382599, 0.29709088802337646, -0.1402982473373413]],
  [{ name: 'mlp', inChannels: 1, numClasses: 10, hiddenSizes: [256, 128] }, [2, 1, 28, 28], [0.40519222617149353, -0.03356359153985977, -0.2667437195777893, 0.10769490152597427, 0.17943128943443298, -0.28283947706222534, -0.30197614431381226, 0.23048490285873413, 0.2915472984313965, -0.14720970392227173, 0.40516936779022217, -0.03350282460451126, -0.2667286694049835, 0.10763218253850937, 0.17942440509796143, -0.2827758491039276, -0.3019775152206421, 0.23042142391204834, 0.2915567457675934, -0.14714746177196503]],
];

for (const [spec, shape, expected] of EVAL_CASES) {
  test(`${spec.name}: eval-mode logits of the weight pattern match PyTorch to 1e-4`, () => {
    const base = baselineMemory();
    const m = createModel(spec);
    fillPattern(m);
    m.eval();
    tidy(() => close(values(noGrad(() => m.forward(patternInput(shape)))), expected, 1e-4, `${spec.name} logits`));
    m.dispose();
    assert.deepEqual(memory(), base);
  });
}

test('resnet20: a training-mode forward matches PyTorch, logits and BatchNorm running statistics', () => {
  const base = baselineMemory();
  const m = resnet20({ inChannels: 1, numClasses: 10, ...FMNIST });
  fillPattern(m);
  m.train();
  tidy(() => close(values(m.forward(patternInput([4, 1, 28, 28]))), [-0.012903094291687012, -0.31162822246551514, -0.42866528034210205, -0.28978249430656433, 0.024552762508392334, 0.3265959322452545, 0.4348544478416443, 0.28437840938568115, -0.03381992131471634, -0.3283669352531433, -0.13016796112060547, -0.693425178527832, -0.8336213827133179, -0.4618837535381317, 0.1941092312335968, 0.7306163907051086, 0.8179160952568054, 0.40430912375450134, -0.25284072756767273, -0.747873842716217, 0.04778912663459778, -0.2552611827850342, -0.4122587740421295, -0.32370874285697937, -0.03825801983475685, 0.27460983395576477, 0.4265587031841278, 0.3250175416469574, 0.03006206825375557, -0.28162842988967896, -0.14141415059566498, -0.5492233037948608, -0.625136137008667, -0.3209199905395508, 0.1784338504076004, 0.5682117342948914, 0.6114548444747925, 0.2843163311481476, -0.21050530672073364, -0.5699747204780579], 1e-4, 'train logits'));
  close(values(m.bn1.runningMean!), [0.08942955732345581, 0.07240311801433563, 0.02115442231297493, -0.040221214294433594, -0.08286555856466293, -0.08672993630170822, -0.05000445619225502, 0.010030779987573624, 0.06513281166553497, 0.08937887102365494, 0.0713583305478096, 0.019539250060915947, -0.04171426594257355, -0.08360086381435394, -0.08642769604921341, -0.04887224733829498], 1e-5, 'bn1.running_mean');
  close(values(m.bn1.runningVar!), [1.1409388780593872, 0.9717836976051331, 0.7284902334213257, 1.0114542245864868, 1.1488454341888428, 1.0759176015853882, 0.8268349766731262, 0.8829694986343384, 1.1048834323883057, 1.1365820169448853, 0.9630005955696106, 0.7332518696784973, 1.0140137672424316, 1.1466434001922607, 1.0685880184173584, 0.8163788914680481], 1e-5, 'bn1.running_var');
  const bn = m.getSubmodule('layer3.2.bn2') as unknown as { runningVar: Tensor; numBatchesTracked: Tensor };
  close(values(bn.runningVar).slice(0, 4), [0.8959649801254272, 0.924003005027771, 1.1363444328308105, 1.1843523979187012], 1e-5, 'layer3.2.bn2.running_var');
  assert.equal(bn.numBatchesTracked.item(), 1);
  m.dispose();
  assert.deepEqual(memory(), base);
});

// ---- the reference script (python3 with Debian's python3-torch 1.13.1) -------------------------------------
// import math, torch, torch.nn as nn, torch.nn.functional as F
// torch.set_printoptions(precision=8)
//
// class Normalize(nn.Module):
//     def __init__(self, mean, std):
//         super().__init__()
//         self.register_buffer("mean", torch.tensor(mean)); self.register_buffer("std", torch.tensor(std))
//     def forward(self, x): return x.sub(self.mean[None,:,None,None]).div(self.std[None,:,None,None])
//
// class Block18(nn.Module):
//     def __init__(self, inp, planes, stride=1, downsample=None):
//         super().__init__()
//         self.conv1 = nn.Conv2d(inp, planes, 3, stride, 1, bias=False); self.bn1 = nn.BatchNorm2d(planes)
//         self.relu = nn.ReLU(inplace=True)
//         self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False); self.bn2 = nn.BatchNorm2d(planes)
//         self.downsample = downsample
//     def forward(self, x):
//         out = self.relu(self.bn1(self.conv1(x))); out = self.bn2(self.conv2(out))
//         idt = x if self.downsample is None else self.downsample(x)
//         return self.relu(out + idt)
//
// class ResNet18(nn.Module):
//     def __init__(self, in_ch=3, num_classes=10, mean=None, std=None):
//         super().__init__()
//         if mean is not None: self.normalize = Normalize(mean, std)
//         self.inplanes = 64
//         self.conv1 = nn.Conv2d(in_ch, 64, 3, 1, 1, bias=False); self.bn1 = nn.BatchNorm2d(64)
//         self.relu = nn.ReLU(inplace=True); self.maxpool = nn.Identity()
//         self.layer1 = self._make(64, 2, 1); self.layer2 = self._make(128, 2, 2)
//         self.layer3 = self._make(256, 2, 2); self.layer4 = self._make(512, 2, 2)
//         self.avgpool = nn.AdaptiveAvgPool2d((1, 1)); self.fc = nn.Linear(512, num_classes)
//         for m in self.modules():
//             if isinstance(m, nn.Conv2d): nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')
//             elif isinstance(m, nn.BatchNorm2d): nn.init.constant_(m.weight, 1); nn.init.constant_(m.bias, 0)
//     def _make(self, planes, n, stride):
//         ds = None
//         if stride != 1 or self.inplanes != planes:
//             ds = nn.Sequential(nn.Conv2d(self.inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))
//         layers = [Block18(self.inplanes, planes, stride, ds)]; self.inplanes = planes
//         for _ in range(1, n): layers.append(Block18(planes, planes))
//         return nn.Sequential(*layers)
//     def forward(self, x):
//         if hasattr(self, 'normalize'): x = self.normalize(x)
//         x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
//         x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
//         return self.fc(torch.flatten(self.avgpool(x), 1))
//
// class Lambda(nn.Module):
//     def __init__(self, f): super().__init__(); self.f = f
//     def forward(self, x): return self.f(x)
//
// class Block20(nn.Module):
//     def __init__(self, inp, planes, stride=1):
//         super().__init__()
//         self.conv1 = nn.Conv2d(inp, planes, 3, stride, 1, bias=False); self.bn1 = nn.BatchNorm2d(planes)
//         self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False); self.bn2 = nn.BatchNorm2d(planes)
//         self.shortcut = nn.Sequential()
//         if stride != 1 or inp != planes:
//             self.shortcut = Lambda(lambda x: F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, planes//4, planes//4), "constant", 0))
//     def forward(self, x):
//         out = F.relu(self.bn1(self.conv1(x))); out = self.bn2(self.conv2(out))
//         return F.relu(out + self.shortcut(x))
//
// def winit(m):
//     if isinstance(m, (nn.Linear, nn.Conv2d)): nn.init.kaiming_normal_(m.weight)
//
// class ResNet20(nn.Module):
//     def __init__(self, in_ch=3, num_classes=10, mean=None, std=None):
//         super().__init__()
//         self.in_planes = 16
//         if mean is not None: self.normalize = Normalize(mean, std)
//         self.conv1 = nn.Conv2d(in_ch, 16, 3, 1, 1, bias=False); self.bn1 = nn.BatchNorm2d(16)
//         self.layer1 = self._make(16, 3, 1); self.layer2 = self._make(32, 3, 2); self.layer3 = self._make(64, 3, 2)
//         self.fc = nn.Linear(64, num_classes)
//         self.apply(winit)
//     def _make(self, planes, n, stride):
//         layers = []
//         for s in [stride] + [1]*(n-1):
//             layers.append(Block20(self.in_planes, planes, s)); self.in_planes = planes
//         return nn.Sequential(*layers)
//     def forward(self, x):
//         if hasattr(self, 'normalize'): x = self.normalize(x)
//         out = F.relu(self.bn1(self.conv1(x)))
//         out = self.layer3(self.layer2(self.layer1(out)))
//         out = F.avg_pool2d(out, out.size()[3])
//         return self.fc(out.view(out.size(0), -1))
//
// class SmallCNN(nn.Module):
//     def __init__(self, in_ch=1, num_classes=10, image=28):
//         super().__init__()
//         self.conv1 = nn.Conv2d(in_ch, 32, 3); self.conv2 = nn.Conv2d(32, 64, 3)
//         s = (image - 4) // 2
//         self.fc1 = nn.Linear(64*s*s, 128); self.fc2 = nn.Linear(128, num_classes)
//     def forward(self, x):
//         x = F.relu(self.conv1(x)); x = F.relu(self.conv2(x)); x = F.max_pool2d(x, 2).flatten(1)
//         return self.fc2(F.relu(self.fc1(x)))
//
// class MLP(nn.Module):
//     def __init__(self, in_features, hidden, num_classes):
//         super().__init__()
//         dims = [in_features] + hidden
//         for i in range(len(hidden)): setattr(self, f'fc{i+1}', nn.Linear(dims[i], dims[i+1]))
//         setattr(self, f'fc{len(hidden)+1}', nn.Linear(dims[-1], num_classes))
//         self.n = len(hidden)
//     def forward(self, x):
//         x = x.flatten(1)
//         for i in range(self.n): x = F.relu(getattr(self, f'fc{i+1}')(x))
//         return getattr(self, f'fc{self.n+1}')(x)
//
// def fill_pattern(model):
//     with torch.no_grad():
//         for i, (name, t) in enumerate(model.state_dict().items()):
//             if name.endswith('num_batches_tracked') or name.startswith('normalize.'): continue
//             n = t.numel()
//             base = torch.arange(n, dtype=torch.float64).mul(0.7).add(0.3 * i).sin()
//             if name.endswith('running_var'): v = base.abs().mul(0.5).add(0.75)
//             elif name.endswith('running_mean'): v = base.mul(0.1)
//             elif t.dim() >= 2: v = base.mul(math.sqrt(1.0 / (n // t.shape[0])))
//             elif name.endswith("weight"): v = base.mul(0.2).add(0.5)
//             else: v = base.mul(0.1)
//             t.copy_(v.reshape(t.shape))
//
// def pattern_input(shape):
//     n = 1
//     for s in shape: n *= s
//     return torch.arange(n, dtype=torch.float64).mul(0.013).sin().add(1).mul(0.5).float().reshape(shape)
//
// def fmt(t): return '[' + ', '.join(repr(float(v)) for v in t.flatten().tolist()) + ']'
//
// CIFAR = dict(mean=[0.4914, 0.4822, 0.4465], std=[0.2470, 0.2435, 0.2616])
// FM = dict(mean=[0.2860], std=[0.3530])
// print('--- seeded init')
// torch.manual_seed(0); l = nn.Linear(4, 3); print('linear w', fmt(l.weight)); print('linear b', fmt(l.bias))
// torch.manual_seed(0); c = nn.Conv2d(2, 3, 3, groups=1); print('conv w[:5]', fmt(c.weight.flatten()[:5])); print('conv b', fmt(c.bias))
// torch.manual_seed(0); e = nn.Embedding(5, 3, padding_idx=1); print('emb', fmt(e.weight))
// torch.manual_seed(0); m = ResNet20()
// print('r20 conv1[:6]', fmt(m.conv1.weight.flatten()[:6])); print('r20 fc.w[:4]', fmt(m.fc.weight.flatten()[:4])); print('r20 fc.b', fmt(m.fc.bias))
// print('r20 l3.2.conv2 sum', repr(m.layer3[2].conv2.weight.double().sum().item()))
// print('r20 total sum', repr(sum(p.double().sum().item() for p in m.parameters())))
// torch.manual_seed(1); m = ResNet18()
// print('r18 conv1[:4]', fmt(m.conv1.weight.flatten()[:4])); print('r18 ds[:4]', fmt(m.layer2[0].downsample[0].weight.flatten()[:4]))
// print('r18 fc.b', fmt(m.fc.bias)); print('r18 fc.w[:4]', fmt(m.fc.weight.flatten()[:4]))
// print('r18 l4.1.conv2 sum', repr(m.layer4[1].conv2.weight.double().sum().item()))
// print('--- pattern logits (eval)')
// for name, m, shape in [('r18', ResNet18(3, 10, **CIFAR), (2,3,32,32)), ('r20', ResNet20(1, 10, **FM), (2,1,28,28)), ('cnn', SmallCNN(1, 10, 28), (2,1,28,28)), ('mlp', MLP(784, [256,128], 10), (2,1,28,28))]:
//     fill_pattern(m); m.eval()
//     with torch.no_grad(): y = m(pattern_input(shape))
//     print(name, fmt(y))
// print('--- train-mode resnet20')
// m = ResNet20(1, 10, **FM); fill_pattern(m); m.train()
// y = m(pattern_input((4,1,28,28)))
// print('logits', fmt(y))
// print('bn1.rm', fmt(m.bn1.running_mean)); print('bn1.rv', fmt(m.bn1.running_var))
// print('l3.2.bn2.rv[:4]', fmt(m.layer3[2].bn2.running_var[:4])); print('nbt', m.bn1.num_batches_tracked.item())
