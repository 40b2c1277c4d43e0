-- What the optlab executable does in Lua before it runs a script or the
-- REPL, as lua.c does in C: the global `arg`, `-l name`, colours on a terminal.
local runner = {}

-- arg: the script at 0, its arguments at 1.., the interpreter's options below 0.
function runner.set_arg(argv, script_at)
  arg = {}
  for i = 1, #argv do arg[i - 1 - script_at] = argv[i] end
end

-- `-l name`: name = require(name), as lua.c's dolibrary.
function runner.require_global(name)
  _G[name] = require(name)
end

function runner.use_colors() monitor.colors = true end

return runner
