"""Issue 19's first and third studies on Fashion-MNIST: random search, coarse
to fine, TPE (12 trials of 4 epochs, and 24 of 2), ASHA with random sampling and ASHA with TPE, each with 5 seeds
and a budget of about 48 epochs, run by `optlab sweep --workers 2`; each
search's chosen setting trained again with 3 fresh seeds (test accuracy);
then distillation on the first seed's TPE search. About 25 minutes on 2 cores.

Usage: python3 scripts/bench/search_study.py [path/to/optlab] [seeds=5] [methods=random,c2f,tpe,random24,tpe24,asha,asha_tpe] [root=runs/study]
Writes its searches under root (removed first) and prints the tables.
"""
import json, os, shutil, statistics, subprocess, sys, time

optlab = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".build/release/optlab")
seeds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
methods = (sys.argv[3] if len(sys.argv) > 3 else "random,c2f,tpe,random24,tpe24,asha,asha_tpe").split(",")
root = sys.argv[4] if len(sys.argv) > 4 else "runs/study"
shutil.rmtree(root, ignore_errors=True)

def latest_per_trial(folder):
    rows = {}
    for line in open(folder + "/summary.jsonl"):
        r = json.loads(line)
        rows[r["trial"]] = r
    return rows

results = {m: [] for m in methods}
for seed in range(seeds):
    for m in methods:
        name = f"{m}-{seed}"
        env = dict(os.environ, METHOD=m, SEED=str(seed), NAME=name, DIR=root)
        t = time.monotonic()
        subprocess.run([optlab, "sweep", "scripts/bench/fashion_search.lua", "--workers", "2"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        wall = time.monotonic() - t
        best = json.load(open(f"{root}/{name}/best.json"))
        trials = latest_per_trial(f"{root}/{name}")
        epochs = sum(r.get("at") or 0 for r in trials.values())
        results[m].append({"seed": seed, "best": best["score"], "config": best["config"], "wall": wall, "epochs": epochs,
                           "trials": len(trials)})
        print(f"{name}: best {best['score']:.4f} in {wall:.1f} s, {epochs:.1f} epochs over {len(trials)} trials, {best['config']}", flush=True)

for m in methods:
    for r in results[m]:
        c = r["config"]
        out = subprocess.run([optlab, "scripts/bench/fashion_retrain.lua", repr(c["lr"]), repr(c["reg"]), repr(c["dropout"]), str(c["width"]), "4",
                              "101", "102", "103"], capture_output=True, text=True, check=True).stdout
        r["retrained"] = [float(l.split()[2]) for l in out.strip().split("\n")]
        print(f"{m}-{r['seed']} retrained: test {r['retrained']}", flush=True)

def ms(v): return f"{statistics.mean(v):.4f} ± {statistics.stdev(v):.4f}" if len(v) > 1 else f"{v[0]:.4f}"
print()
print("| method | best validation accuracy found | its setting retrained, test accuracy (3 seeds each) | epochs trained | trials | wall time, 2 workers |")
print("|---|---:|---:|---:|---:|---:|")
for m in methods:
    rs = results[m]
    retrained = [statistics.mean(r["retrained"]) for r in rs]
    print(f"| {m} | {ms([r['best'] for r in rs])} | {ms(retrained)} | {statistics.mean([r['epochs'] for r in rs]):.1f} | "
          f"{statistics.mean([r['trials'] for r in rs]):.0f} | {statistics.mean([r['wall'] for r in rs]):.1f} s |")

if "tpe" in methods:
    c = results["tpe"][0]["config"]
    print()
    print("distillation, on", f"{root}/tpe-0", c)
    env = dict(os.environ, OPTLAB_NUM_THREADS="1")
    print(subprocess.run([optlab, "scripts/bench/distill_study.lua", f"{root}/tpe-0", repr(c["lr"]), repr(c["reg"]), repr(c["dropout"]),
                          str(c["width"]), "4"], capture_output=True, text=True, check=True, env=env).stdout)
