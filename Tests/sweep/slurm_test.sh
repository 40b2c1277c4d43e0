#!/usr/bin/env bash
# The Slurm backend against a real single-node Slurm started here (munge,
# slurmctld, slurmd from Debian): submit a job array, watch it, cancel one
# task, requeue one (it resumes from its last epoch), a task that fails is
# submitted once more, stage 2 follows; Ctrl-C on the master cancels its jobs.
# Usage: Tests/sweep/slurm_test.sh path/to/optlab
set -u
OPTLAB=$(realpath "${1:?usage: slurm_test.sh path/to/optlab}")
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d)
trap '"$HERE/slurm_down.sh" "$WORK/slurm"; [ -n "${KEEP:-}" ] && echo "kept $WORK" || rm -rf "$WORK"' EXIT
"$HERE/slurm_up.sh" "$WORK/slurm" >/dev/null || { echo "slurm: could not start Slurm"; exit 1; }
export SLURM_CONF="$WORK/slurm/slurm.conf"
cd "$WORK"
passed=0; failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL $1"; }
status() { grep -o '"status":"[a-z]*"' "runs/$1/$2/result.json" 2>/dev/null | cut -d'"' -f4; }
# wait_for "description" seconds 'shell condition': polls until it holds
wait_for() {
  local what=$1 limit=$2 cond=$3
  for _ in $(seq $((limit * 10))); do eval "$cond" && return 0; sleep 0.1; done
  bad "timed out waiting for $what"; return 1
}
task_state() { squeue -h -r -t all -o "%i %T" -j "$1" 2>/dev/null | awk -v t="$1_$2" '$1 == t {print $2}'; }
first_job() { head -1 "runs/$1/slurm/jobs.jsonl" 2>/dev/null | grep -o '"job":"[0-9]*"' | grep -o '[0-9]*'; }

# Trials of 8 slow epochs on the spiral (about 4 s each). Trial 3 fails its
# first attempt by exiting, as a crashed node would leave it.
cat > sweep.lua <<'LUA'
local d = data.spiral{classes = 3, per_class = 40}
local ce = nn.SoftmaxCrossEntropy()
hp.search{name = os.getenv("NAME") or "t", dir = "runs", seed = 2, space = {lr = hp.loguniform(0.01, 1)},
  stages = {{trials = 4, epochs = 8}, {trials = 2, epochs = 2}},
  trial = function(cfg, budget)
    if cfg.trial == 3 and not os.getenv("NOFAIL") and not io.open(cfg.dir .. "/attempted") then
      io.open(cfg.dir .. "/attempted", "w"):close()
      os.exit(3)
    end
    tensor.seed(cfg.trial)
    local m = nn.Sequential{nn.Linear(2, 32, {init = "kaiming"}), nn.ReLU(), nn.Linear(32, 3)}
    local slow = function(s, y) local t = os.clock() while os.clock() - t < 0.15 do end return ce(s, y) end
    local h = train.fit{model = m, loss = slow, optimizer = optim.SGD(m, {lr = cfg.lr, momentum = 0.9}),
      train = d, val = d, batch = 40, log = cfg.dir, budget = budget}
    return {val_acc = h.best.val_acc}
  end}
LUA

"$OPTLAB" sweep sweep.lua --backend slurm --parallel 2 > master.out 2>&1 & master=$!
wait_for "the stage-1 job array" 20 '[ -n "$(first_job t)" ]' 
J=$(first_job t)
# cancel task 0 while it runs
wait_for "task 0 to run" 30 '[ "$(task_state "$J" 0)" = RUNNING ]' && scancel "${J}_0"
# requeue task 1 once it has finished an epoch; it must resume, not restart
wait_for "trial 2's first epoch" 30 '[ -f runs/t/s1-t002/resume.safetensors ]' 
# (a requeued job waits two minutes before it may start again; the test lets it start at once)
scontrol requeue "${J}_1" && ok || bad "scontrol requeue ${J}_1"
wait_for "the requeued task to be pending" 20 '[ "$(task_state "$J" 1)" = PENDING ]' && scontrol update jobid="${J}_1" StartTime=now
wait_for "the master" 120 '! kill -0 $master 2>/dev/null' 
wait "$master" && ok || { bad "the master exited non-zero"; cat master.out; }
[ "$(wc -l < runs/t/summary.jsonl)" = 6 ] && ok || bad "summary.jsonl has $(wc -l < runs/t/summary.jsonl) lines, expected 6"
[ "$(status t s1-t001)" = cancelled ] && ok || bad "trial 1 (scancel) is '$(status t s1-t001)', expected cancelled"
grep -q "was cancelled" runs/t/s1-t001/result.json && ok || bad "trial 1's result does not say it was cancelled"
[ "$(status t s1-t002)" = ok ] && ok || bad "trial 2 (requeued) is '$(status t s1-t002)'"
grep -q '"resumed_from_epoch"' runs/t/s1-t002/metrics.jsonl && ok || bad "trial 2 did not resume from its checkpoint after the requeue"
# every epoch ran once across the requeue (its validation recorded once each), and the checkpoints kept
# are train.fit's default: the best 3 and the last
python3 -c 'import json, sys; e = sorted(r["epoch"] for r in map(json.loads, open(sys.argv[1])) if "val_acc" in r); sys.exit(e != list(range(1, 9)))' \
  runs/t/s1-t002/metrics.jsonl && ok || bad "trial 2's epochs with a validation: $(grep -c val_acc runs/t/s1-t002/metrics.jsonl), expected 1 to 8 once each"
