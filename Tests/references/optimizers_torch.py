"""Writes Tests/OptLabRuntimeTests/Fixtures/optimizers_torch.json: the trajectories of
torch.optim's update rules (PyTorch 2.15, float64) that RulesAgainstPyTorchTests compares
optlab's with, on two formula-made problems (no random numbers):

- "quadratic": X [4, 6] and v [6], f = ½Σ a_ij (X_ij − B_ij)² + ½Σ c_k (v_k − d_k)²
- "mlp": 3 → 5 (tanh) → 2, mean squared error on 8 fixed examples

Muon runs on the matrices only (X; the MLP's weights, biases frozen). torch's Muon
orthogonalises in bfloat16; here its Newton–Schulz function is patched to run in the
gradient's dtype, the arithmetic optlab uses. Lion, LAMB and LARS are not in torch.optim:
their steps are written out below in torch ops, Lion from Algorithm 2 of Chen et al. 2023
(as google/automl's lion_pytorch.py), LAMB and LARS as optax's lamb and lars compose them.
Schedule-Free SGD and AdamW are the authors' package (pip install schedulefree; its
single-tensor path), with the weights to evaluate recorded after step 100 ("eval") and the
training weights restored from them ("train_again"). SAM is davda54/sam's two steps around
torch's SGD, written out below.

Each trajectory also carries "ulp_spread": how far torch's own trajectory moves when every
starting weight is nudged by one ulp. Where a problem amplifies rounding (Adam-like steps
bouncing about a minimum), agreement to the last bits at step 100 is not a property of any
implementation; the test allows that spread (times 100) where it exceeds 1e-9.

Run with PyTorch installed (the suites read the JSON only):
    python3 Tests/references/optimizers_torch.py
"""
import json
import math
import os

import torch
import torch.optim._muon as muon_module

torch.set_default_dtype(torch.float64)


def newton_schulz_in_dtype(grad, ns_coefficients, ns_steps, eps):
    a, b, c = ns_coefficients
    x = grad.clone()
    if grad.size(0) > grad.size(1):
        x = x.T
    x = x / x.norm().clamp(min=eps)
    for _ in range(ns_steps):
        gram = x @ x.T
        update = torch.addmm(gram, gram, gram, beta=b, alpha=c)
        x = torch.addmm(x, update, x, beta=a)
    if grad.size(0) > grad.size(1):
        x = x.T
    return x


muon_module._zeropower_via_newtonschulz = newton_schulz_in_dtype


