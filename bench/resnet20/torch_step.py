# The PyTorch side of bench/resnet20/{train,pipeline}-compare: resnet20 (CIFAR option A, 1 input channel) on
# Fashion-MNIST with the same loop as bench/resnet20/lethe-server.ts, as a line-protocol server driven in lockstep
# with the Lethe server (bench/child-line-channel.ts):
#
#   stdout `READY {json}` after the warm-up; then, per stdin line,
#   TRAIN n  -> n training steps (batch --batch, SGD lr 0.1 momentum 0.9 wd 5e-4, cross-entropy) on fixed
#               pre-converted batches     -> `TIMES <last loss> <process CPU ms> <ms per step> ...`
#   EVAL n   -> n forward passes under no_grad on fixed batches of --eval-batch   -> same TIMES line
#   EPOCH    -> one end-to-end epoch over the --subset images: a torchvision-style per-sample pipeline
#               (Dataset.__getitem__ converts, pads, random-crops and flips one image; DataLoader batch --batch,
#               shuffle, num_workers=0) feeding the training step   -> `TIMES <last loss> <CPU ms> <epoch ms>`
#   DATA     -> the same data pipeline for one epoch without training -> `TIMES 0 <CPU ms> <epoch ms>`
#   QUIT     -> `DONE {json}`
#
# torchvision may not be installed, so the per-sample transforms are written with torch ops; they do what
# ToTensor + RandomCrop(28, padding=4) + RandomHorizontalFlip do on a tensor image (minus PIL decoding, which
# makes this pipeline slightly *cheaper* than a real torchvision one).
#
# Run with Debian's interpreter: /usr/bin/python3 bench/resnet20/torch_step.py --threads 2 ...
import argparse
import gzip
import json
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

FASHION_DIR = '/usr/share/datasets/fashion-mnist'


def read_idx(path, header):
    with gzip.open(path, 'rb') as f:
        data = f.read()
    return torch.frombuffer(bytearray(data[header:]), dtype=torch.uint8)


def load_train():
    images = read_idx(os.path.join(FASHION_DIR, 'train-images-idx3-ubyte.gz'), 16).view(-1, 1, 28, 28)
    labels = read_idx(os.path.join(FASHION_DIR, 'train-labels-idx1-ubyte.gz'), 8).long()
    return images, labels


# ---- the model: Idelbayev's / SalUn's resnet20 option A, normalisation folded in like Lethe's ----

class PadShortcut(nn.Module):
    def __init__(self, planes):
        super().__init__()
        self.p = planes // 4

    def forward(self, x):
        return F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.p, self.p))


