#!/usr/bin/env bash
# Every example script under scripts/ runs to its end, at a tiny size: a smoke
# run (OPTLAB_TINY=1: the data sets cut to their first examples, train.fit to
# one epoch, hp.search to three trials a stage), in a scratch folder, each
# script's last line checked against what it prints at full size. A script
# under scripts/ that this file does not run fails the suite, so a new one
# cannot be forgotten. The Python drivers of the benchmarks need PyTorch or
# Optuna, which the suites never install: they are parsed, not run.
# Usage: Tests/scripts/scripts_test.sh path/to/optlab
set -u
OPTLAB=$(realpath "${1:?usage: scripts_test.sh path/to/optlab}")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK" || exit 1
export OPTLAB_TINY=1
passed=0; failed=0; ran=()
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL $1"; }

# run NAME PATTERN [--input TEXT] COMMAND...: runs COMMAND; it must succeed, its
# last line of output match PATTERN (an extended regex, whole line), and its
# standard error carry the smoke run's notice when the script trains on data.
run() {
  local name=$1 pattern=$2 input="" out last
  shift 2
  if [ "$1" = --input ]; then input=$2; shift 2; fi
  ran+=("$name")
  if ! out=$(printf '%s' "$input" | "$@" 2>"$WORK/stderr"); then
    bad "$name exited with an error:"; tail -15 "$WORK/stderr"; return
  fi
  last=$(printf '%s\n' "$out" | tail -1)
  if ! [[ $last =~ ^$pattern$ ]]; then
    bad "$name ended on '$last', expected /$pattern/"; tail -5 "$WORK/stderr"; return
  fi
  ok
  case $name in
    scripts/spiral.lua | scripts/char_gpt.lua | scripts/bench/tpe_synthetic.lua | scripts/bench/workloads.lua) ;;
    *) grep -qF "OPTLAB_TINY is set" "$WORK/stderr" && ok || bad "$name: no smoke-run notice (did it run at full size?)" ;;
  esac
}

num='[0-9]+\.[0-9]+'
S=$ROOT/scripts
run scripts/spiral.lua "MLP with 100 ReLU units +training accuracy $num" "$OPTLAB" "$S/spiral.lua"
run scripts/fashion_mnist.lua "test accuracy $num \(EMA of the parameters, decay 0.999\)" "$OPTLAB" "$S/fashion_mnist.lua"
run scripts/fashion_mnist_conv.lua "test accuracy $num" "$OPTLAB" "$S/fashion_mnist_conv.lua"
run "scripts/fashion_mnist_conv.lua 14 3" "test accuracy $num \(each image alone\), $num \(with its mirror\)" \
  "$OPTLAB" "$S/fashion_mnist_conv.lua" 14 3
run scripts/residual_mlp.lua "test accuracy $num \(EMA of the parameters\)" "$OPTLAB" "$S/residual_mlp.lua"
run scripts/custom_layer.lua "best validation accuracy $num; test accuracy $num" "$OPTLAB" "$S/custom_layer.lua"
run scripts/fashion_mnist_search.lua "best: trial [0-9]+, val_acc $num \(.*\)" "$OPTLAB" "$S/fashion_mnist_search.lua"
run scripts/fashion_mnist_stages.lua "best trial [0-9]+: val $num; ensemble of the 3 best: test $num" "$OPTLAB" "$S/fashion_mnist_stages.lua"
run scripts/random_vs_grid.lua "\(in brackets: the chosen setting trained again with 3 fresh seeds, mean val accuracy\)" \
  env SHIFTS=1 "$OPTLAB" "$S/random_vs_grid.lua"
run scripts/shakespeare_char.lua "validation loss $num \(perplexity $num\) after [0-9]+ iterations in $num s" \
  "$OPTLAB" "$S/shakespeare_char.lua"
# char_gpt.lua is a module: nanoGPT's model, built and given a batch
run scripts/char_gpt.lua "logits 2x5x84" "$OPTLAB" -e "
  local GPT = dofile('$S/char_gpt.lua')
  local m = GPT{vocab = 84, block = 8, width = 16, heads = 2, layers = 2}
  local out = m(tensor.from({{1, 2, 3, 4, 5}, {6, 7, 8, 9, 10}}, 'i32'))
  print('logits ' .. table.concat(out:size(), 'x'))"
# the demo's own command (it installs and builds first, quietly when nothing is missing)
run scripts/demo "test accuracy $num \(EMA of the parameters, decay 0.999\)" "$S/demo"

B=$S/bench
for method in random c2f tpe24 asha asha_tpe; do
  run "scripts/bench/fashion_search.lua ($method)" "" env METHOD=$method "$OPTLAB" "$B/fashion_search.lua"
  grep -qE '^\{"score": [0-9.]+, "trial": [0-9]+, "config": \{.*"lr": .*\}\}$' "runs/study/$method-0/best.json" && ok ||
    bad "fashion_search.lua ($method) wrote no best.json"
done
ran+=(scripts/bench/fashion_search.lua)
run scripts/bench/distill_study.lua "distilled from the 5, T = 2, alpha = 0.5 \(seed 7\) +$num +$num" \
  "$OPTLAB" "$B/distill_study.lua" runs/study/c2f-0 0.05 1e-4 0.2 64 1
run scripts/bench/fashion_retrain.lua "2 $num $num" "$OPTLAB" "$B/fashion_retrain.lua" 0.05 1e-4 0.2 64 1 1 2
run "scripts/bench/fashion_objective.lua serve" "$num" --input $'0.05 1e-4 0.2 64\n' "$OPTLAB" "$B/fashion_objective.lua" serve
run "scripts/bench/fashion_objective.lua tpe" "4 $num" "$OPTLAB" "$B/fashion_objective.lua" tpe 3 4
ran+=(scripts/bench/fashion_objective.lua)
run scripts/bench/optimizer_study.lua "study done" "$OPTLAB" "$B/optimizer_study.lua" both 1 quick
run scripts/bench/builtin_rules.lua "SGD scores $num over 4 problems" "$OPTLAB" "$B/builtin_rules.lua" 3 quick runs/builtin
run scripts/bench/landscape.lua "5×5 landscape over [0-9]+ examples: in process $num s \(median of 1\), 2 workers $num s; speed-up $num \($num–$num\); grids equal" \
  "$OPTLAB" "$B/landscape.lua" 1 5
run scripts/bench/tpe_synthetic.lua "random 1 -$num" "$OPTLAB" "$B/tpe_synthetic.lua" 3 2
# workloads.lua is a module: every workload it defines, built and run for one step
run scripts/bench/workloads.lua "ran [0-9]+ workloads" "$OPTLAB" -e "
  local file = '$B/workloads.lua'
  local workload, n = dofile(file), 0
  for name in io.open(file):read('a'):gmatch('function workloads%.([%w_]+)') do workload(name)(1); n = n + 1 end
  print('ran ' .. n .. ' workloads')"

# the benchmarks' and kernels' Python drivers parse
for f in "$B"/*.py "$S"/kernels/*.py; do
  python3 -c 'import ast, sys; ast.parse(open(sys.argv[1]).read(), sys.argv[1])' "$f" && ok || bad "$f does not parse"
  ran+=("${f#"$ROOT"/}")
done

# every Lua script under scripts/ was run above
while IFS= read -r f; do
  printf '%s\n' "${ran[@]}" | grep -qxF "$f" && ok || bad "$f is not run by Tests/scripts/scripts_test.sh"
done < <(cd "$ROOT" && git ls-files 'scripts/*.lua' 'scripts/**/*.lua' 'scripts/*.py' 'scripts/**/*.py')

echo "scripts: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
