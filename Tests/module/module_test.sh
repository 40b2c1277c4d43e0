#!/usr/bin/env bash
# `require "optlab"` from Debian's stock lua5.4: the module's own tests, then
# the whole Lua suite run there (with install_globals), and ldd: the module
# links no Lua of its own.  Usage: module_test.sh path/to/liboptlab-lua.so [path/to/optlab]
set -uo pipefail
cd "$(dirname "$0")/../.."
lib=$(realpath "$1")
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
ln -s "$lib" "$dir/optlab.so"
export LUA_CPATH="$dir/?.so;;"
status=0
if ldd "$lib" | grep -q liblua; then
  echo "FAIL the module links a Lua of its own:"; ldd "$lib" | grep liblua; status=1
else
  echo "ldd: no liblua in the module"
fi
lua5.4 Tests/module/module_test.lua || status=1
optlab=${2:-}
if [ -n "$optlab" ]; then
  a=$(lua5.4 Tests/module/same_results.lua) && b=$("$optlab" Tests/module/same_results.lua)
  if [ -n "$a" ] && [ "$a" = "$b" ]; then echo "same bits as in the optlab executable: 20 losses"
  else echo "FAIL losses differ between lua5.4 and optlab:"; diff <(echo "$a") <(echo "$b") | head; status=1; fi
fi
echo "-- the Lua suite under lua5.4"
out=$(lua5.4 -e 'require("optlab").install_globals()' Tests/lua/run.lua 2>&1) || status=1
tail -3 <<<"$out"
grep -A8 '^FAIL' <<<"$out"   # a failure's message and traceback, not only the count
exit $status
