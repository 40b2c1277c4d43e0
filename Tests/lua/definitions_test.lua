-- The editor definitions (optlab definitions): they compile, every function
-- and method help() knows is defined with its signature's parameters, every
-- option key the runtime accepts is declared, and a tiny fixture library
-- comes out as known text.
local H, file = ...
local test = function(name, fn) H.test(file .. ": " .. name, fn) end
local optlab = require "optlab"

-- An independent count of a signature's parameters: its top-level items,
-- brackets of optional ones opened up ("f(a [, b [, c]])" → 3, "f{...}" → 1).
local function arity(sig)
  local open = sig:find("[%({]")
  if sig:sub(open, open) == "{" then return 1 end
  local inner = sig:match("%b()", open):sub(2, -2)
  inner = inner:gsub("%b{}", "o"):gsub("[%[%]]", "")
  local n = 0
  for item in (inner .. ","):gmatch("([^,]*),") do if item:match("%S") then n = n + 1 end end
  return n
end

test("the definitions compile and define everything help() knows, with its parameters and option keys", function()
  local text = optlab.definitions()
  H.eq(load(text, "=definitions") ~= nil, true, "the definitions compile")
  H.eq(text:sub(1, 15), "---@meta optlab")
  local defined = {}
  for owner_name, params in text:gmatch("\nfunction ([%w_%.:]+)%(([^)]*)%) end") do
    local n = 0
    for _ in params:gmatch("[^,%s]+") do n = n + 1 end
    defined[owner_name] = n
  end
  local r, functions = optlab.registry(), 0
  for q, help in pairs(r.docs) do
    local sig = help:match("^[^\n]*")
    local top = q:match("^([^%.:]+)")
    local known = false
    for _, m in ipairs(r.modules) do if m[1] == top then known = true end end
    for _, c in ipairs(r.classes) do if c == top then known = true end end
    if known and sig:find("[%({]") and not sig:match("^[%w_%.]+%s*=") then
      functions = functions + 1
      H.eq(defined[q], arity(sig), q .. " is defined with the parameters of " .. sig)
    end
  end
  H.eq(functions > 150, true, "the public functions and methods: " .. functions)
  local keys = 0
  for q, list in pairs(r.option_keys) do
    local class = text:match("\n%-%-%-@class optlab%.options%." .. q:gsub(":", "."):gsub("%.", "%%.") .. "\n(.-)\n\n")
    H.eq(class ~= nil, true, "an options class for " .. q)
    for _, k in ipairs(list) do
      keys = keys + 1
      H.eq(class:find("---@field " .. k .. "? ", 1, true) ~= nil, true, q .. "'s option " .. k .. " is declared")
    end
  end
  H.eq(keys > 100, true, "option keys declared: " .. keys)
  -- a setting is a typed field, not a function
  H.eq(text:find("---@type boolean\nmonitor.colors = false", 1, true) ~= nil, true)
end)

test("a tiny fixture library comes out as known text", function()
  local r = {
    version = "9.9",
    modules = {{"tiny", "a tiny library"}},
    classes = {"Thing"},
    docs = {
      ["tiny.add"] = "tiny.add(a, b [, {scale=1, clamp=false}])\n\nAdds a and b, scaled.\n  tiny.add(1, 2)",
      ["tiny.make"] = "tiny.make{size=, name=\"t\", ...}\n\nA thing of that size.",
      ["tiny.flag"] = "tiny.flag = true\n\nWhether tiny shouts.",
      ["Thing:grow"] = "Thing:grow([by [, in]])\n\nGrows the thing.",
      ["other.skip"] = "other.skip(x)\n\nNot under tiny or Thing: left out.",
    },
    option_keys = {["tiny.add"] = {"scale", "clamp"}, ["tiny.make"] = {"size", "name", "seed"}},
  }
  local expected = [[
---@meta optlab
-- optlab 9.9: lua-language-server definitions, made by `optlab definitions` from help().
-- Do not edit: run `optlab definitions DIR` again after an update.

---a tiny library
---@class optlab.tiny
tiny = {}

---@class optlab.Thing
local Thing = {}

---Grows the thing.
---@param by? any
---@param in_? any
---@overload fun(self, by: any): any
---@overload fun(self): any
---@return any
function Thing:grow(by, in_) end

---@class optlab.options.tiny.add
---@field clamp? boolean default false
---@field scale? number default 1

---Adds a and b, scaled.
---      tiny.add(1, 2)
---@param a any
---@param b any
---@param options? optlab.options.tiny.add
---@overload fun(a: any, b: any): any
---@return any
function tiny.add(a, b, options) end

---Whether tiny shouts.
---@type boolean
tiny.flag = true

---@class optlab.options.tiny.make
---@field name? string default "t"
---@field seed? any
---@field size? any

---A thing of that size.
---@param options optlab.options.tiny.make
---@return any
function tiny.make(options) end

---@class optlab
---@field tiny optlab.tiny
local optlab = {}
return optlab
]]
  local got = optlab.definitions(r)
  if got ~= expected then
    local i = 1
    while got:sub(i, i) == expected:sub(i, i) do i = i + 1 end
    error("differs at byte " .. i .. ":\n" .. got:sub(math.max(1, i - 80), i + 80) .. "\n--- expected ---\n" .. expected:sub(math.max(1, i - 80), i + 80))
  end
end)
