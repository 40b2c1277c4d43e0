#!/usr/bin/env bash
# optlab bench-optimizer as a user runs it: the usage, refusals, and a
# benchmark killed with SIGKILL part-way that resumes without redoing its
# finished runs and ends with the numbers of a benchmark never killed.
# Usage: Tests/bench/bench_test.sh path/to/optlab
set -u
OPTLAB=$(realpath "${1:?usage: bench_test.sh path/to/optlab}")
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
passed=0; failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL $1"; }

"$OPTLAB" bench-optimizer --help | grep -q -- "--seeds N" && ok || bad "bench-optimizer --help prints the usage"
"$OPTLAB" bench-optimizer 2>/dev/null; [ $? = 1 ] && ok || bad "no rule file: exit 1"
msg=$("$OPTLAB" bench-optimizer missing.lua 2>&1); [ $? = 1 ] && grep -q "cannot read missing.lua" <<<"$msg" && ok || bad "unreadable rule: $msg"
echo 'return "SGD"' > sgd.lua
msg=$("$OPTLAB" bench-optimizer sgd.lua --seeds many 2>&1); [ $? = 1 ] && grep -q "whole number" <<<"$msg" && ok || bad "bad --seeds: $msg"
msg=$("$OPTLAB" bench-optimizer sgd.lua --frobnicate 2>&1); [ $? = 1 ] && grep -q "unknown option --frobnicate" <<<"$msg" && ok || bad "unknown flag: $msg"

# signSGD with momentum; killer.lua is the same rule, but the process kills
# itself (SIGKILL, no chance to tidy up) when it starts its third run.
cp "$HERE/signum.lua" signum.lua
cat > killer.lua <<'LUA'
local Signum = dofile("signum.lua")
return {name = "Signum", lr = 1e-3, make = function(model, lr)
  local n = 0
  for _ in io.popen("ls killed/quadratic_deep/*/*/*/result.json 2>/dev/null"):lines() do n = n + 1 end
  if n == 2 and not io.open("killed.mark") then io.open("killed.mark", "w"):close(); os.execute("kill -9 $PPID") end
  return Signum(model, {lr = lr})
end}
LUA
args=(--problems quadratic_deep --seeds 2 --tune 3 --budget 3 --baselines SGD,Adam --quiet)
rc=$( { "$OPTLAB" bench-optimizer killer.lua "${args[@]}" --dir killed >/dev/null 2>&1; echo $?; } 2>/dev/null )
[ "$rc" = 137 ] && ok || bad "the first run was to die of SIGKILL (exit $rc)"
[ "$(ls killed/quadratic_deep/*/*/*/result.json | wc -l)" = 2 ] && [ ! -f killed/results.json ] && ok || bad "two runs finished before the kill"
"$OPTLAB" bench-optimizer killer.lua "${args[@]}" --dir killed > resumed.txt || bad "the resumed benchmark failed"
"$OPTLAB" bench-optimizer signum.lua "${args[@]}" --dir whole > whole.txt || bad "the benchmark never killed failed"
python3 - <<'PY' && ok || bad "resumed results"
import json
k, w = json.load(open("killed/results.json")), json.load(open("whole/results.json"))
assert k["resumed"] == 2, k["resumed"]
for rule in ("Signum", "SGD", "Adam"):
    a, b = k["problems"]["quadratic_deep"]["rules"][rule], w["problems"]["quadratic_deep"]["rules"][rule]
    assert a["lr"] == b["lr"] and a["best"] == b["best"], (rule, a.get("best"), b.get("best"))
print("bench: killed at the third run, resumed 2, the same results as a whole run")
PY
# Two worker processes share the folder: every run made once, the same results as one process.
"$OPTLAB" bench-optimizer signum.lua "${args[@]}" --dir shared --workers 2 > shared.txt || bad "bench-optimizer --workers 2 failed"
python3 - <<'PY' && ok || bad "results of two workers"
import json, glob
s, w = json.load(open("shared/results.json")), json.load(open("whole/results.json"))
for rule in ("Signum", "SGD", "Adam"):
    a, b = s["problems"]["quadratic_deep"]["rules"][rule], w["problems"]["quadratic_deep"]["rules"][rule]
    assert a["lr"] == b["lr"] and abs(a["best"]["mean"] - b["best"]["mean"]) < 1e-6 * abs(b["best"]["mean"]), (rule, a.get("best"), b.get("best"))
results, claims = glob.glob("shared/quadratic_deep/*/*/*/result.json"), glob.glob("shared/quadratic_deep/*/*/*/claim")
assert len(results) == 3 * (3 + 1) and sorted(r[:-len("result.json")] for r in results) == sorted(c[:-len("claim")] for c in claims), (len(results), len(claims))
holders = {open(c).read().split()[1] for c in claims}
print(f"bench: 2 workers made {len(results)} runs once each (claimed by {len(holders)} processes), the results of one process")
PY
grep -q "Signum against SGD, Adam" resumed.txt && grep -q "page: killed/index.html" resumed.txt && ok || bad "the summary printed"
[ -f killed/quadratic_deep/SGD/lr1/seed-1/metrics.jsonl ] && ok || bad "each run is a run folder"
"$OPTLAB" report killed/quadratic_deep/SGD/lr1/seed-1 >/dev/null && ok || bad "optlab report reads a benchmark's run"

echo "bench: $passed passed, $failed failed"
[ "$failed" = 0 ]
