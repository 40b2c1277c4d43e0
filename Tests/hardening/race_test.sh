#!/usr/bin/env bash
# Simultaneous starts of one search: in process (`optlab race.lua`), as
# `optlab sweep` masters, and both mixed. Every start waits on a shared go
# file, so they reach hp.search's lock together; exactly one master runs the
# search and every trial runs exactly once.
# Usage: Tests/hardening/race_test.sh path/to/optlab [rounds]
set -u
OPTLAB=$(realpath "${1:?usage: race_test.sh path/to/optlab [rounds]}")
ROUNDS=${2:-3}
WORK=$(mktemp -d)
trap 'pkill -9 -f "sweep-worker race.lua" 2>/dev/null; rm -rf "$WORK"' EXIT
cd "$WORK"
passed=0; failed=0; starts=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL $1"; }

cat > race.lua <<'LUA'
local function pid() local f = io.open("/proc/self/stat"); local p = f:read("n"); f:close(); return p end
while not io.open("go") do end   -- spinning: every start sees it within microseconds
hp.search{name = "race", dir = "runs", quiet = true, trials = 6, space = {x = hp.uniform(0, 1)},
  trial = function(cfg)
    local f = io.open("runs/ran", "a"); f:write(cfg.trial, " ", pid(), "\n"); f:close()
    local t = os.clock(); while os.clock() - t < 0.2 do end
    return cfg.x
  end}
LUA

# race KIND N: N simultaneous starts of KIND (inproc, sweep or mixed); checks the outcome.
race() {
  local kind=$1 n=$2 i pids=()
  rm -rf runs go; mkdir -p runs
  for i in $(seq "$n"); do
    if [ "$kind" = inproc ] || { [ "$kind" = mixed ] && [ $((i % 2)) = 0 ]; }; then
      "$OPTLAB" race.lua > "out.$i" 2>&1 & pids+=($!)
    else
      "$OPTLAB" sweep race.lua --workers 2 > "out.$i" 2>&1 & pids+=($!)
    fi
  done
  sleep 0.5; touch go
  local winners=0 refused=0 code
  for i in $(seq "$n"); do
    wait "${pids[$((i - 1))]}"; code=$?
    if [ "$code" = 0 ]; then winners=$((winners + 1))
    elif grep -q "another master" "out.$i"; then refused=$((refused + 1))
    else bad "$kind start $i: exit $code: $(tail -3 "out.$i")"; fi
  done
  starts=$((starts + n))
  # a start that came after the winner had finished resumes the finished search and runs nothing
  local ran lines
  ran=$(cut -d' ' -f1 runs/ran 2>/dev/null | sort -n | uniq -c | awk '$1 != 1' | wc -l)
  lines=$(wc -l < runs/race/summary.jsonl 2>/dev/null || echo 0)
  [ "$(wc -l < runs/ran)" = 6 ] && [ "$ran" = 0 ] && ok || bad "$kind x$n: trials ran $(wc -l < runs/ran) times for 6 trials: $(sort -n runs/ran | tr '\n' ' ')"
  [ "$lines" = 6 ] && ok || bad "$kind x$n: summary.jsonl has $lines lines"
  [ $((winners + refused)) = "$n" ] && [ "$winners" -ge 1 ] && ok || bad "$kind x$n: $winners finished, $refused refused"
  [ ! -e runs/race/master.lock ] && ok || bad "$kind x$n: the lock outlived its master"
}

for r in $(seq "$ROUNDS"); do
  race inproc 8
  race sweep 4
  race mixed 6
done
echo "race: $starts simultaneous starts in $((ROUNDS * 3)) races"
echo "race: $passed passed, $failed failed"
[ "$failed" = 0 ]
