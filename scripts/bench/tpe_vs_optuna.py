"""optlab's TPE against Optuna's TPESampler on the same synthetic objective,
the same number of trials, 10 seeds each (issue 19's second study, first half).

Usage: python3 scripts/bench/tpe_vs_optuna.py [path/to/optlab] [trials=40] [seeds=10]
Needs optuna (pip install optuna); never run by CI or scripts/test.
Prints, per method, the best score found per seed and its mean, spread and median.
"""
import math, statistics, subprocess, sys

optlab = sys.argv[1] if len(sys.argv) > 1 else ".build/release/optlab"
trials = int(sys.argv[2]) if len(sys.argv) > 2 else 40
seeds = int(sys.argv[3]) if len(sys.argv) > 3 else 10

import optuna
optuna.logging.set_verbosity(optuna.logging.WARNING)

def objective(x, y, lr):
    b, c, t = 5.1 / (4 * math.pi ** 2), 5 / math.pi, 1 / (8 * math.pi)
    branin = (y - b * x * x + c * x - 6) ** 2 + 10 * (1 - t) * math.cos(x) + 10
    return -(branin + 3 * (math.log10(lr) + 2.5) ** 2)

best = {"optuna tpe": [], "optuna random": []}
for seed in range(seeds):
    for name, sampler in (("optuna tpe", optuna.samplers.TPESampler(seed=seed)), ("optuna random", optuna.samplers.RandomSampler(seed=seed))):
        study = optuna.create_study(direction="maximize", sampler=sampler)
        study.optimize(lambda tr: objective(tr.suggest_float("x", -5, 10), tr.suggest_float("y", 0, 15),
                                            tr.suggest_float("lr", 1e-5, 1, log=True)), n_trials=trials)
        best[name].append(study.best_value)

out = subprocess.run([optlab, "scripts/bench/tpe_synthetic.lua", str(trials), str(seeds)], capture_output=True, text=True, check=True).stdout
for line in out.split("\n"):
    if line.strip():
        method, seed, score = line.split()
        best.setdefault("optlab " + method, []).append(float(score))

print(f"best score after {trials} trials, {seeds} seeds (the optimum is -0.398; higher is better)")
print(f"{'method':<15} {'mean':>8} {'stdev':>7} {'median':>8} {'worst':>8}  per seed")
for name in ("optlab tpe", "optuna tpe", "optlab random", "optuna random"):
    v = best[name]
    print(f"{name:<15} {statistics.mean(v):8.3f} {statistics.stdev(v):7.3f} {statistics.median(v):8.3f} {min(v):8.3f}  " + " ".join(f"{x:.2f}" for x in v))
a, b = best["optlab tpe"], best["optuna tpe"]
spread = statistics.stdev(b)
print(f"optlab tpe mean − optuna tpe mean = {statistics.mean(a) - statistics.mean(b):+.3f} (optuna's seed spread {spread:.3f}): "
      + ("within the spread" if abs(statistics.mean(a) - statistics.mean(b)) <= spread else "outside the spread"))
