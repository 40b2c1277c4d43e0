"""Writes Tests/OptLabRuntimeTests/Fixtures/hessian_torch.json: on the small tanh MLP of
optimizers_torch.py (3 -> 5 -> 2, mean squared error on 8 fixed examples, every weight from a
formula), in float64, torch.autograd.functional.hvp for a formula-made v, and the exact
Hessian's eigenvalues (largest first) and trace from torch.autograd.functional.hessian,
which HessianTests compares check.hvp's and check.hessian's with.

Run with PyTorch installed (the suites read the JSON only):
    python3 Tests/references/hessian_torch.py
"""
import json
import math
import os

import torch

torch.set_default_dtype(torch.float64)

W1 = torch.tensor([[0.6 * math.sin(1.7 * (3 * i + j) + 0.2) for j in range(3)] for i in range(5)])
b1 = torch.tensor([0.1 * math.cos(2.3 * i) for i in range(5)])
W2 = torch.tensor([[0.5 * math.cos(1.1 * (5 * i + j) + 0.4) for j in range(5)] for i in range(2)])
b2 = torch.tensor([0.05, -0.1])
x = torch.tensor([[math.sin(0.5 * n + 0.3 * j) for j in range(3)] for n in range(8)])
y = torch.tensor([[math.cos(0.8 * n) * 0.5, math.sin(0.6 * n + 1)] for n in range(8)])
shapes = [W1.shape, b1.shape, W2.shape, b2.shape]
sizes = [t.numel() for t in (W1, b1, W2, b2)]


def loss(theta):
    parts = torch.split(theta, sizes)
    w1, c1, w2, c2 = (p.reshape(s) for p, s in zip(parts, shapes))
    h = torch.tanh(x @ w1.T + c1)
    return ((h @ w2.T + c2 - y) ** 2).mean()


theta = torch.cat([t.reshape(-1) for t in (W1, b1, W2, b2)])
v = torch.tensor([math.cos(0.37 * k + 0.1) for k in range(theta.numel())])
_, hv = torch.autograd.functional.hvp(loss, theta, v)
H = torch.autograd.functional.hessian(loss, theta)
eig = torch.linalg.eigvalsh(H).flip(0)
path = os.path.join(os.path.dirname(__file__), "..", "OptLabRuntimeTests", "Fixtures", "hessian_torch.json")
with open(path, "w") as f:
    json.dump({"torch": torch.__version__, "v": v.tolist(), "hvp": hv.tolist(), "eigenvalues": eig.tolist(),
               "trace": H.trace().item()}, f)
print(f"wrote {os.path.normpath(path)}: top eigenvalues {eig[:3].tolist()}, trace {H.trace().item()}")
