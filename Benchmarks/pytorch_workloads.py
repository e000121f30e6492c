"""The workloads of docs/ARCHITECTURE.md §5 in PyTorch, for the side-by-side comparison with zoo-bench.

Each workload is the one zoo-bench runs from Benchmarks/manifests (same shapes, layers, optimiser,
BatchFormer settings and two-stream rule):

  w1.train.bf          MLP 784→1024→1024 (ReLU), BatchFormer V1 (d 1024, 4 heads, ffn 1024,
                       dropout 0.5), two-stream, linear head 1024→100, cross-entropy, batch 256
  w1.train.plain       the same without BatchFormer
  w2.train.bf          CIFAR ResNet-32 (option A), BatchFormer V1 (d 64, 4 heads, ffn 64, dropout
                       0.5), two-stream, linear head 64→100, cross-entropy, batch 128, input 3×32×32
  w2.train.plain       the same without BatchFormer
  w2.infer             W2 without BatchFormer in evaluation mode, no gradients, batch 128
  w2.infer.bf-loaded   W2 with BatchFormer built, in evaluation mode: BatchFormer is training only
                       and is not run, as in Zoo's pipeline

Training uses SGD (learning rate 0.01, momentum 0.9, weight decay 5e-4); a step is zero_grad,
forward, loss, backward and the optimiser's step. Two-stream: the head and the loss see
[f; BatchFormer(f)] and the labels twice; BatchFormer V1 treats the B samples as one sequence of
B tokens ([B, 1, D] in nn.TransformerEncoderLayer's sequence-first layout).

    python pytorch_workloads.py NAME [--threads N] [--steps N] [--warmup N]

prints one JSON line with the keys zoo-bench --worker prints: implementation, name,
samples_per_second, peak_rss_bytes (ru_maxrss of this process), threads, build, steps, warmup.
"""

import argparse
import json
import resource
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class BasicBlock(nn.Module):
    """A CIFAR ResNet basic block with the option-A shortcut: subsample by 2 and zero-pad the
    new channels, half on each side (He et al. 2016)."""

    def __init__(self, in_planes, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.stride = stride
        self.pad = (planes - in_planes) // 2

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        shortcut = x
        if self.stride != 1 or self.pad != 0:
            shortcut = F.pad(x[:, :, ::self.stride, ::self.stride], (0, 0, 0, 0, self.pad, self.pad))
        return F.relu(out + shortcut)


class CIFARResNet(nn.Module):
    """CIFAR ResNet of depth 6n + 2 without its classifier: [B, 3, 32, 32] → [B, 64]."""

    def __init__(self, depth=32):
        super().__init__()
        n = (depth - 2) // 6
        self.conv1 = nn.Conv2d(3, 16, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        layers, in_planes = [], 16
        for stage, planes in enumerate((16, 32, 64)):
            blocks = []
            for block in range(n):
                blocks.append(BasicBlock(in_planes, planes, 2 if stage > 0 and block == 0 else 1))
                in_planes = planes
            layers.append(nn.Sequential(*blocks))
        self.layer1, self.layer2, self.layer3 = layers

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer3(self.layer2(self.layer1(out)))
        return out.mean(dim=(2, 3))


class TwoStreamClassifier(nn.Module):
    """Backbone → (training: [f; BatchFormer(f)], labels twice) → shared linear head."""

    def __init__(self, backbone, width, classes, batchformer):
        super().__init__()
        self.backbone = backbone
        self.relation = (nn.TransformerEncoderLayer(width, 4, dim_feedforward=width, dropout=0.5)
                         if batchformer else None)
        self.head = nn.Linear(width, classes)

    def forward(self, x, labels):
        features = self.backbone(x)
        if self.training and self.relation is not None:
            # The batch is one sequence of B tokens: [L = B, N = 1, E = D].
            related = self.relation(features.unsqueeze(1)).squeeze(1)
            features = torch.cat([features, related], dim=0)
            labels = torch.cat([labels, labels], dim=0)
        return self.head(features), labels


def build(name):
    """The model, its input and labels, and whether the workload trains."""
    family, mode, variant = (name.split(".") + [""])[:3]
    batchformer = variant in ("bf", "bf-loaded")
    if family == "w1":
        torch.manual_seed(1)
        backbone = nn.Sequential(nn.Linear(784, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU())
        model, batch, shape = TwoStreamClassifier(backbone, 1024, 100, batchformer), 256, (784,)
    elif family == "w2":
        torch.manual_seed(2)
        model, batch, shape = TwoStreamClassifier(CIFARResNet(32), 64, 100, batchformer), 128, (3, 32, 32)
    else:
        raise SystemExit(f"unknown workload {name}")
    if mode not in ("train", "infer"):
        raise SystemExit(f"unknown workload {name}")
    inputs = torch.randn(batch, *shape)
    labels = torch.randint(0, 100, (batch,))
    return model, inputs, labels, mode == "train"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("name")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: PyTorch's)")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    arguments = parser.parse_args()
    if arguments.threads:
        torch.set_num_threads(arguments.threads)

    model, inputs, labels, train = build(arguments.name)
    if train:
        model.train()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)

        def step():
            optimizer.zero_grad()
            logits, targets = model(inputs, labels)
            F.cross_entropy(logits, targets).backward()
            optimizer.step()
    else:
        model.eval()

        def step():
            with torch.no_grad():
                model(inputs, labels)

    for _ in range(arguments.warmup):
        step()
    start = time.perf_counter()
    for _ in range(arguments.steps):
        step()
    elapsed = time.perf_counter() - start
    print(json.dumps({
        "implementation": "pytorch", "name": arguments.name,
        "samples_per_second": inputs.shape[0] * arguments.steps / elapsed,
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "threads": torch.get_num_threads(), "build": "release", "steps": arguments.steps, "warmup": arguments.warmup,
        "torch_version": torch.__version__,
    }, sort_keys=True))


if __name__ == "__main__":
    main()