n=$(ls runs/t/s1-t002 | grep -c '^ep00[1-8]_val')
[ "$n" -ge 3 ] && [ "$n" -le 4 ] && ls runs/t/s1-t002 | grep -q '^ep008_val' && ok || bad "trial 2 keeps $n epoch checkpoints (expected the best 3 and the last, ep008)"
[ "$(status t s1-t003)" = ok ] && ok || bad "trial 3 (failed once) is '$(status t s1-t003)', expected ok after one more submission"
grep -q '"retries":1' runs/t/s1-t003/result.json && ok || bad "trial 3's result does not record its retry"
[ "$(grep -c '"stage":1' runs/t/slurm/jobs.jsonl)" = 2 ] && ok || bad "stage 1 was not submitted exactly twice (the array, then trial 3 again)"
[ "$(status t s1-t004)" = ok ] && ok || bad "trial 4 is '$(status t s1-t004)'"
[ "$(status t s2-t005)" = ok ] && [ "$(status t s2-t006)" = ok ] && ok || bad "stage 2 did not run"
grep -q -- "--array=0,1,2,3%2" master.out runs/t/slurm/jobs.jsonl 2>/dev/null || grep -q '"tasks":\[0,1,2,3\]' runs/t/slurm/jobs.jsonl && ok || bad "stage 1 was not one array of 4 tasks"
"$OPTLAB" sweep --summary runs/t | grep -q "6 trials, 5 finished" && ok || bad "sweep --summary: $("$OPTLAB" sweep --summary runs/t | tail -1)"
grep -q "best: trial" master.out && ok || bad "the master printed no best trial"

# Ctrl-C on the master cancels its array.
NAME=c "$OPTLAB" sweep sweep.lua --backend slurm --parallel 2 > interrupted.out 2>&1 & master=$!
wait_for "the interrupted sweep's array" 20 '[ -n "$(first_job c)" ]' 
C=$(first_job c)
wait_for "a running task" 30 '[ "$(task_state "$C" 0)" = RUNNING ]' 
kill -INT "$master"
wait "$master" && bad "an interrupted master exited 0" || ok
wait_for "the array to be cancelled" 20 '! squeue -h -r -t all -o "%i %T" -j $C | grep -qE "RUNNING|PENDING"' 
squeue -h -r -t all -o "%T" -j "$C" | grep -q CANCELLED && ok || bad "no task of the interrupted sweep was cancelled"
[ ! -f runs/c/master.lock ] && ok || bad "the interrupted master left its lock"

# SIGKILL the master mid-stage: its array runs on; the resumed master watches
# it (no second submission) and finishes the sweep.
NAME=k NOFAIL=1 "$OPTLAB" sweep sweep.lua --backend slurm --parallel 2 > killed.out 2>&1 & master=$!
wait_for "the killed sweep's array" 20 '[ -n "$(first_job k)" ]'
K=$(first_job k)
wait_for "a running task" 30 '[ "$(task_state "$K" 0)" = RUNNING ]'
kill -9 "$master"; wait "$master" 2>/dev/null
NAME=k NOFAIL=1 "$OPTLAB" sweep sweep.lua --backend slurm --parallel 2 --resume > resumed.out 2>&1 && ok || { bad "the resumed Slurm master failed"; cat resumed.out; }
[ "$(grep -c '"stage":1' runs/k/slurm/jobs.jsonl)" = 1 ] && ok || bad "the resumed master submitted stage 1 again"
[ "$(grep -c '"status":"ok"' runs/k/summary.jsonl)" = 6 ] && ok || bad "after the resume: $(grep -c '"status":"ok"' runs/k/summary.jsonl) of 6 trials ok"

# Successive halving and TPE on Slurm: each job, decided when a slot frees
# up, is its own one-task array, at most --parallel of them at a time.
cat > asha.lua <<'LUA'
hp.search{name = os.getenv("NAME"), dir = "runs", seed = 3, quiet = true, trials = 6, space = {x = hp.uniform(0, 1)},
  method = os.getenv("METHOD"), scheduler = os.getenv("NAME") == "asha" and {kind = "asha", min_epochs = 1, max_epochs = 4, eta = 2} or nil,
  trial = function(cfg, budget)
    local t = os.clock(); while os.clock() - t < 0.3 do end
    return -(cfg.x - 0.3) ^ 2 + (budget.rung or 0)
  end}
