"""Writes Tests/OptLabRuntimeTests/Fixtures/schedules_torch.json: the learning rates of
torch.optim.lr_scheduler (PyTorch 2.15) step by step, which SchedulesAgainstPyTorchTests
compares optlab's schedules with (each a function of the step; torch's are partly recursive).

Run with PyTorch installed (the suites read the JSON only):
    python3 Tests/references/schedules_torch.py
"""
import json
import os

import torch
from torch.optim import lr_scheduler as S


def sequence(make, lr0, steps):
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=lr0)
    sched = make(opt)
    rates = [sched.get_last_lr()[0]]
    for _ in range(steps):
        opt.step()
        sched.step()
        rates.append(sched.get_last_lr()[0])
    return rates


# (optlab schedule, its Lua options, lr0, steps, torch's constructor)
CASES = [
    ("linear", {}, 0.1, 10, lambda o: S.LinearLR(o)),
    ("linear", {"start": 0.1, "stop": 1, "total": 7}, 0.3, 12, lambda o: S.LinearLR(o, start_factor=0.1, end_factor=1, total_iters=7)),
    ("linear", {"start": 1, "stop": 0, "total": 20}, 0.05, 25, lambda o: S.LinearLR(o, start_factor=1, end_factor=0, total_iters=20)),
    ("constant", {}, 0.1, 8, lambda o: S.ConstantLR(o)),
    ("constant", {"factor": 0.5, "total": 3}, 0.2, 6, lambda o: S.ConstantLR(o, factor=0.5, total_iters=3)),
    ("multistep", {"milestones": [3, 7, 8], "factor": 0.5}, 0.1, 12, lambda o: S.MultiStepLR(o, milestones=[3, 7, 8], gamma=0.5)),
    ("multistep", {"milestones": [30, 80]}, 1.0, 100, lambda o: S.MultiStepLR(o, milestones=[30, 80])),
    ("polynomial", {}, 0.1, 8, lambda o: S.PolynomialLR(o)),
    ("polynomial", {"total": 30, "power": 2.5}, 0.4, 35, lambda o: S.PolynomialLR(o, total_iters=30, power=2.5)),
    ("cosine", {"total": 50}, 0.1, 120, lambda o: S.CosineAnnealingLR(o, T_max=50)),
    ("cosine", {"total": 17, "min": 1e-3}, 0.05, 40, lambda o: S.CosineAnnealingLR(o, T_max=17, eta_min=1e-3)),
    ("cosine_restarts", {"T0": 10}, 0.1, 35, lambda o: S.CosineAnnealingWarmRestarts(o, T_0=10)),
    ("cosine_restarts", {"T0": 3, "T_mult": 2, "min": 1e-4}, 0.1, 60, lambda o: S.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=1e-4)),
    ("cyclic", {"base": 0.01, "max": 0.1, "up": 5}, 0.5, 40,
     lambda o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=5, cycle_momentum=False)),
    ("cyclic", {"base": 0.001, "max": 0.01, "up": 4, "down": 7, "mode": "triangular2"}, 0.5, 60,
     lambda o: S.CyclicLR(o, base_lr=0.001, max_lr=0.01, step_size_up=4, step_size_down=7, mode="triangular2", cycle_momentum=False)),
    ("cyclic", {"base": 0.001, "max": 0.01, "up": 6, "mode": "exp_range", "gamma": 0.97}, 0.5, 50,
     lambda o: S.CyclicLR(o, base_lr=0.001, max_lr=0.01, step_size_up=6, mode="exp_range", gamma=0.97, cycle_momentum=False)),
    ("one_cycle", {"max": 0.1, "total": 100}, 0.5, 99, lambda o: S.OneCycleLR(o, max_lr=0.1, total_steps=100, cycle_momentum=False)),
    ("one_cycle", {"max": 0.2, "total": 57, "pct_start": 0.25, "anneal": "linear", "div": 10, "final_div": 100}, 0.5, 56,
     lambda o: S.OneCycleLR(o, max_lr=0.2, total_steps=57, pct_start=0.25, anneal_strategy="linear", div_factor=10,
                            final_div_factor=100, cycle_momentum=False)),
    ("one_cycle", {"max": 0.05, "total": 80, "three_phase": True}, 0.5, 79,
     lambda o: S.OneCycleLR(o, max_lr=0.05, total_steps=80, three_phase=True, cycle_momentum=False)),
]

out = [{"schedule": name, "options": options, "lr0": lr0, "rates": sequence(make, lr0, steps)}
       for name, options, lr0, steps, make in CASES]


# Composition: SequentialLR, ChainedScheduler and LambdaLR (parts as optlab spells them)
def composed(parts, wrap, lr0, steps):
    def make(o):
        return wrap(o, [m(o) for _, _, m in parts])
    return sequence(make, lr0, steps)


