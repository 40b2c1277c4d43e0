-- The table `require "optlab"` returns, in the optlab executable and from a
-- stock Lua 5.4 (the module sets no global there): every library by name,
-- help, the version, and install_globals() for code written for the
-- executable, where the libraries are globals.
local optlab, libraries, help, version = ...
for name, library in pairs(libraries) do optlab[name] = library end
optlab.help = help
optlab.version = version

function optlab.install_globals()
  for name, library in pairs(libraries) do _G[name] = library end
  _G.help = help
  return optlab
end
