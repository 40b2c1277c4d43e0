"""Writes the values and gradients PyTorch gives for optlab's tensor ops, in
f64, that TorchParityTests compares with (to 1e-9 relative).

Run with PyTorch installed (the suites keep the file it writes):
    .build/torch-venv/bin/python Tests/references/tensor_ops_torch.py
Each case: the op's name, its inputs (shape and values), the output, and the
gradient of sum(output * w) for each input with a fixed w (written too).
"""
import json
import math
import os

import torch

torch.set_default_dtype(torch.float64)
gen = torch.Generator().manual_seed(20261206)


def randn(*shape):
    return torch.randn(tuple(shape), generator=gen)


cases = []


def case(name, fn, *inputs, grad=True, **extra):
    leaves = [t.clone().requires_grad_(grad) for t in inputs]
    out = fn(*leaves)
    indices = None
    if isinstance(out, tuple):
        out, indices = out
    entry = {"name": name, "inputs": [{"shape": list(t.shape), "values": t.detach().flatten().tolist()} for t in inputs],
             "shape": list(out.shape), "output": out.detach().flatten().tolist()}
    if indices is not None:
        entry["indices"] = (indices + 1).flatten().tolist()   # 1-based, as optlab's Lua gives them
    if grad:
        w = randn(*out.shape)
        (out * w).sum().backward()
        entry["w"] = w.flatten().tolist()
        entry["grads"] = [(t.grad if t.grad is not None else torch.zeros_like(t)).flatten().tolist() for t in leaves]
    entry.update(extra)
    cases.append(entry)


x = randn(3, 5) * 2
y = randn(3, 5)
pos = x.abs() + 0.3
case("sin", torch.sin, x)
case("cos", torch.cos, x)
case("floor", torch.floor, x)
case("ceil", torch.ceil, x)
case("round", torch.round, torch.tensor([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.49999999999999994]))
case("trunc", torch.trunc, x)
case("log1p", torch.log1p, pos)
case("expm1", torch.expm1, x)
case("erf", torch.erf, x)
case("rsqrt", torch.rsqrt, pos)
case("reciprocal", torch.reciprocal, pos)
case("square", torch.square, x)
case("logsumexp_dim1", lambda t: torch.logsumexp(t, dim=1), x)
case("logsumexp_all", lambda t: torch.logsumexp(t, dim=(0, 1)), x)
case("norm_p1_dim1", lambda t: torch.linalg.vector_norm(t, ord=1, dim=1), x)
case("norm_p2_dim0_keep", lambda t: torch.linalg.vector_norm(t, ord=2, dim=0, keepdim=True), x)
case("norm_inf", lambda t: torch.linalg.vector_norm(t, ord=math.inf), x)
case("norm_p3", lambda t: torch.linalg.vector_norm(t, ord=3), x)
case("cumsum_dim1", lambda t: torch.cumsum(t, dim=1), x)
zeroed = x.clone()
zeroed[1, 2] = 0
case("cumprod_dim1", lambda t: torch.cumprod(t, dim=1), zeroed)
case("sort_dim1_desc", lambda t: torch.sort(t, dim=1, descending=True), x)
case("topk_2_dim1", lambda t: torch.topk(t, 2, dim=1), x)
case("gelu", torch.nn.functional.gelu, x)
case("gelu_tanh", lambda t: torch.nn.functional.gelu(t, approximate="tanh"), x)
case("silu", torch.nn.functional.silu, x)
case("softplus_beta2_threshold1", lambda t: torch.nn.functional.softplus(t, beta=2, threshold=1), x)
case("lerp_0.3", lambda a, b: torch.lerp(a, b, 0.3), x, y)
case("tril_-1", lambda t: torch.tril(t, -1), x)
case("triu_1", lambda t: torch.triu(t, 1), x)
case("flip_0_1", lambda t: torch.flip(t, (0, 1)), x)
case("roll_2_dim1", lambda t: torch.roll(t, 2, dims=1), x)
case("roll_-4_flat", lambda t: torch.roll(t, -4), x)
case("repeat_interleave_2_dim0", lambda t: torch.repeat_interleave(t, 2, dim=0), x)
case("masked_fill_gt0", lambda t: t.masked_fill(x > 0, -1.5), x)
case("stack_dim1", lambda a, b: torch.stack([a, b], dim=1), x, y)
index = torch.tensor([[2, 0, 1, 2, 0]])
case("scatter_add_dim0", lambda t, s: t.scatter_add(0, index, s), x, randn(1, 5), index=(index + 1).flatten().tolist())
case("index_add_dim0", lambda t, s: t.index_add(0, torch.tensor([2, 0]), s, alpha=0.5), x, randn(2, 5), index=[3, 1])
F = torch.nn.functional
target = randn(3, 5)
probs = torch.softmax(randn(3, 5), dim=1)
case("loss_l1", lambda a, b: F.l1_loss(a, b), x, target)
case("loss_huber_0.7", lambda a, b: F.huber_loss(a, b, delta=0.7), x, target)
case("loss_smoothl1_0.5", lambda a, b: F.smooth_l1_loss(a, b, beta=0.5), x, target)
case("loss_bce_pos2", lambda a, b: F.binary_cross_entropy_with_logits(a, b, pos_weight=torch.tensor(2.0)), x, torch.rand((3, 5), generator=gen))
case("loss_kldiv", lambda a, b: F.kl_div(a, b, reduction="batchmean"), torch.log_softmax(x, dim=1), probs)
# a language model's logits [N, T, V] against [N, T] targets (PyTorch puts classes at dim 1: permuted),
# label 2 (0-based) ignored; and the same through log_softmax and nll
tokens = torch.tensor([[1, 2, 0, 3], [2, 2, 4, 0]])
logits = randn(2, 4, 5) * 1.5
case("loss_ce_ntv_ignore2", lambda a: F.cross_entropy(a.permute(0, 2, 1), tokens, ignore_index=2), logits, labels=tokens.flatten().tolist())
case("loss_ce_smooth0.2", lambda a: F.cross_entropy(a, tokens[0], label_smoothing=0.2), logits[0], labels=tokens[0].tolist())
case("loss_nll_ignore2", lambda a: F.nll_loss(a.reshape(8, 5), tokens.flatten(), ignore_index=2), torch.log_softmax(logits, dim=2))
case("linspace", lambda: torch.linspace(-1.5, 2.25, 7), grad=False)
case("logspace", lambda: torch.logspace(-4, -1, 4), grad=False)

path = os.path.join(os.path.dirname(__file__), "..", "OptLabRuntimeTests", "Fixtures", "tensor_ops_torch.json")
with open(path, "w") as f:
    json.dump({"torch": torch.__version__, "cases": cases}, f, indent=0)
print(f"wrote {len(cases)} cases from torch {torch.__version__} to {os.path.normpath(path)}")
