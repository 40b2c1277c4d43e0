"""PyTorch's side of `optlab-bench torch`: the workloads of workloads.lua,
the same models and shapes, timed on request.

Protocol (one line each way): the bench writes "WORKLOAD THREADS N", this
process runs the workload's step N times with THREADS threads and answers
with the seconds it took.
"""
import sys
import time

import numpy as np
import torch

torch.manual_seed(1)
nn = torch.nn


def convnet():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 256), nn.ReLU(), nn.Dropout(0.3), nn.Linear(256, 10))


def labels(n, classes):
    return torch.tensor([(i * 7) % classes for i in range(1, n + 1)])


loss = nn.CrossEntropyLoss()


def train_step(m, opt, x, y):
    """One training step of m on the fixed batch (x, y), as a function."""
    def step():
        opt.zero_grad()
        loss(m(x), y).backward()
        opt.step()
    return step


def conv_train():
    m, x, y = convnet(), torch.randn(128, 1, 28, 28), labels(128, 10)
    return train_step(m, torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9, nesterov=True), x, y)


def conv_eval():
    m, x = convnet(), torch.randn(128, 1, 28, 28)
    m.eval()

    def step():
        with torch.no_grad():
            m(x)
    return step


def mlp_train():
    m = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    x, y = torch.randn(256, 784), labels(256, 10)
    return train_step(m, torch.optim.Adam(m.parameters(), lr=1e-3), x, y)


def batchnorm():
    bn, x = nn.BatchNorm2d(32), torch.randn(128, 32, 28, 28, requires_grad=True)

    def step():
        x.grad = None
        bn(x).sum().backward()
    return step


def conv():
    c, x = nn.Conv2d(32, 64, 3, padding=1), torch.randn(128, 32, 14, 14, requires_grad=True)

    def step():
        x.grad = None
        c.zero_grad()
        c(x).sum().backward()
    return step


def elementwise(op):
    def make():
        a, b = torch.randn(1048576), torch.randn(1048576)
        p, m = a.abs() + 1e-3, a > 0
        return {"add": lambda: a + b, "mul": lambda: a * b, "relu": lambda: a.relu(), "where": lambda: torch.where(m, a, b),
                "exp": lambda: a.exp(), "tanh": lambda: a.tanh(), "sigmoid": lambda: a.sigmoid(),
                "log": lambda: p.log()}[op]
    return make


def small_add():
    a, b = torch.randn(4), torch.randn(4)
    return lambda: a + b


def numpy_op(op):
    """The same ops in numpy (f32), the reference for elementwise and small ops."""
    def make():
        rng = np.random.default_rng(0)
        a, b = rng.standard_normal(1048576, dtype=np.float32), rng.standard_normal(1048576, dtype=np.float32)
        p, m = np.abs(a) + np.float32(1e-3), a > 0
        s, t = rng.standard_normal(4, dtype=np.float32), rng.standard_normal(4, dtype=np.float32)
        x = rng.standard_normal((1, 10), dtype=np.float32)
        w, bias = rng.standard_normal((10, 10), dtype=np.float32), rng.standard_normal(10, dtype=np.float32)
        return {"add": lambda: a + b, "mul": lambda: a * b, "where": lambda: np.where(m, a, b), "exp": lambda: np.exp(a), "tanh": lambda: np.tanh(a),
                "log": lambda: np.log(p), "small_add": lambda: s + t, "small_sum": lambda: s.sum(),
                "small_linear": lambda: x @ w.T + bias}[op]
    return make


def tokens(n, t, vocab):
    return torch.tensor([[(i * 31 + j * 7) % vocab for j in range(1, t + 1)] for i in range(1, n + 1)])


def char_gpt_train():
    import os
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from torch_char_gpt import GPT, optimizer
    m = GPT(84)
    opt, x, y = optimizer(m), tokens(12, 64, 84), tokens(12, 64, 84)

    def step():
        opt.zero_grad()
        logits = m(x)
        loss(logits.view(-1, 84), y.view(-1)).backward()
        torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
        opt.step()
    return step


