#!/usr/bin/env python3
"""The JSON fuzzer: every JSON file optlab reads from a run folder (config,
metrics, status, histograms) and a search folder (space, summary, trial,
result, rung files, the ASHA log, claims, the lock) is mutated (numbers out of
range, wrong types, missing keys, truncation, huge arrays, deep nesting, bytes
flipped) and read back by `optlab report`, by `train.fit{resume = true}` and
by a resumed search. Each mutant must either work or end with an error naming
the file it came from: never a signal, never a hang.

Usage: json_fuzz.py path/to/optlab [mutants per reader] [seed]
"""
import json, os, random, shutil, signal, subprocess, sys, tempfile

OPTLAB = os.path.realpath(sys.argv[1])
PER_READER = int(sys.argv[2]) if len(sys.argv) > 2 else 120
SEED = int(sys.argv[3]) if len(sys.argv) > 3 else 20261206
TIMEOUT = 60  # seconds: generous on a busy machine; a hang is a minute of nothing

FIT = """
tensor.seed(1)
local d = data.spiral{classes = 3, per_class = 20}
local m = nn.Sequential{nn.Linear(2, 8), nn.BatchNorm(8), nn.ReLU(), nn.Linear(8, 3)}
train.fit{model = m, loss = nn.SoftmaxCrossEntropy(), optimizer = optim.SGD(m, {lr = 0.1, momentum = 0.9}),
  train = d, val = d, epochs = EPOCHS, batch = 20, log = "runs/fit", resume = true, quiet = true}
"""
SEARCH = """
local d = data.spiral{classes = 3, per_class = 10}
hp.search{name = "search", dir = "runs", seed = 3, quiet = true, space = {lr = hp.loguniform(0.01, 1), act = hp.choice{"relu", "tanh"}},
  stages = {{trials = 3, epochs = 2}, {trials = 2, epochs = 2}},
  trial = function(cfg, budget)
    tensor.seed(cfg.trial)
    local m = nn.Sequential{nn.Linear(2, 8), cfg.act == "relu" and nn.ReLU() or nn.Tanh(), nn.Linear(8, 3)}
    local h = train.fit{model = m, loss = nn.SoftmaxCrossEntropy(), optimizer = optim.SGD(m, {lr = cfg.lr}),
      train = d, val = d, epochs = budget.epochs, batch = 10, log = cfg.dir, quiet = true}
    return {val_acc = h.best.val_acc}
  end}
"""
ASHA = """
hp.search{name = "asha", dir = "runs", seed = 5, quiet = true, trials = 6, space = {x = hp.uniform(0, 1)},
  scheduler = {kind = "asha", min_epochs = 1, max_epochs = 4, eta = 2},
  trial = function(cfg, budget) return cfg.x * budget.epochs end}
"""


