#!/usr/bin/env bash
# scripts/install into a temporary prefix: the installed executable runs, the
# installed module loads in Debian's lua5.4 from its cpath folder, Jupyter
# finds the kernelspec and it points at the installed executable; then
# --uninstall removes all three.
set -uo pipefail
cd "$(dirname "$0")/../.."
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
fails=0 passes=0
ok() { if eval "$2"; then passes=$((passes + 1)); else echo "FAIL $1"; fails=$((fails + 1)); fi; }
scripts/install "$prefix" || { echo "install: 0 passed, 1 failed"; exit 1; }
ok "the executable runs" '"$prefix/bin/optlab" -e "print(tensor.ones{3}:sum():item())" | grep -qx "3.0"'
ok "the module loads from lib/lua/5.4" 'LUA_CPATH="$prefix/lib/lua/5.4/?.so" lua5.4 -e "print(require(\"optlab\").tensor.ones{2}:sum():item())" | grep -qx "2.0"'
ok "the kernelspec names the installed executable" \
  'python3 -c "import json,sys; s=json.load(open(sys.argv[1])); sys.exit(0 if s[\"argv\"][0] == sys.argv[2] else 1)" "$prefix/share/jupyter/kernels/optlab/kernel.json" "$(realpath "$prefix/bin/optlab")"'
ok "Jupyter finds it" 'JUPYTER_PATH="$prefix/share/jupyter" python3 -c "from jupyter_client.kernelspec import KernelSpecManager as K; import sys; sys.exit(0 if \"optlab\" in K().find_kernel_specs() else 1)"'
ok "the editor definitions are installed, off Lua's path" '[ -f "$prefix/share/optlab/definitions/optlab.lua" ] && luac5.4 -p "$prefix/share/optlab/definitions/optlab.lua"'
ok "they are what optlab definitions makes from help()" \
  'cmp -s "$prefix/share/optlab/definitions/optlab.lua" <("$prefix/bin/optlab" -e "io.write(require(\"optlab\").definitions())")'
ok "require finds the module, not the definitions" 'LUA_PATH="$prefix/share/lua/5.4/?.lua;;" LUA_CPATH="$prefix/lib/lua/5.4/?.so" lua5.4 -e "assert(require(\"optlab\").tensor)"'
scripts/install --uninstall "$prefix" >/dev/null
ok "uninstall removes all four" '[ ! -e "$prefix/bin/optlab" ] && [ ! -e "$prefix/lib/lua/5.4/optlab.so" ] && [ ! -e "$prefix/share/jupyter/kernels/optlab" ] && [ ! -e "$prefix/share/optlab" ]'
echo "install: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
