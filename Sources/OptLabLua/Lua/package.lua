-- The table `require "optlab"` returns, in the optlab executable and from a
-- stock Lua 5.4 (the module sets no global there): every library by name,
-- help, the version, and install_globals() for code written for the
-- executable, where the libraries are globals; help_text(x) is what help(x)
-- prints, as a string (and false as a second value when there is no help);
-- display(x) shows a value in its richest form the host has.
local optlab, libraries, help, help_text, display, version, P, registry, definitions = ...
for name, library in pairs(libraries) do optlab[name] = library end
optlab.help = help
optlab.help_text = help_text
optlab.display = display
optlab.version = version

-- option_keys("train.fit"): the keys a function's options table takes (for
-- completion: train.fit{mo → model), or nil.
function optlab.option_keys(name)
  local keys = P.option_keys[name]
  if not keys then return nil end
  local copy = {}
  for i, k in ipairs(keys) do copy[i] = k end
  table.sort(copy)
  return copy
end

-- definitions([registry]): lua-language-server definitions (a ---@meta file's
-- text) of everything help() knows, or of the registry given
-- ({docs =, modules =, classes =, option_keys =}, as a test passes one).
-- registry(): what help() knows, for tools: {docs = {[name] = help text},
-- modules = {{name, summary}}, classes = {names}, option_keys = {[name] = {keys}}}.
function optlab.registry() return registry() end

function optlab.definitions(r)
  r = r or registry()
  r.version = r.version or version
  return definitions.generate(r)
end

function optlab.install_globals()
  for name, library in pairs(libraries) do _G[name] = library end
  _G.help, _G.display = help, display
  return optlab
end