SEQ = [("linear", {"start": 0.1, "stop": 1, "total": 4}, lambda o: S.LinearLR(o, start_factor=0.1, end_factor=1, total_iters=4)),
       ("cosine", {"total": 10, "min": 1e-3}, lambda o: S.CosineAnnealingLR(o, T_max=10, eta_min=1e-3))]
SEQ3 = [("constant", {"factor": 0.5, "total": 2}, lambda o: S.ConstantLR(o, factor=0.5, total_iters=2)),
        ("step_decay", {"every": 2, "factor": 0.5}, lambda o: S.StepLR(o, step_size=2, gamma=0.5)),
        ("polynomial", {"total": 5, "power": 2}, lambda o: S.PolynomialLR(o, total_iters=5, power=2))]
CHAIN = [("constant", {"factor": 0.1, "total": 2}, lambda o: S.ConstantLR(o, factor=0.1, total_iters=2)),
         ("step_decay", {"every": 1, "factor": 0.9}, lambda o: S.ExponentialLR(o, gamma=0.9))]
CHAIN2 = [("linear", {"start": 0.25, "stop": 1, "total": 6}, lambda o: S.LinearLR(o, start_factor=0.25, total_iters=6)),
          ("multistep", {"milestones": [4, 9], "factor": 0.3}, lambda o: S.MultiStepLR(o, milestones=[4, 9], gamma=0.3))]


def spec(parts):
    return [{"schedule": n, "options": opts} for n, opts, _ in parts]


out += [
    {"schedule": "sequence", "parts": spec(SEQ), "milestones": [4], "lr0": 0.1,
     "rates": composed(SEQ, lambda o, s: S.SequentialLR(o, s, milestones=[4]), 0.1, 20)},
    {"schedule": "sequence", "parts": spec(SEQ3), "milestones": [3, 8], "lr0": 0.2,
     "rates": composed(SEQ3, lambda o, s: S.SequentialLR(o, s, milestones=[3, 8]), 0.2, 16)},
    {"schedule": "chain", "parts": spec(CHAIN), "lr0": 1.0,
     "rates": composed(CHAIN, lambda o, s: S.ChainedScheduler(s), 1.0, 10)},
    {"schedule": "chain", "parts": spec(CHAIN2), "lr0": 0.05,
     "rates": composed(CHAIN2, lambda o, s: S.ChainedScheduler(s), 0.05, 14)},
    {"schedule": "lambda", "power": 0.95, "lr0": 0.1, "rates": sequence(lambda o: S.LambdaLR(o, lambda t: 0.95 ** t), 0.1, 12)},
]


# Momentum cycling: the momentum (SGD) or beta1 (Adam) after construction and each step
def momenta(make, rule, steps):
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.1, momentum=0.9) if rule == "sgd" else torch.optim.Adam([p], lr=0.1)
    sched = make(opt)
    key = (lambda g: g["momentum"]) if rule == "sgd" else (lambda g: g["betas"][0])
    values = [key(opt.param_groups[0])]
    for _ in range(steps):
        opt.step()
        sched.step()
        values.append(key(opt.param_groups[0]))
    return values


MOMENTUM = [
    ("one_cycle", {"max": 0.1, "total": 40}, "sgd", 39, lambda o: S.OneCycleLR(o, max_lr=0.1, total_steps=40)),
    ("one_cycle", {"max": 0.1, "total": 30, "three_phase": True, "anneal": "linear", "base_momentum": 0.8, "max_momentum": 0.92},
     "adam", 29, lambda o: S.OneCycleLR(o, max_lr=0.1, total_steps=30, three_phase=True, anneal_strategy="linear",
                                        base_momentum=0.8, max_momentum=0.92)),
    ("cyclic", {"base": 0.01, "max": 0.1, "up": 4, "down": 6}, "sgd", 30,
     lambda o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=4, step_size_down=6)),
    ("cyclic", {"base": 0.01, "max": 0.1, "up": 3, "mode": "exp_range", "gamma": 0.9}, "adam", 25,
     lambda o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=3, mode="exp_range", gamma=0.9)),
]
out += [{"schedule": name, "options": options, "optimizer": rule, "lr0": 0.1, "momenta": momenta(make, rule, steps)}
        for name, options, rule, steps, make in MOMENTUM]

path = os.path.join(os.path.dirname(__file__), "..", "OptLabRuntimeTests", "Fixtures", "schedules_torch.json")
with open(path, "w") as f:
    json.dump({"torch": torch.__version__, "cases": out}, f)
print(f"wrote {len(out)} schedules to {os.path.normpath(path)}")