LUA
NAME=asha METHOD=random "$OPTLAB" sweep asha.lua --backend slurm --parallel 2 > asha.out 2>&1 && ok || { bad "the ASHA sweep on Slurm failed"; cat asha.out; }
python3 - runs/asha <<'PY' && ok || bad "ASHA on Slurm"
import json, sys
root = sys.argv[1]
jobs = [json.loads(l) for l in open(root + "/asha.jsonl")]
subs = [json.loads(l) for l in open(root + "/slurm/jobs.jsonl")]
bad = []
for j in jobs:
    k = [1, 2, 4].index(j["epochs"]) + 1
    r = json.load(open("%s/s1-t%03d/rung%d.json" % (root, j["trial"], k)))
    if r["status"] != "ok": bad.append("%s: %s" % (j, r.get("error")))
if len(subs) != len(jobs) or any(len(x["tasks"]) != 1 for x in subs): bad.append("%d submissions for %d jobs" % (len(subs), len(jobs)))
if sum(1 for j in jobs if j["epochs"] == 1) != 6 or not any(j["epochs"] == 4 for j in jobs): bad.append("rungs: %s" % jobs)
print("\n".join(bad)) if bad else None
sys.exit(1 if bad else 0)
PY
NAME=tpe METHOD=tpe "$OPTLAB" sweep asha.lua --backend slurm --parallel 2 > tpe.out 2>&1 && ok || { bad "the TPE sweep on Slurm failed"; cat tpe.out; }
[ "$(grep -c '"status":"ok"' runs/tpe/summary.jsonl)" = 6 ] && [ "$(cat runs/tpe/s1-t*/trial.json | grep -c '"method":"tpe"')" = 6 ] \
  && [ "$(wc -l < runs/tpe/slurm/jobs.jsonl)" = 6 ] && ok || bad "TPE on Slurm: $(grep -c '"status":"ok"' runs/tpe/summary.jsonl) of 6 ok"

# optlab bench-optimizer --claim: a Slurm array's two tasks and this shell's process share one benchmark folder;
# every run is made once, and the results are those of one process alone.
cp "$HERE/../bench/signum.lua" signum.lua
bargs="--problems quadratic_deep --seeds 2 --tune 3 --budget 3 --baselines SGD,Adam --quiet"
array=$(sbatch --parsable --array=1-2 --chdir="$WORK" --output="$WORK/bench-%a.out" --wrap "$OPTLAB bench-optimizer signum.lua $bargs --dir shared --claim")
"$OPTLAB" bench-optimizer signum.lua $bargs --dir shared --claim > bench-master.out 2>&1 || { bad "the sharing process failed"; cat bench-master.out; }
"$OPTLAB" bench-optimizer signum.lua $bargs --dir alone > /dev/null 2>&1 || bad "the benchmark alone failed"
wait_for "the bench array to finish" 120 '[ -z "$(squeue -h -j "$array" 2>/dev/null)" ]'
python3 - <<'PY' && ok || { bad "bench shared with a Slurm array"; cat bench-*.out; }
import json, glob
s, w = json.load(open("shared/results.json")), json.load(open("alone/results.json"))
for rule in ("Signum", "SGD", "Adam"):
    a, b = s["problems"]["quadratic_deep"]["rules"][rule], w["problems"]["quadratic_deep"]["rules"][rule]
    assert a["lr"] == b["lr"] and abs(a["best"]["mean"] - b["best"]["mean"]) < 1e-6 * abs(b["best"]["mean"]), rule
results, claims = glob.glob("shared/quadratic_deep/*/*/*/result.json"), glob.glob("shared/quadratic_deep/*/*/*/claim")
assert len(results) == 12 and len(claims) == 12, (len(results), len(claims))
print("slurm: bench-optimizer shared by a 2-task array and a process: 12 runs, each made once")
PY

# monitor.landscape{workers = 3, backend = "slurm"}: a 3-task array evaluates the grid's rows; the same grid as in process
cat > landscape.lua <<'LUA'
tensor.seed(2)
local x = tensor.randn({200, 5})
local y = tensor.from((function() local t = {} for i = 1, 200 do t[i] = i % 3 + 1 end return t end)(), "i32")
local spec = {model = nn.Sequential{nn.Linear(5, 6), nn.ReLU(), nn.Linear(6, 3)}, loss = nn.SoftmaxCrossEntropy(),
              data = data.dataset(x, y), grid = 7, seed = 1}
local here = monitor.landscape(spec)
spec.workers, spec.backend, spec.dir, spec.sbatch = 3, "slurm", "land", {"--time=5"}
local there = monitor.landscape(spec)
for i = 1, 7 do for j = 1, 7 do assert(here.values[i][j] == there.values[i][j], "row " .. i .. " column " .. j) end end
print("rows here: " .. #there.rows_here)
LUA
"$OPTLAB" landscape.lua > landscape.out 2>&1 && grep -qx "rows here: 0" landscape.out && [ "$(ls land/slurm-*_*.out | wc -l)" = 3 ] \
  && ok || { bad "the landscape on a Slurm array"; cat landscape.out; ls land; }

echo "slurm: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
