#!/usr/bin/env bash
# Out of memory is an error: under an address-space limit (ulimit -v), with
# the limit nearly used up by tensors, each case (elementwise ops, a matrix
# product, a BLAS-heavy training step, a convolution forward and backward, a
# checkpoint load) ends with an out-of-memory error naming what was being
# allocated, within a bound, and the session goes on (the script catches the
# error and computes after it; the REPL takes its next line).
# Usage: Tests/hardening/oom_test.sh path/to/optlab
set -u
OPTLAB=$(realpath "${1:?usage: oom_test.sh path/to/optlab}")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
passed=0; failed=0; cases=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL $1"; }
LIMIT_KB=1500000
BOUND=60   # seconds: the hang this guards against is forever

# A checkpoint to load (written without a limit): 2 x Linear(2048, 2048), 33 MB.
"$OPTLAB" -e 'nn.Sequential{nn.Linear(2048, 2048), nn.ReLU(), nn.Linear(2048, 2048)}:save("big.safetensors")' || bad "writing the checkpoint"

# fill(): holds tensors until allocation fails, then frees a few MB (less
# than OpenBLAS's buffers), so the case runs with almost nothing left.
PRELUDE='
local hold = {}
local function fill()
  pcall(function() for i = 1, 100000 do hold[i] = tensor.zeros{1024, 256} end end)
  for _ = 1, 2 do hold[#hold] = nil end
  collectgarbage(); collectgarbage()
end
local function case(name, f)
  fill()
  local ok, e = pcall(f)
  hold = {}; collectgarbage(); collectgarbage()
  io.write(name, ": ", ok and "no error" or tostring(e), "\n")
  -- the session goes on: memory back, a product runs
  local a = tensor.ones{64, 64}
  io.write(name, " after: ", string.format("%g", a:matmul(a):sum():item()), "\n")
end
'
run_case() {  # run_case NAME EXPECTED LUA
  local name=$1 want=$2 code=$3 out status
  cases=$((cases + 1))
  out=$(ulimit -v $LIMIT_KB; timeout $BOUND "$OPTLAB" -e "$PRELUDE case('$name', function() $code end)" 2>&1); status=$?
  [ "$status" = 0 ] || { bad "$name: exit $status (124: it hung): $(tail -3 <<<"$out")"; return; }
  grep -q "^$name: .*$want" <<<"$out" && ok || bad "$name: $(head -1 <<<"$out")"
  grep -q "^$name after: 262144$" <<<"$out" && ok || bad "$name: the session did not go on: $out"
}
run_case elementwise "out of memory: cannot allocate 16.8 MB for a tensor of 4194304 f32 elements" 'local x = tensor.randn{2048, 2048}; local y = (x * 2):exp():sum()'
run_case matmul "out of memory: cannot allocate 4.2 MB for a tensor of 1048576 f32 elements" 'local a = tensor.randn{1024, 1024}; local c = a:matmul(a)'
run_case training "train.fit: alloc: out of memory: cannot allocate" '
  local d = data.spiral{classes = 3, per_class = 200}
  local m = nn.Sequential{nn.Linear(2, 512), nn.ReLU(), nn.Linear(512, 3)}
  train.fit{model = m, loss = nn.SoftmaxCrossEntropy(), optimizer = optim.SGD(m, {lr = 0.1}), train = d, epochs = 1, batch = 600, quiet = true}'
run_case convolution "out of memory: cannot allocate" '
  local c = nn.Conv2d(3, 16, 3, {pad = 1}); local x = tensor.randn{64, 3, 32, 32}:requires_grad()
  c(x):sum():backward()'
run_case load "nn.load: out of memory: cannot allocate 33.6 MB for the contents of big.safetensors" 'local m = nn.load("big.safetensors")'
run_case pooling "out of memory: cannot allocate" 'local y = nn.MaxPool2d(2)(tensor.randn{64, 16, 64, 64})'

# Too little room for OpenBLAS's buffers at all (under 400 MB): a product says so, and no hang.
cases=$((cases + 1))
out=$(ulimit -v 450000; timeout $BOUND "$OPTLAB" -e 'local a = tensor.ones{64, 64}; print(pcall(a.matmul, a, a)); print("after", tensor.ones{3}:sum():item())' 2>&1); status=$?
[ "$status" = 0 ] && grep -q "out of memory: a matrix product needs up to [0-9.]* MB of BLAS scratch space ([0-9]* threads*)" <<<"$out" && grep -q "after.3.0" <<<"$out" \
  && ok || bad "a product with no room for BLAS: exit $status: $out"

# The REPL survives it and takes its next line.
cases=$((cases + 1))
out=$(ulimit -v $LIMIT_KB; printf '%s\n' 'hold = {}' \
  'ok, e = pcall(function() for i = 1, 100000 do hold[i] = tensor.zeros{1024, 256} end end)' \
  'print(ok, e)' 'hold = nil; collectgarbage()' 'print("still here", tensor.ones{3}:sum():item())' \
  | timeout $BOUND "$OPTLAB" 2>&1); status=$?
[ "$status" = 0 ] && grep -q "out of memory: cannot allocate 1.0 MB for a tensor of 262144 f32 elements" <<<"$out" \
  && grep -q "still here.3.0" <<<"$out" && ok || bad "the REPL under a limit: exit $status: $out"
echo "oom: $cases cases under ulimit -v $LIMIT_KB"
echo "oom: $passed passed, $failed failed"
[ "$failed" = 0 ]
