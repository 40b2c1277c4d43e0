#!/usr/bin/env bash
# The sweep master and its workers, as real processes: a 2-worker sweep,
# SIGKILL of a worker and of the master, resume, and a second master refused.
# Usage: Tests/sweep/sweep_test.sh path/to/optlab
set -u
OPTLAB=$(realpath "${1:?usage: sweep_test.sh path/to/optlab}")
WORK=$(mktemp -d)
trap 'pkill -9 -f "sweep-worker $WORK" 2>/dev/null; rm -rf "$WORK"' EXIT
cd "$WORK"
passed=0; failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL $1"; }
trials_done() { ls "$1"/*/result.json 2>/dev/null | wc -l; }
summary_lines() { [ -f "$1/summary.jsonl" ] && wc -l < "$1/summary.jsonl" || echo 0; }
# wait_for WHAT SECONDS CONDITION: polls the condition (a generous limit, for a busy machine)
wait_for() {
  local what=$1 limit=$2 cond=$3
  for _ in $(seq $((limit * 10))); do eval "$cond" && return 0; sleep 0.1; done
  bad "timed out waiting for $what"; return 1
}

# 1. A real 2-worker sweep on the spiral, two stages.
cat > spiral.lua <<'LUA'
local d = data.spiral{classes = 3, per_class = 40}
hp.search{name = "spiral", dir = "runs", seed = 1, quiet = true, space = {lr = hp.loguniform(0.01, 1)},
  stages = {{trials = 4, epochs = 8}, {trials = 2, epochs = 16}},
  trial = function(cfg, budget)
    tensor.seed(cfg.trial)
    local m = nn.Sequential{nn.Linear(2, 32, {init = "kaiming"}), nn.ReLU(), nn.Linear(32, 3)}
    local h = train.fit{model = m, loss = nn.SoftmaxCrossEntropy(), optimizer = optim.SGD(m, {lr = cfg.lr, momentum = 0.9}),
      train = d, val = d, epochs = budget.epochs, batch = 40, log = cfg.dir, quiet = true}
    return {val_acc = h.best.val_acc}
  end}
LUA
# TPE with 2 workers: each trial sampled as a worker frees up, none lost or doubled, the random start kept.
cat > tpe.lua <<'LUA'
hp.search{name = "tpe", dir = "runs", seed = 4, quiet = true, method = "tpe", trials = 14, prune = false,
  space = {x = hp.uniform(-5, 5), act = hp.choice{"a", "b"}},
  trial = function(cfg) return {val_acc = -(cfg.x - 1) ^ 2 - (cfg.act == "b" and 0 or 1)} end}
LUA
"$OPTLAB" sweep tpe.lua --workers 2 >/dev/null || bad "2-worker TPE sweep exited non-zero"
[ "$(trials_done runs/tpe)" = 14 ] && [ "$(summary_lines runs/tpe)" = 14 ] && ok || bad "TPE sweep: $(trials_done runs/tpe) results, $(summary_lines runs/tpe) summary lines"
python3 - runs/tpe <<'PY' && ok || bad "TPE sweep's trials"
import json, sys, glob
cfgs = [json.load(open(f)) for f in sorted(glob.glob(sys.argv[1] + "/s1-t*/trial.json"))]
xs = [c["raw"]["x"] for c in cfgs]
ok = len(cfgs) == 14 and all(c["method"] == "tpe" for c in cfgs) and len(set(xs)) == 14 and all(-5 <= x <= 5 for x in xs)
print("TPE sweep:", len(cfgs), "trials,", len(set(xs)), "distinct") if ok else print("TPE sweep trials:", cfgs)
sys.exit(0 if ok else 1)
PY

help=$("$OPTLAB" sweep --help) && grep -q -- "--backend slurm" <<<"$help" && ok || bad "optlab sweep --help prints the usage and exits 0"
"$OPTLAB" sweep spiral.lua --workers 2 || bad "2-worker sweep exited non-zero"
wait_for "the workers to leave with their finished sweep" 30 '! pgrep -f -- "--sweep-worker spiral.lua" >/dev/null' && ok
[ "$(trials_done runs/spiral)" = 6 ] && ok || bad "2-worker sweep: $(trials_done runs/spiral) of 6 results"
[ "$(summary_lines runs/spiral)" = 6 ] && ok || bad "summary.jsonl has $(summary_lines runs/spiral) lines"
ls runs/spiral/s1-t001 | grep -q '^ep008_val' && ok || bad "trial folders hold their checkpoints"
grep -q '"status":"ok"' runs/spiral/s2-t006/result.json && ok || bad "stage 2 ran"
"$OPTLAB" sweep --summary runs/spiral | grep -q "6 trials, 6 finished" && ok || bad "sweep --summary"
"$OPTLAB" report runs/spiral >/dev/null && ok || bad "report of a search folder"
grep -q "score vs lr" runs/spiral/report.html && grep -q "lr (log scale)" runs/spiral/report.html && ok || bad "the search page lacks score vs lr on a log axis"
grep -q "<h2>Every run</h2>" runs/spiral/report.html && [ "$(grep -o "<tr class=\"ok\">" runs/spiral/report.html | wc -l)" -eq 6 ] && ok || bad "the search page lacks the table of its 6 trials"
grep -q ">stage 2</text>" runs/spiral/report.html && ok || bad "the search page's plots do not tell the stages apart"

# Slow trials for the kill tests: each busy for 1.5 s, recording the process that ran it;
# trial 1 holds until the test says go (runs/slow/go), so a kill lands mid-trial on any machine.
cat > slow.lua <<'LUA'
local function pid() local f = io.open("/proc/self/stat"); local p = f:read("n"); f:close(); return p end
hp.search{name = "slow", dir = "runs", quiet = true, space = {x = hp.uniform(0, 1)},
  stages = {{trials = 4}, {trials = 2}},
  trial = function(cfg)
    local f = io.open(cfg.dir .. "/ran", "a"); f:write(pid(), "\n"); f:close()
    if cfg.trial == 1 then while not io.open(cfg.dir .. "/../go") do os.execute("sleep 0.05") end end
    local t = os.clock(); while os.clock() - t < 1.5 do end
    return cfg.x
  end}
LUA

# 2. SIGKILL a worker mid-trial: its trial is requeued and the sweep finishes.
"$OPTLAB" sweep slow.lua --workers 2 & master=$!
wait_for "trial 1 to start" 60 '[ -s runs/slow/s1-t001/ran ]'
victim=$(head -1 runs/slow/s1-t001/ran)
[ -n "$victim" ] && kill -9 "$victim" && ok || bad "no worker to kill"
touch runs/slow/go
wait "$master" && ok || bad "the master failed after a worker was killed"
[ "$(trials_done runs/slow)" = 6 ] && ok || bad "after a killed worker: $(trials_done runs/slow) of 6 results"
grep -c . runs/slow/*/ran | grep -q ':2$' && ok || bad "the killed worker's trial ran again"
! grep -q '"status":"failed"' runs/slow/*/result.json && ok || bad "a trial failed after one worker death"
[ "$(grep -l '"retries":1' runs/slow/*/result.json | wc -l)" = 1 ] && ok || bad "the retried trial's result does not record its retry"
rm -rf runs/slow

# 3. SIGKILL the master, then resume: nothing finished is lost or redone.
mkdir -p runs/slow && touch runs/slow/go
"$OPTLAB" sweep slow.lua --workers 2 & master=$!
wait_for "a first result" 60 '[ "$(trials_done runs/slow)" -ge 1 ]'
kill -9 "$master"; wait "$master" 2>/dev/null
while pgrep -f -- "--sweep-worker slow.lua" >/dev/null; do sleep 0.2; done   # orphaned workers finish the queue
before=$(trials_done runs/slow)
[ "$before" -ge 1 ] && ok || bad "nothing finished before the master died"
"$OPTLAB" sweep slow.lua --workers 2 --resume && ok || bad "resume failed"
[ "$(trials_done runs/slow)" = 6 ] && ok || bad "after resume: $(trials_done runs/slow) of 6 results"
! grep -c . runs/slow/*/ran | grep -qv ':1$' && ok || bad "a finished trial ran twice"
[ "$(summary_lines runs/slow)" = 6 ] && ok || bad "summary.jsonl has $(summary_lines runs/slow) lines after resume"
rm -rf runs/slow

# 4. Two masters on one sweep: the second is refused.
mkdir -p runs/slow && touch runs/slow/go
"$OPTLAB" sweep slow.lua --workers 1 >/dev/null 2>&1 & first=$!
wait_for "the first master's lock" 60 '[ -s runs/slow/master.lock ]'
"$OPTLAB" sweep slow.lua --workers 2 2>&1 | grep -q "another master" && ok || bad "a second master was not refused"
kill "$first" 2>/dev/null; wait "$first" 2>/dev/null

# 5. The search page names a choice parameter's values on its axis.
cat > choice.lua <<'LUA'
hp.search{name = "c", dir = "runs", quiet = true, trials = 9, space = {act = hp.choice{"relu", "tanh", "sigmoid"}, lr = hp.loguniform(1e-3, 1)},
  trial = function(cfg) return (cfg.act == "relu" and 1 or 0.5) - (math.log(cfg.lr, 10) + 2) ^ 2 / 10 end}
LUA
"$OPTLAB" choice.lua && "$OPTLAB" report runs/c >/dev/null || bad "choice search and report"
[ "$(tr -d '\n' < runs/c/report.html | grep -o 'score vs act.*score vs lr' | grep -o '>relu<\|>tanh<\|>sigmoid<' | sort -u | wc -l)" = 3 ] && ok || bad "the act axis does not name relu, tanh and sigmoid"

# 7. Workers write what they print to their logs, not over the master's table;
#    a second search in one swept script is refused instead of waiting forever.
cat > two.lua <<'LUA'
for i = 1, 2 do
  hp.search{name = "two" .. i, dir = "runs", quiet = true, trials = 2, space = {x = hp.uniform(0, 1)},
    trial = function(cfg) print("hello from trial " .. cfg.trial); return cfg.x end}
end
LUA
out=$(timeout 60 "$OPTLAB" sweep two.lua --workers 2 2>&1); code=$?
[ "$code" = 1 ] && grep -q "runs one search per script" <<<"$out" && ok || bad "a second search under sweep: exit $code, $out"
! grep -q "hello from trial" <<<"$out" && [ "$(cat runs/two1/workers/*.log | grep -c 'hello from trial')" = 2 ] && ok || bad "worker output did not go to runs/two1/workers/*.log"

# 8. Mistakes: a script without hp.search, workers that die before taking a trial.
echo 'print("no search here")' > nosearch.lua
out=$(timeout 30 "$OPTLAB" sweep nosearch.lua --workers 2 2>&1); code=$?
[ "$code" = 1 ] && grep -q "without calling hp.search" <<<"$out" && [ "$(grep -c 'no search here' <<<"$out")" = 1 ] && ok || bad "a script without hp.search: exit $code, $out"
cat > dies.lua <<'LUA'
if os.getenv("OPTLAB_SWEEP_MASTER") then os.exit(7) end
hp.search{name = "dies", dir = "runs", quiet = true, trials = 3, space = {x = hp.uniform(0, 1)}, trial = function(cfg) return cfg.x end}
LUA
out=$(timeout 60 "$OPTLAB" sweep dies.lua --workers 2 2>&1); code=$?
[ "$code" = 1 ] && grep -q "the workers keep dying" <<<"$out" && ok || bad "workers that always die: exit $code, $out"

# 9. Asynchronous successive halving with 2 workers, on the spiral with real
#    train.fit: every job handed out has its rung's result, promotions come
#    from a rung's top half, and a promoted trial resumes (never retrains).
cat > asha.lua <<'LUA'
local d = data.spiral{classes = 3, per_class = 40}
hp.search{name = "asha", dir = "runs", seed = 2, quiet = true, trials = 8, space = {lr = hp.loguniform(0.003, 0.3)},
  scheduler = {kind = "asha", min_epochs = 0.5, max_epochs = 4, eta = 2},
  trial = function(cfg, budget)
    tensor.seed(1)
    local m = nn.Sequential{nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3)}
    local h = train.fit{model = m, loss = nn.SoftmaxCrossEntropy(), optimizer = optim.Adam(m, {lr = cfg.lr}),
      train = d, val = d, batch = 10, budget = budget, keep_best = false}
    local f = io.open(cfg.dir .. "/../ran", "a")
    f:write(string.format("%d %g %d %s\n", cfg.trial, budget.epochs, #h.loss, tostring(h.resumed_from))); f:close()
    return {val_acc = h.val_acc[#h.val_acc]}
  end}
LUA
"$OPTLAB" sweep asha.lua --workers 2 >/dev/null || bad "2-worker ASHA sweep exited non-zero"
python3 - runs/asha <<'PY' && ok || bad "the 2-worker ASHA sweep"
import json, sys, collections
root = sys.argv[1]
jobs = [json.loads(l) for l in open(root + "/asha.jsonl")]
runs = [l.split() for l in open(root + "/ran")]
rungs = [0.5, 1, 2, 4]
res = {}
for j in jobs:
    k = rungs.index(j["epochs"]) + 1
    res[(j["trial"], k)] = json.load(open("%s/s1-t%03d/rung%d.json" % (root, j["trial"], k)))
errors = []
if sum(1 for j in jobs if j["epochs"] == 0.5) != 8: errors.append("not 8 trials at rung 1")
for j in jobs:
    k = rungs.index(j["epochs"]) + 1
    if k > 1:
        # promoted from rung k-1 where it was in the top half of what had finished there
        if res[(j["trial"], k - 1)]["status"] != "ok": errors.append("promoted a failed trial %d" % j["trial"])
for t, e, steps, resumed in runs:
    if int(steps) != round(float(e) * 12): errors.append("trial %s at %s epochs took %s steps" % (t, e, steps))
    if float(e) > 0.5 and resumed == "nil": errors.append("trial %s at %s epochs did not resume" % (t, e))
if len(runs) != len(jobs): errors.append("%d runs for %d jobs" % (len(runs), len(jobs)))
counts = collections.Counter(j["epochs"] for j in jobs)
if not (counts[1] >= 4 and counts[4] >= 1): errors.append("rung sizes %s" % dict(counts))
print("ASHA sweep:", dict(counts)) if not errors else print("\n".join(errors))
sys.exit(1 if errors else 0)
PY

"$OPTLAB" report runs/asha >/dev/null && grep -q "<h2>Successive halving</h2>" runs/asha/report.html && grep -q "rung (epochs)" runs/asha/report.html \
  && grep -q ">rung 1 (0.5 epochs)<" runs/asha/report.html && ok || bad "the ASHA search page shows no rungs"

# 10. ASHA's kill tests: slow scripted trials (1.2 s each), recording each job run and its process;
# trial 1's first rung holds until runs/as/go exists, so a kill lands mid-rung on any machine.
cat > ashaslow.lua <<'LUA'
local function pid() local f = io.open("/proc/self/stat"); local p = f:read("n"); f:close(); return p end
hp.search{name = "as", dir = "runs", seed = 5, quiet = true, trials = 6, space = {x = hp.uniform(0, 1)},
  scheduler = {kind = "asha", min_epochs = 1, max_epochs = 4, eta = 2},
  trial = function(cfg, budget)
    local f = io.open(cfg.dir .. "/../ran", "a"); f:write(cfg.trial .. "@" .. budget.epochs .. " ", pid(), "\n"); f:close()
    if cfg.trial == 1 and budget.epochs == 1 then while not io.open(cfg.dir .. "/../go") do os.execute("sleep 0.05") end end
    local t = os.clock(); while os.clock() - t < 1.2 do end
    return cfg.x + budget.rung
  end}
LUA
asha_check() {  # every job in asha.jsonl has its rung's result; none failed; the ones listed in $2 ran twice
  python3 - runs/as "$1" <<'PY'
import json, sys, collections
root, twice_allowed = sys.argv[1], int(sys.argv[2])
jobs = [json.loads(l) for l in open(root + "/asha.jsonl")]
ran = collections.Counter(l.split()[0] for l in open(root + "/ran"))
bad = []
for j in jobs:
    k = [1, 2, 4].index(j["epochs"]) + 1
    r = json.load(open("%s/s1-t%03d/rung%d.json" % (root, j["trial"], k)))
    if r["status"] != "ok": bad.append("%s: %s" % (j, r.get("error")))
twice = [k for k, n in ran.items() if n > 1]
if len(twice) > twice_allowed: bad.append("ran more than once: %s" % twice)
if sum(ran.values()) != len(jobs) + len(twice): bad.append("%d runs for %d jobs" % (sum(ran.values()), len(jobs)))
if len(set((j["trial"], j["epochs"]) for j in jobs)) != len(jobs): bad.append("a job handed out twice")
if sum(1 for j in jobs if j["epochs"] == 1) != 6: bad.append("not 6 trials started")
print("\n".join(bad)) if bad else None
sys.exit(1 if bad else 0)
PY
}
# a worker killed mid-rung: its job runs again at its rung
"$OPTLAB" sweep ashaslow.lua --workers 2 & master=$!
wait_for "trial 1's first rung to start" 60 'grep -q "^1@1 " runs/as/ran 2>/dev/null'
victim=$(grep "^1@1 " runs/as/ran | head -1 | cut -d" " -f2)
[ -n "$victim" ] && kill -9 "$victim" && ok || bad "no ASHA worker to kill"
touch runs/as/go
wait "$master" && ok || bad "the ASHA master failed after a worker was killed"
asha_check 1 && ok || bad "ASHA after a killed worker"
[ "$(cut -d" " -f1 runs/as/ran | sort | uniq -d)" = "1@1" ] && ok || bad "the killed worker's job did not run again: $(cut -d" " -f1 runs/as/ran | sort | uniq -c | tr '\n' ' ')"
rm -rf runs/as
# the master killed mid-rung, then resumed: every job handed out is finished, none run twice
mkdir -p runs/as && touch runs/as/go
"$OPTLAB" sweep ashaslow.lua --workers 2 & master=$!
wait_for "a first rung to start" 60 '[ -s runs/as/ran ]'
kill -9 "$master"; wait "$master" 2>/dev/null
while pgrep -f -- "--sweep-worker ashaslow.lua" >/dev/null; do sleep 0.2; done
"$OPTLAB" sweep ashaslow.lua --workers 2 --resume >/dev/null && ok || bad "ASHA resume failed"
asha_check 0 && ok || bad "ASHA after the master was killed and resumed"
rm -rf runs/as

# 6. On a terminal: the table is redrawn in place (one header per stage,
#    rows cut to the width), with a stage bar, and how ranges narrowed.
cat > live.lua <<'LUA'
local d = data.spiral{classes = 3, per_class = 40}
local ce = nn.SoftmaxCrossEntropy()
hp.search{name = "live", dir = "runs", seed = 3, space = {lr = hp.loguniform(0.001, 3), reg = hp.loguniform(1e-6, 1e-1)},
  stages = {{trials = 8, epochs = 4}, {trials = 4, epochs = 6}},
  trial = function(cfg, budget)
    tensor.seed(cfg.trial)
    local m = nn.Sequential{nn.Linear(2, 32, {init = "kaiming"}), nn.ReLU(), nn.Linear(32, 3)}
    local slow = function(s, y) local t = os.clock() while os.clock() - t < 0.02 do end return ce(s, y) end
    local h = train.fit{model = m, loss = slow, optimizer = optim.SGD(m, {lr = cfg.lr, momentum = 0.9}), reg = cfg.reg,
      train = d, val = d, batch = 20, log = cfg.dir, budget = budget}
    return {val_acc = h.best.val_acc}
  end}
LUA
session=optlab-sweep-live-$$
tmux new-session -d -s "$session" -x 80 -y 30 "cd '$WORK' && '$OPTLAB' live.lua; echo EXITED; sleep 30"
for _ in $(seq 600); do tmux capture-pane -p -t "$session" | grep -q EXITED && break; sleep 0.1; done
tmux capture-pane -p -J -t "$session" > live.screen   # -J: a wrapped line comes back whole
tmux kill-session -t "$session" 2>/dev/null
[ "$(grep -c '^trial stage lr' live.screen)" = 2 ] && ok || { bad "the live table left $(grep -c '^trial stage lr' live.screen) headers (expected one per stage)"; cat live.screen; }
grep -q '^stage 1/2 \[█*\] 8/8 done' live.screen && ok || bad "no finished stage-1 progress bar"
grep -q '^stage 1 done: ' live.screen && grep -q 'narrows from' live.screen && ok || bad "no stage summary with the narrowed ranges"
grep -q '^best: trial ' live.screen && ok || bad "no best trial on the terminal"
python3 -c 'import sys; rows = [l.rstrip("\n") for l in open(sys.argv[1], encoding="utf-8") if l[:1].isdigit() or l.startswith(("trial", "stage "))]; sys.exit(any(len(l) > 80 for l in rows) or len(rows) < 14)' live.screen && ok || bad "a table line is wider than the terminal"

echo "sweep: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
