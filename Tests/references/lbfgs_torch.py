"""Prints torch.optim.LBFGS's evaluation sequences that LBFGSTests compares with.

Run with PyTorch installed (not part of the test suites, which keep the printed
numbers as fixed references):  python3 Tests/references/lbfgs_torch.py
"""
import math
import torch

torch.set_default_dtype(torch.float64)


def run(name, x0, f, **options):
    x = torch.tensor(x0, requires_grad=True)
    opt = torch.optim.LBFGS([x], **options)
    points, losses = [], []

    def closure():
        opt.zero_grad()
        loss = f(x)
        loss.backward()
        points.append(x.detach().tolist())
        losses.append(loss.item())
        return loss

    first = opt.step(closure)
    print(f"// {name}: {options}")
    print(f"//   step returned {first.item()!r}, final x {x.detach().tolist()!r}")
    print(f"//   n_iter {opt.state[x]['n_iter']}, func_evals {opt.state[x]['func_evals']}")
    print("points:", [[float(v) for v in p] for p in points])
    print("losses:", losses)


quadratic = lambda x: 0.5 * ((x - 100) ** 2).sum()
rosenbrock = lambda x: (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2

# logistic regression on a fixed, formula-made data set (no random numbers)
n = 40
features = torch.tensor([[math.sin(1.3 * i), math.cos(0.7 * i)] for i in range(n)])
labels = torch.tensor([1.0 if math.sin(1.3 * i) + 0.5 * math.cos(0.7 * i) + 0.4 * math.sin(3.1 * i) > 0 else 0.0 for i in range(n)])


def logistic(w):
    z = features @ w[:2] + w[2]
    return torch.nn.functional.binary_cross_entropy_with_logits(z, labels) + 0.05 * (w[:2] ** 2).sum()


run("quadratic, strong_wolfe", [0.0], quadratic, line_search_fn="strong_wolfe")
run("rosenbrock, strong_wolfe", [-1.2, 1.0], rosenbrock, line_search_fn="strong_wolfe", max_iter=100,
    tolerance_grad=1e-10, tolerance_change=1e-14)
run("logistic, strong_wolfe", [0.0, 0.0, 0.0], logistic, line_search_fn="strong_wolfe", max_iter=50,
    tolerance_grad=1e-12, tolerance_change=1e-15)
run("rosenbrock, fixed step", [-1.2, 1.0], rosenbrock, lr=0.1, max_iter=12)
run("rosenbrock, strong_wolfe, max_eval 7", [-1.2, 1.0], rosenbrock, line_search_fn="strong_wolfe", max_iter=100, max_eval=7)

# the state carries over from one step call to the next: three calls of 4 iterations
x = torch.tensor([-1.2, 1.0], requires_grad=True)
opt = torch.optim.LBFGS([x], line_search_fn="strong_wolfe", max_iter=4)
points = []


def closure():
    opt.zero_grad()
    loss = rosenbrock(x)
    loss.backward()
    points.append(x.detach().tolist())
    return loss


for _ in range(3):
    opt.step(closure)
print("// rosenbrock, strong_wolfe, three calls of max_iter 4")
print(f"//   n_iter {opt.state[x]['n_iter']}, func_evals {opt.state[x]['func_evals']}")
print("points:", points)
