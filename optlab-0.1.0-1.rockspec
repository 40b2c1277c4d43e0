-- optlab as a LuaRocks rock: `luarocks make` in a clone builds it with the
-- Swift toolchain and installs `require "optlab"` (lib/lua/5.4/optlab.so)
-- and the optlab executable (bin/optlab) into the rock tree.
rockspec_format = "3.0"
package = "optlab"
version = "0.1.0-1"
source = {
   url = "git+https://github.com/optlab/optlab.git",
   tag = "v0.1.0",
}
description = {
   summary = "A numeric runtime for neural-network optimization experiments, scripted in Lua",
   detailed = [[
Tensors with autograd, layers, update rules and schedules, the gradient and
sanity checks of CS231n's notes, training monitors, hyperparameter search
and HTML reports, from a Swift runtime; `require "optlab"` in Lua 5.4, and
the optlab executable (a REPL, scripts, sweeps, a Jupyter kernel).
Building needs a Swift 6 toolchain and these Debian packages:
liblua5.4-dev libedit-dev libopenblas-dev zlib1g-dev libzmq3-dev libssl-dev pkg-config.
The built files use the Swift runtime of that toolchain: keep it installed.
]],
   labels = { "machine-learning", "neural-networks", "optimization", "autograd" },
}
dependencies = {
   "lua >= 5.4, < 5.5",
}
build = {
   type = "command",
   -- (LuaRocks exports its C compiler settings, CC=gcc among them; SwiftPM builds its C targets with clang)
   -- (and LuaRocks installs a binary module under its file's own name: the library is copied to optlab.so)
   build_command = "env -u CC -u CFLAGS -u LDFLAGS -u LD -u LIBFLAG sh -c 'swift build -c release --product optlab-lua "
      .. "&& swift build -c release --product optlab && mkdir -p .build/rock && cp .build/release/liboptlab-lua.so .build/rock/optlab.so'",
   install = {
      lib = { optlab = ".build/rock/optlab.so" },
      bin = { optlab = ".build/release/optlab" },
   },
}