def attention():
    """qkv [12, 64, 384] split into 4 heads, PyTorch's fused causal attention, back to [12, 64, 128]."""
    qkv = torch.randn(12, 64, 3 * 128, requires_grad=True)

    def step():
        qkv.grad = None
        q, k, v = (t.view(12, 64, 4, 32).transpose(1, 2) for t in qkv.split(128, dim=2))
        y = torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
        y.transpose(1, 2).contiguous().view(12, 64, 128).sum().backward()
    return step


def layernorm():
    ln, x = nn.LayerNorm(128), torch.randn(12, 64, 128, requires_grad=True)

    def step():
        x.grad = None
        ln.zero_grad()
        ln(x).sum().backward()
    return step


def lstm():
    rnn, x = nn.LSTM(256, 256, batch_first=True), torch.randn(12, 32, 256, requires_grad=True)

    def step():
        x.grad = None
        rnn.zero_grad()
        rnn(x)[0].sum().backward()
    return step


def embedding():
    emb, ids, w = nn.Embedding(84, 128), tokens(12, 64, 84), torch.randn(12, 64, 128)

    def step():
        emb.zero_grad()
        (emb(ids) * w).sum().backward()
    return step


workloads = {"char_gpt_train": char_gpt_train, "attention": attention, "layernorm": layernorm, "embedding": embedding, "lstm": lstm,
             "conv_train": conv_train, "conv_eval": conv_eval, "mlp_train": mlp_train, "batchnorm": batchnorm,
             "conv": conv, "small_add": small_add}
def optimizer_step(make, shapes):
    """One step of a torch.optim rule on parameters of these shapes with fixed gradients."""
    def build():
        params = [torch.randn(*shape, requires_grad=True) for shape in shapes]
        for p in params:
            p.grad = torch.randn(*p.shape) * 0.01
        opt = make(params)
        return opt.step
    return build


# torch.optim's multi-tensor ("foreach") implementations, the faster of its two on CPU
O = torch.optim
rules = {
    "SGD": lambda p: O.SGD(p, lr=1e-3, momentum=0.9, foreach=True),
    "Adam": lambda p: O.Adam(p, lr=1e-3, foreach=True),
    "AdamW": lambda p: O.AdamW(p, lr=1e-3, foreach=True),
    "Adagrad": lambda p: O.Adagrad(p, lr=1e-2, foreach=True),
    "RMSprop": lambda p: O.RMSprop(p, lr=1e-2, foreach=True),
    "NAdam": lambda p: O.NAdam(p, foreach=True),
    "RAdam": lambda p: O.RAdam(p, foreach=True),
    "Adamax": lambda p: O.Adamax(p, foreach=True),
    "Adadelta": lambda p: O.Adadelta(p, foreach=True),
    "Rprop": lambda p: O.Rprop(p, foreach=True),
    "ASGD": lambda p: O.ASGD(p, foreach=True),
    "Adafactor": lambda p: O.Adafactor(p, foreach=True),
}
for name, make in rules.items():
    workloads["optim_" + name] = optimizer_step(make, [(1000, 500), (1000, 500)])
workloads["optim_Muon"] = optimizer_step(lambda p: O.Muon(p, lr=0.02), [(256, 784), (128, 256)])

for op in ["add", "mul", "relu", "where", "exp", "tanh", "sigmoid", "log"]:
    workloads[op] = elementwise(op)
for op in ["add", "mul", "where", "exp", "tanh", "log", "small_add", "small_sum", "small_linear"]:
    workloads["numpy_" + op] = numpy_op(op)

made = {}
print(f"ready torch {torch.__version__}", flush=True)
for line in sys.stdin:
    name, threads, n = line.split()
    torch.set_num_threads(int(threads))
    if name not in made:
        made[name] = workloads[name]()
        made[name]()  # warm up
    step = made[name]
    t0 = time.perf_counter()
    for _ in range(int(n)):
        step()
    print(time.perf_counter() - t0, flush=True)