class BasicBlock(nn.Module):
    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = PadShortcut(planes) if stride != 1 or in_planes != planes else nn.Sequential()

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNet20(nn.Module):
    def __init__(self, in_channels=1, num_classes=10, mean=(0.286,), std=(0.353,)):
        super().__init__()
        self.register_buffer('mean', torch.tensor(mean).view(1, -1, 1, 1))
        self.register_buffer('std', torch.tensor(std).view(1, -1, 1, 1))
        self.conv1 = nn.Conv2d(in_channels, 16, 3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.in_planes = 16
        self.layer1 = self._layer(16, 1)
        self.layer2 = self._layer(32, 2)
        self.layer3 = self._layer(64, 2)
        self.fc = nn.Linear(64, num_classes)
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(m.weight)

    def _layer(self, planes, stride):
        blocks = []
        for s in [stride, 1, 1]:
            blocks.append(BasicBlock(self.in_planes, planes, s))
            self.in_planes = planes
        return nn.Sequential(*blocks)

    def forward(self, x):
        x = (x - self.mean) / self.std
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer3(self.layer2(self.layer1(out)))
        out = F.avg_pool2d(out, out.size(3)).flatten(1)
        return self.fc(out)


# ---- the torchvision-style per-sample pipeline ----

class PerSampleFashion(torch.utils.data.Dataset):
    """One uint8 image at a time: ToTensor, RandomCrop(28, padding=4), RandomHorizontalFlip(0.5)."""

    def __init__(self, images, labels, indices, pad=4):
        self.images = images
        self.labels = labels
        self.indices = indices
        self.pad = pad

    def __len__(self):
        return len(self.indices)

    def __getitem__(self, i):
        k = self.indices[i]
        img = self.images[k].float().div(255)  # ToTensor
        h, w = img.shape[1], img.shape[2]
        padded = F.pad(img, (self.pad, self.pad, self.pad, self.pad))
        top = int(torch.randint(0, 2 * self.pad + 1, (1,)).item())
        left = int(torch.randint(0, 2 * self.pad + 1, (1,)).item())
        img = padded[:, top:top + h, left:left + w]
        if torch.rand(1).item() < 0.5:
            img = img.flip(-1)
        return img, int(self.labels[k])


def cpu_ms():
    t = os.times()
    return (t.user + t.system) * 1000.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--threads', type=int, required=True)
    ap.add_argument('--batch', type=int, default=256)
    ap.add_argument('--eval-batch', type=int, default=512)
    ap.add_argument('--warmup', type=int, default=2)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--subset', type=str, default='', help='file with one dataset index per line (EPOCH/DATA)')
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    images, labels = load_train()
    model = ResNet20()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)

    # Fixed batches for TRAIN / EVAL: converted once, so those commands time compute only.
    nfix = 4
    train_x = images[: nfix * a.batch].float().div(255)
    train_y = labels[: nfix * a.batch]
    eval_x = images[: 2 * a.eval_batch].float().div(255)

    def train_step(x, y):
        logits = model(x)
        loss = F.cross_entropy(logits, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss.item()

    counter = {'train': 0, 'eval': 0}

    def fixed_train_step():
        j = counter['train'] % nfix
        counter['train'] += 1
        model.train()
        return train_step(train_x[j * a.batch:(j + 1) * a.batch], train_y[j * a.batch:(j + 1) * a.batch])

    def fixed_eval_step():
        j = counter['eval'] % 2
        counter['eval'] += 1
        model.eval()
        with torch.no_grad():
            return float(model(eval_x[j * a.eval_batch:(j + 1) * a.eval_batch]).sum().item())

    loader = None
    if a.subset:
        with open(a.subset) as f:
            indices = [int(line) for line in f if line.strip()]
        g = torch.Generator()
        g.manual_seed(a.seed)
        loader = torch.utils.data.DataLoader(PerSampleFashion(images, labels, indices), batch_size=a.batch,
                                             shuffle=True, num_workers=0, generator=g)

    first_loss = float('nan')
    for i in range(a.warmup):
        l = fixed_train_step()
        fixed_eval_step()
        if i == 0:
            first_loss = l
    meta = {'impl': 'pytorch', 'torch': torch.__version__, 'threads': torch.get_num_threads(), 'batch': a.batch,
            'evalBatch': a.eval_batch, 'firstLoss': first_loss,
            'params': sum(p.numel() for p in model.parameters())}
    print('READY ' + json.dumps(meta), flush=True)

    for line in sys.stdin:
        parts = line.split()
        if not parts:
            continue
        cmd = parts[0]
        if cmd == 'QUIT':
            break
        c0 = cpu_ms()
        times = []
        loss = 0.0
        if cmd in ('TRAIN', 'EVAL'):
            fn = fixed_train_step if cmd == 'TRAIN' else fixed_eval_step
            for _ in range(int(parts[1])):
                t0 = time.perf_counter()
                loss = fn()
                times.append((time.perf_counter() - t0) * 1000)
        elif cmd in ('EPOCH', 'DATA') and loader is not None:
            t0 = time.perf_counter()
            model.train()
            for x, y in loader:
                if cmd == 'EPOCH':
                    loss = train_step(x, y)
            times.append((time.perf_counter() - t0) * 1000)
        else:
            raise SystemExit(f'bad command {line.strip()!r} (TRAIN n, EVAL n, EPOCH, DATA with --subset, QUIT)')
        print(f'TIMES {loss} {cpu_ms() - c0:.4f} ' + ' '.join(f'{t:.4f}' for t in times), flush=True)
    print('DONE ' + json.dumps({}), flush=True)


if __name__ == '__main__':
    main()
