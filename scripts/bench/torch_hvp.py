"""PyTorch's side of `optlab-bench curvature`: on the same model and batch
(the Fashion-MNIST-shaped MLP 784-256-128-10, ReLU, softmax cross-entropy,
a batch of 1,000 random inputs), the median of 7 timings of one gradient and
of one Hessian-vector product by double backward (the usual way: the
gradient with create_graph=True, then the gradient of its dot product with
v), in float32 and float64, at the thread count given.

Usage: .build/torch-venv/bin/python scripts/bench/torch_hvp.py [threads]
"""
import sys
import time

import torch

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
torch.set_num_threads(threads)


def median(f, n=7):
    f()  # warm up
    times = []
    for _ in range(n):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return sorted(times)[n // 2]


for dtype in (torch.float32, torch.float64):
    torch.manual_seed(2)
    model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128), torch.nn.ReLU(),
                                torch.nn.Linear(128, 10)).to(dtype)
    x = torch.randn(1000, 784, dtype=dtype)
    y = torch.arange(1000) % 10
    params = list(model.parameters())
    v = [torch.randn_like(p) for p in params]

    def gradient():
        model.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()

    def hvp():
        loss = torch.nn.functional.cross_entropy(model(x), y)
        grads = torch.autograd.grad(loss, params, create_graph=True)
        dot = sum((g * u).sum() for g, u in zip(grads, v))
        torch.autograd.grad(dot, params)

    g, h = median(gradient), median(hvp)
    name = str(dtype).replace("torch.", "")
    print(f"{name}: gradient {g * 1e3:.2f} ms, hvp (double backward) {h * 1e3:.2f} ms = {h / g:.2f}x the gradient ({threads} threads)")