class Lion(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-4, beta1=0.9, beta2=0.99, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, beta1=beta1, beta2=beta2, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["exp_avg"] = torch.zeros_like(p)
                m = state["exp_avg"]
                p.mul_(1 - group["lr"] * group["weight_decay"])
                c = m * group["beta1"] + p.grad * (1 - group["beta1"])
                p.add_(torch.sign(c), alpha=-group["lr"])
                m.mul_(group["beta2"]).add_(p.grad, alpha=1 - group["beta2"])


class LAMB(torch.optim.Optimizer):
    """optax.lamb's chain in torch ops: scale_by_adam (bias-corrected, eps outside the root),
    add_decayed_weights, scale_by_trust_ratio, scale(-lr) (You et al. 2020, Algorithm 2)."""
    def __init__(self, params, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-6, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, beta1=beta1, beta2=beta2, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            b1, b2 = group["beta1"], group["beta2"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["t"], state["m"], state["v"] = 0, torch.zeros_like(p), torch.zeros_like(p)
                state["t"] += 1
                t, m, v, g = state["t"], state["m"], state["v"], p.grad
                m.mul_(b1).add_(g * (1 - b1))
                v.mul_(b2).add_(g * g * (1 - b2))
                u = (m / (1 - b1 ** t)) / ((v / (1 - b2 ** t)).sqrt() + group["eps"])
                if group["weight_decay"] != 0:
                    u = u + p * group["weight_decay"]
                wn, un = p.norm().item(), u.norm().item()
                ratio = 1.0 if wn == 0 or un == 0 else wn / un
                p.add_(u * (-group["lr"] * ratio))


class LARS(torch.optim.Optimizer):
    """optax.lars's chain in torch ops: add_decayed_weights, scale_by_trust_ratio
    (trust_coefficient, eps), scale(-lr), trace(momentum, nesterov) (You et al. 2017)."""
    def __init__(self, params, lr, momentum=0.9, nesterov=False, trust_coefficient=1e-3, eps=0.0, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, momentum=momentum, nesterov=nesterov, trust_coefficient=trust_coefficient,
                                      eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            mu = group["momentum"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["b"] = torch.zeros_like(p)
                u = p.grad + p * group["weight_decay"] if group["weight_decay"] != 0 else p.grad
                wn, un = p.norm().item(), u.norm().item()
                ratio = 1.0 if wn == 0 or un == 0 else group["trust_coefficient"] * wn / (un + group["eps"])
                scaled = u * (-group["lr"] * ratio)
                b = state["b"]
                b.copy_(b * mu + scaled)
                p.add_(b * mu + scaled if group["nesterov"] else b)


class SOAP(torch.optim.Optimizer):
    """SOAP (Vyas et al. 2024, arXiv:2409.11321) as its equations state it and the authors'
    soap.py (github.com/nikhilvyas/SOAP) runs them: Adam on the gradient projected into the
    eigenbases Q_k of per-dimension Gram averages L_k. The first step only starts L and Q
    (eigenvalues descending) and moves nothing; every f steps each Q_k is refreshed by one
    power step and a QR, its columns (and v's entries along k) first sorted by the estimated
    eigenvalues diag(Q_kᵀ L_k Q_k); m is kept in the current basis; decay after the step."""
    def __init__(self, params, lr=3e-3, beta1=0.95, beta2=0.95, shampoo_beta=-1, eps=1e-8, weight_decay=0.01,
                 precondition_frequency=10, max_precond_dim=10000, merge_dims=False, precondition_1d=False,
                 normalize_grads=False, correct_bias=True):
        super().__init__(params, dict(lr=lr))
        self.b1, self.b2, self.eps, self.wd = beta1, beta2, eps, weight_decay
        self.sb = shampoo_beta if shampoo_beta >= 0 else beta2
        self.f, self.maxd, self.merge, self.p1d = precondition_frequency, max_precond_dim, merge_dims, precondition_1d
        self.normalize, self.correct = normalize_grads, correct_bias

    def working(self, shape):
        if not self.merge or len(shape) <= 1:
            return list(shape)
        out, cur = [], 1
        for d in shape:
            if cur * d > self.maxd:
                out, cur = (out + [cur], d) if cur > 1 else (out + [d], 1)
            else:
                cur *= d
        return out + [cur] if cur > 1 or not out else out

    def mode(self, t, m, k, back):
        # contract dimension k of t with m's rows (into the basis) or columns (back), keeping dim order
        r = torch.tensordot(t, m, dims=([k], [1 if back else 0]))
        return torch.movedim(r, -1, k)

    def project(self, t, st, back=False):
        for k, q in st["Q"].items():
            t = self.mode(t, q, k, back)
        return t

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            lr = group["lr"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                st = self.state[p]
                shape = self.working(p.shape)
                g = p.grad.reshape(shape)
                first = not st
                if first:
                    st["m"], st["v"], st["t"] = torch.zeros(shape), torch.zeros(shape), 0
                    st["L"] = {k: torch.zeros(d, d) for k, d in enumerate(shape)
                               if d <= self.maxd and (p.dim() != 1 or self.p1d)}
                    st["Q"] = {}
                else:
                    st["t"] += 1
                    t, m, v = st["t"], st["m"], st["v"]
                    gp = self.project(g, st)
                    m.mul_(self.b1).add_(gp, alpha=1 - self.b1)
                    v.mul_(self.b2).add_(gp * gp, alpha=1 - self.b2)
                    size = lr * math.sqrt(1 - self.b2 ** t) / (1 - self.b1 ** t) if self.correct else lr
                    u = self.project(m / (v.sqrt() + self.eps), st, back=True)
                    if self.normalize:
                        u = u / (1e-30 + (u * u).mean().sqrt())
                    p.add_(u.reshape(p.shape), alpha=-size)
                    if self.wd > 0:
                        p.add_(p, alpha=-lr * self.wd)
                    st["m"] = self.project(m, st, back=True)
                for k, L in st["L"].items():
                    others = [i for i in range(g.dim()) if i != k]
                    L.lerp_(torch.tensordot(g, g, dims=(others, others)), 1 - self.sb)
                if first:
                    st["Q"] = {k: torch.linalg.eigh(L + 1e-30 * torch.eye(L.shape[0]))[1].flip(1) for k, L in st["L"].items()}
                    continue
                if st["t"] % self.f == 0:
                    for k, L in st["L"].items():
                        q = st["Q"][k]
                        order = torch.argsort(torch.diag(q.T @ L @ q), descending=True)
                        st["v"] = st["v"].index_select(k, order)
                        st["Q"][k] = torch.linalg.qr(L @ q[:, order])[0]
                st["m"] = self.project(st["m"], st)


def quadratic():
    X = torch.tensor([[math.cos(0.7 * (6 * i + j) + 0.3) * 2 for j in range(6)] for i in range(4)], requires_grad=True)
    v = torch.tensor([math.sin(1.3 * k + 0.5) * 3 for k in range(6)], requires_grad=True)
    A = torch.tensor([[0.2 * 1.35 ** ((6 * i + j) % 11) for j in range(6)] for i in range(4)])
    B = torch.tensor([[math.sin(0.9 * (6 * i + j)) for j in range(6)] for i in range(4)])
    c = torch.tensor([0.5 + 0.4 * k for k in range(6)])
    d = torch.tensor([math.cos(2.1 * k) for k in range(6)])

    def loss():
        return 0.5 * (A * (X - B) ** 2).sum() + 0.5 * (c * (v - d) ** 2).sum()
    return [X, v], [X], loss


def mlp():
    W1 = torch.tensor([[0.6 * math.sin(1.7 * (3 * i + j) + 0.2) for j in range(3)] for i in range(5)], requires_grad=True)
    b1 = torch.tensor([0.1 * math.cos(2.3 * i) for i in range(5)], requires_grad=True)
    W2 = torch.tensor([[0.5 * math.cos(1.1 * (5 * i + j) + 0.4) for j in range(5)] for i in range(2)], requires_grad=True)
    b2 = torch.tensor([0.05, -0.1], requires_grad=True)
    x = torch.tensor([[math.sin(0.5 * n + 0.3 * j) for j in range(3)] for n in range(8)])
    y = torch.tensor([[math.cos(0.8 * n) * 0.5, math.sin(0.6 * n + 1)] for n in range(8)])

    def loss():
        h = torch.tanh(x @ W1.T + b1)
        return ((h @ W2.T + b2 - y) ** 2).mean()
    return [W1, b1, W2, b2], [W1, W2], loss


def square():
    """For SOAP, whose bases must be unique: every Gram matrix of the first gradient full rank
    (or one short, a null space of one dimension): X [4, 4], v [6] and T [2, 2, 3]."""
    X = torch.tensor([[math.cos(0.9 * (4 * i + j) + 0.2) * 1.5 for j in range(4)] for i in range(4)], requires_grad=True)
    v = torch.tensor([math.sin(1.3 * k + 0.5) * 3 for k in range(6)], requires_grad=True)
    T = torch.tensor([math.sin(0.8 * n + 0.1) for n in range(12)]).reshape(2, 2, 3).requires_grad_()
    A = torch.tensor([[0.3 * 1.4 ** ((4 * i + j) % 7) for j in range(4)] for i in range(4)])
    B = torch.tensor([[math.sin(1.1 * (4 * i + j)) for j in range(4)] for i in range(4)])
    c = torch.tensor([0.5 + 0.4 * k for k in range(6)])
    d = torch.tensor([math.cos(2.1 * k) for k in range(6)])
    e = torch.tensor([0.4 + 0.15 * n for n in range(12)]).reshape(2, 2, 3)
    f = torch.tensor([math.cos(0.7 * n) for n in range(12)]).reshape(2, 2, 3)

    def loss():
        return (0.5 * (A * (X - B) ** 2).sum() + 0.5 * (c * (v - d) ** 2).sum()
                + 0.5 * (e * (T - f) ** 2).sum() + 0.1 * (X.sum() * T.sum()))
    return [X, v, T], [X], loss


RECORDED = [1, 2, 3, 10, 50, 100]


class SAM:
    """Sharpness-aware minimisation around a base optimizer, as github.com/davda54/sam (sam.py):
    first_step moves to w + e(w), second_step restores w and steps the base optimizer."""
    def __init__(self, base, rho=0.05, adaptive=False):
        self.base, self.rho, self.adaptive = base, rho, adaptive

    def zero_grad(self):
        self.base.zero_grad()

    @torch.no_grad()
    def first_step(self):
        params = [p for g in self.base.param_groups for p in g["params"] if p.grad is not None]
        norm = torch.norm(torch.stack([((torch.abs(p) if self.adaptive else 1.0) * p.grad).norm(p=2) for p in params]), p=2)
        scale = self.rho / (norm + 1e-12)
        self.old = [p.clone() for p in params]
        for p in params:
            p.add_((torch.pow(p, 2) if self.adaptive else 1.0) * p.grad * scale)
        self.params = params

    @torch.no_grad()
    def second_step(self):
        for p, old in zip(self.params, self.old):
            p.copy_(old)
        self.base.step()


try:
    import schedulefree  # the authors' reference (pip install schedulefree)
except ImportError:
    schedulefree = None


def trajectory(make, problem, matrices_only, nudge=False):
    params, matrices, loss = problem()
    if nudge:
        # every starting weight moved by an ulp: what rounding alone does to this trajectory
        with torch.no_grad():
            for p in params:
                p.copy_(torch.nextafter(p, torch.full_like(p, math.inf)))
    trained = matrices if matrices_only else params
    if matrices_only:
        for p in params:
            if all(p is not m for m in matrices):
                p.requires_grad_(False)
    opt = make(trained)
    switching = hasattr(opt, "eval") and hasattr(opt, "train") and not isinstance(opt, torch.nn.Module)
    if switching:
        opt.train()
    points = {}
    for step in range(1, 101):
        opt.zero_grad()
        f = loss()
        f.backward()
        if isinstance(opt, SAM):
            opt.first_step()
            opt.zero_grad()
            loss().backward()
            opt.second_step()
        else:
            opt.step()
        if step in RECORDED:
            points[str(step)] = [p.detach().reshape(-1).tolist() for p in params]
    if switching:
        # the weights to evaluate (Schedule-Free's x), and back
        opt.eval()
        points["eval"] = [p.detach().reshape(-1).tolist() for p in params]
        opt.train()
        points["train_again"] = [p.detach().reshape(-1).tolist() for p in params]
    return points


# (optlab rule, its Lua options, torch's constructor): the options keep optlab's spellings.
# The rates keep each trajectory out of the oscillating regime where a rounding difference of
# one ulp grows geometrically (NAdam at lr 0.05 with these settings: ×1.7 a step from step 38 on).
CASES = [
    ("NAdam", {"lr": 0.05}, lambda p: torch.optim.NAdam(p, lr=0.05)),
    ("NAdam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True},
     lambda p: torch.optim.NAdam(p, lr=0.05, weight_decay=0.1, decoupled_weight_decay=True)),
    ("NAdam", {"lr": 0.02, "momentum_decay": 0.01, "weight_decay": 0.05, "beta2": 0.99},
     lambda p: torch.optim.NAdam(p, lr=0.02, momentum_decay=0.01, weight_decay=0.05, betas=(0.9, 0.99))),
    ("RAdam", {"lr": 0.05}, lambda p: torch.optim.RAdam(p, lr=0.05)),
    ("RAdam", {"lr": 0.05, "beta2": 0.9, "weight_decay": 0.1, "decoupled_weight_decay": True},
     lambda p: torch.optim.RAdam(p, lr=0.05, betas=(0.9, 0.9), weight_decay=0.1, decoupled_weight_decay=True)),
    ("RAdam", {"lr": 0.05, "beta1": 0.8, "beta2": 0.95, "weight_decay": 0.05},
     lambda p: torch.optim.RAdam(p, lr=0.05, betas=(0.8, 0.95), weight_decay=0.05)),
    ("Adamax", {"lr": 0.05}, lambda p: torch.optim.Adamax(p, lr=0.05)),
    ("Adamax", {"lr": 0.05, "beta1": 0.8, "beta2": 0.99, "eps": 1e-4, "weight_decay": 0.1},
     lambda p: torch.optim.Adamax(p, lr=0.05, betas=(0.8, 0.99), eps=1e-4, weight_decay=0.1)),
    ("Adadelta", {}, lambda p: torch.optim.Adadelta(p)),
    ("Adadelta", {"lr": 0.5, "rho": 0.8, "eps": 1e-4, "weight_decay": 0.1},
     lambda p: torch.optim.Adadelta(p, lr=0.5, rho=0.8, eps=1e-4, weight_decay=0.1)),
    ("Rprop", {}, lambda p: torch.optim.Rprop(p)),
    ("Rprop", {"lr": 0.05, "etas": [0.3, 1.5], "step_sizes": [1e-4, 0.2]},
     lambda p: torch.optim.Rprop(p, lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-4, 0.2))),
    ("ASGD", {"lr": 0.05}, lambda p: torch.optim.ASGD(p, lr=0.05)),
    ("ASGD", {"lr": 0.05, "lambd": 0.01, "alpha": 0.5, "t0": 20, "weight_decay": 0.01},
     lambda p: torch.optim.ASGD(p, lr=0.05, lambd=0.01, alpha=0.5, t0=20, weight_decay=0.01)),
    ("Adafactor", {"lr": 0.02}, lambda p: torch.optim.Adafactor(p, lr=0.02)),
    ("Adafactor", {"lr": 0.05, "beta2_decay": -0.5, "eps1": 1e-20, "eps2": 1e-2, "d": 1.5, "weight_decay": 0.1},
     lambda p: torch.optim.Adafactor(p, lr=0.05, beta2_decay=-0.5, eps=(1e-20, 1e-2), d=1.5, weight_decay=0.1)),
    ("Muon", {"lr": 0.02}, lambda p: torch.optim.Muon(p, lr=0.02)),
    ("Muon", {"lr": 0.02, "momentum": 0.9, "nesterov": False, "adjust_lr": "match_rms_adamw", "weight_decay": 0.05, "ns_steps": 4},
     lambda p: torch.optim.Muon(p, lr=0.02, momentum=0.9, nesterov=False, adjust_lr_fn="match_rms_adamw", weight_decay=0.05, ns_steps=4)),
    ("Muon", {"lr": 0.02, "adjust_lr": "spectral_unclamped", "weight_decay": 0},
     lambda p: torch.optim.Muon(p, lr=0.02, adjust_lr_fn="spectral_unclamped", weight_decay=0)),
    ("LAMB", {"lr": 0.01}, lambda p: LAMB(p, lr=0.01)),
    ("LAMB", {"lr": 0.02, "beta1": 0.8, "beta2": 0.99, "eps": 1e-4, "weight_decay": 0.1},
     lambda p: LAMB(p, lr=0.02, beta1=0.8, beta2=0.99, eps=1e-4, weight_decay=0.1)),
    ("LARS", {"lr": 5}, lambda p: LARS(p, lr=5)),
    ("LARS", {"lr": 3, "momentum": 0.8, "nesterov": True, "trust_coefficient": 0.01, "eps": 1e-3, "weight_decay": 0.05},
     lambda p: LARS(p, lr=3, momentum=0.8, nesterov=True, trust_coefficient=0.01, eps=1e-3, weight_decay=0.05)),
    ("ScheduleFreeSGD", {"lr": 0.05}, lambda p: schedulefree.SGDScheduleFree(p, lr=0.05, foreach=False)),
    ("ScheduleFreeSGD", {"lr": 0.02, "momentum": 0.8, "warmup": 10, "r": 0.5, "weight_lr_power": 1, "weight_decay": 0.05},
     lambda p: schedulefree.SGDScheduleFree(p, lr=0.02, momentum=0.8, warmup_steps=10, r=0.5, weight_lr_power=1,
                                            weight_decay=0.05, foreach=False)),
    ("ScheduleFreeAdamW", {"lr": 0.02}, lambda p: schedulefree.AdamWScheduleFree(p, lr=0.02, foreach=False)),
    ("ScheduleFreeAdamW", {"lr": 0.01, "beta1": 0.95, "beta2": 0.99, "eps": 1e-6, "warmup": 20, "r": 1, "weight_decay": 0.1},
     lambda p: schedulefree.AdamWScheduleFree(p, lr=0.01, betas=(0.95, 0.99), eps=1e-6, warmup_steps=20, r=1,
                                              weight_decay=0.1, foreach=False)),
    ("SAM", {"base": "SGD", "lr": 0.1, "rho": 0.05}, lambda p: SAM(torch.optim.SGD(p, lr=0.1), rho=0.05)),
    ("SAM", {"base": "SGD", "lr": 0.1, "rho": 0.5, "adaptive": True}, lambda p: SAM(torch.optim.SGD(p, lr=0.1), rho=0.5, adaptive=True)),
    ("Lion", {"lr": 0.01}, lambda p: Lion(p, lr=0.01)),
    ("Lion", {"lr": 0.01, "beta1": 0.95, "beta2": 0.98, "weight_decay": 0.5},
     lambda p: Lion(p, lr=0.01, beta1=0.95, beta2=0.98, weight_decay=0.5)),
    ("SOAP", {"lr": 0.01, "max_precond_dim": 4}, lambda p: SOAP(p, lr=0.01, max_precond_dim=4)),
    ("SOAP", {"lr": 0.005, "beta1": 0.9, "beta2": 0.99, "shampoo_beta": 0.9, "eps": 1e-6, "precondition_frequency": 3,
              "max_precond_dim": 4, "precondition_1d": True, "normalize_grads": True, "weight_decay": 0.1},
     lambda p: SOAP(p, lr=0.005, beta1=0.9, beta2=0.99, shampoo_beta=0.9, eps=1e-6, precondition_frequency=3,
                    max_precond_dim=4, precondition_1d=True, normalize_grads=True, weight_decay=0.1)),
    ("SOAP", {"lr": 0.01, "merge_dims": True, "max_precond_dim": 4, "correct_bias": False, "precondition_frequency": 5},
     lambda p: SOAP(p, lr=0.01, merge_dims=True, max_precond_dim=4, correct_bias=False, precondition_frequency=5)),
]

# SOAP's bases are eigenvectors: each case runs where they are unique up to sign (no Gram
# matrix with a null space of more than one dimension), "square" and the MLP with
# max_precond_dim = 4 (W1's 5 rows and b1 left to Adam)
PROBLEMS = {"SOAP": [("square", square), ("mlp", mlp)]}

out = []
for rule, options, make in CASES:
    for name, problem in PROBLEMS.get(rule, [("quadratic", quadratic), ("mlp", mlp)]):
        points = trajectory(make, problem, matrices_only=(rule == "Muon"))
        nudged = trajectory(make, problem, matrices_only=(rule == "Muon"), nudge=True)
        # per recorded step, the largest relative change an ulp at the start made (floor 1e-3, as the test's)
        spread = {k: max(abs(a - b) / max(abs(a), 1e-3) for pa, pb in zip(points[k], nudged[k]) for a, b in zip(pa, pb))
                  for k in points if k.isdigit()}
        out.append({"rule": rule, "options": options, "problem": name, "points": points, "ulp_spread": spread})

path = os.path.join(os.path.dirname(__file__), "..", "OptLabRuntimeTests", "Fixtures", "optimizers_torch.json")
with open(path, "w") as f:
    json.dump({"torch": torch.__version__, "recorded_steps": RECORDED, "cases": out}, f)
print(f"wrote {len(out)} trajectories to {os.path.normpath(path)}")
