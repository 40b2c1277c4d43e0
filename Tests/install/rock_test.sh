#!/usr/bin/env bash
# The rock: Debian's luarocks builds optlab-*.rockspec (`luarocks make`) into
# a temporary tree; Debian's lua5.4 requires optlab from that tree's paths and
# trains a model; the tree's optlab executable runs; `luarocks remove` takes
# every file of the rock away again (the tree keeps only LuaRocks' manifest),
# and the clone is left as it was.
set -uo pipefail
cd "$(dirname "$0")/../.."
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
fails=0 passes=0
ok() { if eval "$2"; then passes=$((passes + 1)); else echo "FAIL $1"; fails=$((fails + 1)); fi; }
rocks() { luarocks --lua-version 5.4 --tree "$tree" "$@"; }
spec=$(ls optlab-*.rockspec)
before=$(git status --porcelain)
rocks make "$spec" > "$tree.log" 2>&1 || { tail -20 "$tree.log"; rm -f "$tree.log"; echo "rock: 0 passed, 1 failed"; exit 1; }
rm -f "$tree.log"
ok "the rock installs the module and the executable" '[ -f "$tree/lib/lua/5.4/optlab.so" ] && [ -x "$tree/bin/optlab" ]'
ok "luarocks lists it" 'rocks list --porcelain | grep -q "^optlab	0.1.0-1	installed"'
paths=$(rocks path)
train='local optlab = require "optlab"
optlab.tensor.seed(1)
local d = optlab.data.spiral{classes = 3, per_class = 50}
local m = optlab.nn.Sequential{optlab.nn.Linear(2, 32), optlab.nn.ReLU(), optlab.nn.Linear(32, 3)}
local h = optlab.train.fit{model = m, loss = optlab.nn.SoftmaxCrossEntropy(), optimizer = optlab.optim.Adam(m, {lr = 0.02}),
  train = d, epochs = 60, batch = 30, quiet = true}
io.write(string.format("%.2f", h.train_acc[#h.train_acc]))'
ok "lua5.4 requires optlab from the tree and trains on the spiral" \
  'acc=$(eval "$paths"; cd /tmp && lua5.4 -e "$train") && python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) > 0.7 else 1)" "$acc"'
ok "the tree's executable runs" '"$tree/bin/optlab" -e "print(tensor.ones{4}:sum():item())" | grep -qx "4.0"'
rocks remove optlab > /dev/null 2>&1
ok "luarocks remove takes every file of the rock away" '[ -z "$(find "$tree" -type f ! -path "*/lib/luarocks/rocks-5.4/manifest")" ]'
ok "the clone is left as it was" '[ "$(git status --porcelain)" = "$before" ]'
echo "rock: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
