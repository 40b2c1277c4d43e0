"""PyTorch's side of the peak-memory comparison in BENCHMARKS.md: one epoch of
scripts/fashion_mnist_conv.lua's convnet on Debian's Fashion-MNIST (54,000
training images, batch 128, SGD with Nesterov momentum), as optlab runs it with
`optlab scripts/fashion_mnist_conv.lua 1`. Compare the two with /usr/bin/time -v
(maximum resident set size).  Usage: python3 torch_conv_epoch.py [threads]
"""
import gzip
import sys

import numpy as np
import torch

torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
root = "/usr/share/datasets/fashion-mnist/"


def idx(name, offset):
    with gzip.open(root + name) as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


x = torch.tensor(idx("train-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28), dtype=torch.float32) / 255
y = torch.tensor(idx("train-labels-idx1-ubyte.gz", 8).astype(np.int64))
x = (x - x.mean()) / x.std()
x, y = x[:54000], y[:54000]
nn = torch.nn
model = nn.Sequential(
    nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
    nn.Flatten(), nn.Linear(64 * 7 * 7, 256), nn.ReLU(), nn.Dropout(0.3), nn.Linear(256, 10))
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-4)
loss = nn.CrossEntropyLoss()
order = torch.randperm(len(x))
for i in range(0, len(x), 128):
    b = order[i:i + 128]
    opt.zero_grad()
    loss(model(x[b]), y[b]).backward()
    opt.step()
model.eval()
with torch.no_grad():
    acc = sum((model(x[i:i + 1000]).argmax(1) == y[i:i + 1000]).sum().item() for i in range(0, len(x), 1000)) / len(x)
print(f"train accuracy after one epoch {acc:.4f}")
