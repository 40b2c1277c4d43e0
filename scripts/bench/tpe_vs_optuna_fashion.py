"""Issue 19's second study, its Fashion-MNIST half: optlab's TPE and Optuna's
TPESampler on one deterministic objective (scripts/bench/fashion_objective.lua:
the MLP's validation accuracy after half an epoch, as a function of lr, reg,
dropout and width), the same number of trials, the same seeds. Optuna's
trials are evaluated by an optlab process reading them on its stdin, so both
samplers see the very same function. The two halves run side by side (one
core each, OPTLAB_NUM_THREADS=1). About 10 minutes with the defaults.

Usage: python3 scripts/bench/tpe_vs_optuna_fashion.py [path/to/optlab] [trials=20] [seeds=10]
Needs optuna (pip install optuna); never run by CI or scripts/test.
"""
import os, statistics, subprocess, sys

optlab = sys.argv[1] if len(sys.argv) > 1 else ".build/release/optlab"
trials = int(sys.argv[2]) if len(sys.argv) > 2 else 20
seeds = int(sys.argv[3]) if len(sys.argv) > 3 else 10
script = "scripts/bench/fashion_objective.lua"
env = dict(os.environ, OPTLAB_NUM_THREADS="1")

import optuna
optuna.logging.set_verbosity(optuna.logging.WARNING)

ours = subprocess.Popen([optlab, script, "tpe", str(trials)] + [str(s) for s in range(seeds)], stdout=subprocess.PIPE, text=True, env=env)
server = subprocess.Popen([optlab, script, "serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)

def evaluate(lr, reg, dropout, width):
    server.stdin.write(f"{lr!r} {reg!r} {dropout!r} {width}\n")
    server.stdin.flush()
    return float(server.stdout.readline())

theirs = []
for seed in range(seeds):
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))
    study.optimize(lambda t: evaluate(t.suggest_float("lr", 1e-3, 1, log=True), t.suggest_float("reg", 1e-6, 1e-2, log=True),
                                      t.suggest_float("dropout", 0, 0.6), t.suggest_categorical("width", [64, 128, 256, 512])),
                   n_trials=trials)
    theirs.append(study.best_value)
    print(f"optuna seed {seed}: {study.best_value:.4f}", flush=True)
server.stdin.close()
server.wait()
mine = [float(l.split()[1]) for l in ours.stdout.read().strip().split("\n")]
ours.wait()

print(f"best validation accuracy after {trials} trials, {seeds} seeds (higher is better)")
print(f"{'method':<12} {'mean':>7} {'stdev':>7} {'median':>7} {'worst':>7}  per seed")
for name, v in (("optlab TPE", mine), ("Optuna TPE", theirs)):
    print(f"{name:<12} {statistics.mean(v):7.4f} {statistics.stdev(v):7.4f} {statistics.median(v):7.4f} {min(v):7.4f}  " + " ".join(f"{x:.4f}" for x in v))
d, spread = statistics.mean(mine) - statistics.mean(theirs), statistics.stdev(theirs)
print(f"optlab − Optuna = {d:+.4f} (Optuna's seed spread {spread:.4f}): " + ("within the spread" if abs(d) <= spread else "outside the spread"))
