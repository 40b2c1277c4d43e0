#!/usr/bin/env bash
# A full disk: train.fit logging into a 64 KiB tmpfs (mounted in a user and
# mount namespace, so no privileges are needed where they are enabled) fills
# it mid-run. The error says "No space left on device", as the errno does, and
# status.json records the run as failed with that reason, not "running".
# Usage: Tests/hardening/disk_full_test.sh path/to/optlab
set -u
OPTLAB=$(realpath "${1:?usage: disk_full_test.sh path/to/optlab}")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
passed=0; failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL $1"; }
if ! unshare -rm true 2>/dev/null; then
  echo "disk full: skipped (this machine allows no user namespaces: unshare -rm fails)"
  exit 0
fi
mkdir -p "$WORK/full"
cat > "$WORK/fit.lua" <<'LUA'
tensor.seed(1)
local d = data.spiral{classes = 3, per_class = 100}
local m = nn.Sequential{nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3)}
train.fit{model = m, loss = nn.SoftmaxCrossEntropy(), optimizer = optim.SGD(m, {lr = 0.1}), train = d, val = d,
  epochs = 200, batch = 10, log = "runs/a", quiet = true}
print("trained on a full disk")
LUA
unshare -rm sh -c 'mount -t tmpfs -o size=64k tmpfs "$1/full" && cd "$1/full" && "$2" ../fit.lua > ../out 2>&1; echo $? > ../code; cp -r runs ../runs' sh "$WORK" "$OPTLAB"
code=$(cat "$WORK/code"); out=$(cat "$WORK/out")
[ "$code" = 1 ] && ok || bad "train.fit on a full disk exited $code: $out"
grep -q "No space left on device" <<<"$out" && ! grep -q "File exists" <<<"$out" && ok || bad "the error does not say the disk is full: $out"
python3 - "$WORK/runs/a/status.json" <<'PY' && ok || bad "status.json after a full disk: $(cat "$WORK/runs/a/status.json")"
import json, sys
s = json.load(open(sys.argv[1]))
sys.exit(0 if s["status"] == "failed" and "No space left on device" in s.get("reason", "") else 1)
PY
"$OPTLAB" report "$WORK/runs/a" >/dev/null && grep -q "failed: .*No space left on device" "$WORK/runs/a/report.html" && ok || bad "the report does not say why the run failed"
echo "disk full: $passed passed, $failed failed"
[ "$failed" = 0 ]