def run(args, cwd):
    """(outcome, text): outcome 'ok', 'error', 'signal' or 'hang'."""
    try:
        p = subprocess.run([OPTLAB] + args, cwd=cwd, capture_output=True, text=True, errors="replace", timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return "hang", ""
    if p.returncode < 0:
        return "signal", "%s\n%s" % (signal.Signals(-p.returncode).name, p.stderr[-2000:])
    return ("ok" if p.returncode == 0 else "error"), p.stderr + p.stdout


def make_fixture(root):
    with open(root + "/fit.lua", "w") as f: f.write(FIT.replace("EPOCHS", "2"))
    with open(root + "/refit.lua", "w") as f: f.write(FIT.replace("EPOCHS", "3"))
    with open(root + "/search.lua", "w") as f: f.write(SEARCH)
    with open(root + "/asha.lua", "w") as f: f.write(ASHA)
    for s in ["fit.lua", "search.lua", "asha.lua"]:
        outcome, text = run([s], root)
        if outcome != "ok": sys.exit("fixture %s: %s %s" % (s, outcome, text))
    # a sweep's queue and claims, and a live-looking lock, as a master leaves them mid-search
    os.makedirs(root + "/runs/search/queue", exist_ok=True)
    os.makedirs(root + "/runs/search/running", exist_ok=True)
    with open(root + "/runs/search/queue/9.json", "w") as f:
        json.dump({"trial": 9, "stage": 2, "config": {"lr": 0.1, "act": "relu"}}, f)
    with open(root + "/runs/search/running/8.12345.json", "w") as f:
        json.dump({"trial": 8, "stage": 2, "config": {"lr": 0.2, "act": "tanh"}}, f)
    with open(root + "/runs/search/master.lock", "w") as f: f.write("1\n")


def json_files(root):
    out = []
    for d, _, names in os.walk(root + "/runs"):
        for n in names:
            if n.endswith((".json", ".jsonl")) or n == "master.lock": out.append(os.path.join(d, n))
    return sorted(out)


HUGE = [1e300, -1e300, 4e9, 5e18, -1, 0, 2 ** 63, -(2 ** 63) - 1, 1e-300, 0.5, 1e15]
ODD = [None, "x", "", [], {}, True, [1, 2], {"a": 1}]


def paths(v, at=()):
    yield at
    if isinstance(v, dict):
        for k, x in v.items(): yield from paths(x, at + (k,))
    elif isinstance(v, list):
        for i, x in enumerate(v[:8]): yield from paths(x, at + (i,))


def setat(v, at, new, delete=False):
    if not at: return new
    p = v
    for k in at[:-1]: p = p[k]
    if delete: del p[at[-1]]
    else: p[at[-1]] = new
    return v


def mutate_value(rng, v):
    """A structurally mutated JSON value, or None when it cannot be."""
    ps = list(paths(v))
    at = rng.choice(ps)
    kind = rng.random()
    if kind < 0.45: return setat(v, at, rng.choice(HUGE))
    if kind < 0.75: return setat(v, at, rng.choice(ODD))
    if kind < 0.85 and at: return setat(v, at, None, delete=True)
    if kind < 0.92: return setat(v, at, list(range(rng.choice([1000, 200000]))))
    return setat(v, at, "@DEEP%d@" % rng.choice([100, 5000]))  # spliced in as text (json.dumps recurses)


def dumps(v):
    text = json.dumps(v)
    for n in (100, 5000): text = text.replace('"@DEEP%d@"' % n, "[" * n + "0" + "]" * n)
    return text


def mutate(rng, path):
    data = open(path, "rb").read()
    kind = rng.random()
    if kind < 0.12 and data:  # truncated
        return data[: rng.randrange(len(data))], "truncated"
    if kind < 0.2 and data:   # a byte flipped
        b = bytearray(data); i = rng.randrange(len(b)); b[i] = rng.randrange(256)
        return bytes(b), "byte %d" % i
    if path.endswith(".jsonl"):
        lines = data.decode().split("\n")
        idx = [i for i, l in enumerate(lines) if l.strip()]
        if not idx: return b"{}\n", "empty"
        i = rng.choice(idx)
        v = mutate_value(rng, json.loads(lines[i]))
        lines[i] = dumps(v)
        return "\n".join(lines).encode(), "line %d" % (i + 1)
    if path.endswith("master.lock"):
        return rng.choice([b"-1\n", b"99999999999999999999\n", b"\x00\x01", b"", b"0\n", ("%d\n" % os.getpid()).encode()]), "lock"
    try:
        v = json.loads(data)
    except ValueError:
        return data[:-1], "truncated"
    return dumps(mutate_value(rng, v)).encode(), "value"


# The cases first found by hand (issue 40), before the random mutants: each
# killed `optlab report` with a Swift trap.
NAMED = [
    ("runs/fit/config.json", lambda v: v.update(epochs=1e300)),
    ("runs/fit/config.json", lambda v: v["model"]["children"][0]["config"].update({"in": 4e9, "out": 4e9})),
    ("runs/fit/config.json", lambda v: v["model"]["children"][1]["config"].update(features=5e18)),
    ("runs/fit/status.json", lambda v: v.update(epochs_done=1e300)),
    ("runs/fit/status.json", lambda v: v.update(seconds=1e300, best_epoch=-1e300, seed=float("nan"))),
]


def named_cases(fixture, work, failures):
    n = 0
    for rel, change in NAMED + [("runs/search/summary.jsonl", None)]:
        case = work + "/named"
        shutil.rmtree(case, ignore_errors=True)
        shutil.copytree(fixture, case, symlinks=True)
        path = case + "/" + rel
        if change is None:  # {"trial": 1e300} on the summary's first line
            lines = open(path).read().split("\n")
            first = json.loads(lines[0]); first["trial"] = 1e300; lines[0] = json.dumps(first)
            open(path, "w").write("\n".join(lines))
        else:
            v = json.load(open(path)); change(v); open(path, "w").write(json.dumps(v))
        outcome, text = run(["report", "/".join(rel.split("/")[:2])], case)
        n += 1
        if outcome != "ok": failures.append("report after a hand-made %s: %s %s" % (rel, outcome, text[-600:]))
    return n


def main():
    rng = random.Random(SEED)
    work = tempfile.mkdtemp()
    try:
        fixture = work + "/fixture"; os.makedirs(fixture)
        make_fixture(fixture)
        files = {"report": json_files(fixture), "resume": [f for f in json_files(fixture) if "/runs/fit/" in f],
                 "search": [f for f in json_files(fixture) if "/runs/search/" in f or "/runs/asha/" in f]}
        readers = {
            "report": lambda f: ["report", "runs/fit" if "/runs/fit/" in f else ("runs/search" if "/runs/search/" in f else "runs/asha")],
            "resume": lambda f: ["refit.lua"],
            "search": lambda f: ["search.lua" if "/runs/search/" in f else "asha.lua"],
        }
        counts = {"ok": 0, "error": 0}
        failures = []
        named = named_cases(fixture, work, failures)
        for reader, targets in files.items():
            for n in range(PER_READER):
                case = work + "/case"
                shutil.rmtree(case, ignore_errors=True)
                shutil.copytree(fixture, case, symlinks=True)
                target = rng.choice(targets)
                mine = case + target[len(fixture):]
                data, how = mutate(rng, mine)
                with open(mine, "wb") as f: f.write(data)
                outcome, text = run(readers[reader](target), case)
                rel = os.path.relpath(target, fixture)
                name = os.path.basename(target)
                if outcome in ("signal", "hang"):
                    failures.append("%s of %s (%s): %s %s" % (reader, rel, how, outcome, text[-600:]))
                elif outcome == "error" and name not in text and "master.lock" not in name:
                    failures.append("%s of %s (%s): an error that names no file: %s" % (reader, rel, how, text.strip()[-600:]))
                else:
                    counts[outcome] += 1
        total = PER_READER * len(files)
        print("json fuzz: %d hand-made cases and %d mutants of %d files: %d read, %d refused naming the file, %d failed"
              % (named, total, len(files["report"]), counts["ok"], counts["error"], len(failures)))
        for f in failures[:25]: print("FAIL", f)
        return 0 if not failures else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


sys.exit(main())
