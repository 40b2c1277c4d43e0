-- The Lua half of the REPL: whether an entry is complete, running it with its
-- values printed, pretty printing, completion and timing. The optlab
-- executable loads it with a clock and whether to use colours, and keeps the
-- table it returns.
local now, colors = ...
local repl = {}
local c = colors and {
  num = "\27[36m", str = "\27[32m", key = "\27[33m", dim = "\27[90m", err = "\27[31m", off = "\27[0m",
} or setmetatable({}, {__index = function() return "" end})

-- lua.c's rule: a syntax error at <eof> means the entry continues on the next line.
function repl.status(code)
  if load("return " .. code, "=stdin") then return "expression" end
  local f, err = load(code, "=stdin")
  if f then return "statement" end
  if err:sub(-5) == "<eof>" then return "incomplete" end
  return "error", err
end

local show
local function key_string(k)
  if type(k) == "string" and k:match("^[%a_][%w_]*$") then return c.key .. k .. c.off end
  return "[" .. show(k, 0, {}) .. "]"
end

function show(v, depth, seen)
  local t = type(v)
  if t == "string" then return c.str .. string.format("%q", v) .. c.off end
  if t == "number" then return c.num .. tostring(v) .. c.off end
  if t == "table" then
    if seen[v] then return c.dim .. "<cycle>" .. c.off end
    local mt = getmetatable(v)
    if mt and mt.__tostring then return tostring(v) end
    if depth >= 3 then return c.dim .. "{...}" .. c.off end
    seen[v] = true
    local parts, n = {}, #v
    for i = 1, n do parts[#parts + 1] = show(v[i], depth + 1, seen) end
    local keys = {}
    for k in pairs(v) do
      if not (math.type(k) == "integer" and k >= 1 and k <= n) then keys[#keys + 1] = k end
    end
    table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
    for i, k in ipairs(keys) do
      if i > 50 then parts[#parts + 1] = c.dim .. "... (" .. (#keys - 50) .. " more)" .. c.off break end
      parts[#parts + 1] = key_string(k) .. " = " .. show(v[k], depth + 1, seen)
    end
    seen[v] = nil
    local s = "{" .. table.concat(parts, ", ") .. "}"
    if #s > 100 then s = "{\n" .. string.rep("  ", depth + 1) .. table.concat(parts, ",\n" .. string.rep("  ", depth + 1)) .. "\n" .. string.rep("  ", depth) .. "}" end
    return s
  end
  return tostring(v)
end

function repl.show(...)
  local parts = {}
  for i = 1, select("#", ...) do parts[i] = show(select(i, ...), 0, {}) end
  return table.concat(parts, "\t")
end

-- An error's message with Lua's traceback, less the REPL's own frames (the kernel uses it too).
local function traceback(e)
  if type(e) ~= "string" then
    local mt = getmetatable(e)
    e = mt and mt.__tostring and tostring(e) or ("(error object is a " .. type(e) .. " value)")
  end
  -- the REPL's own frames (xpcall and what called it) are not the user's business
  local tb = debug.traceback(e, 2)
  return (tb:gsub("\n\t%[C%]: in function 'xpcall'.*$", ""))
end

repl.traceback = traceback

local function finish(quiet, ok, ...)
  if not ok then
    io.stderr:write(c.err, (...), c.off, "\n")
    return
  end
  if select("#", ...) > 0 then
    _ = (...)
    if not quiet then print(repl.show(...)) end
  end
end

-- Runs one entry: as an expression first (its values printed), else as a statement.
-- A trailing ";" suppresses printing.
function repl.run(code)
  local quiet = code:match(";%s*$") ~= nil
  local f = load("return " .. code, "=stdin")
  if not f then
    local err
    f, err = load(code, "=stdin")
    if not f then io.stderr:write(c.err, err, c.off, "\n") return end
  end
  finish(quiet, xpcall(f, traceback))
end

-- `:time expr`, and time(fn, ...) for scripts
function time(fn, ...)
  local t0 = now()
  local results = table.pack(fn(...))
  io.stdout:write(c.dim, string.format("time: %.3f ms", (now() - t0) * 1000), c.off, "\n")
  return table.unpack(results, 1, results.n)
end

function repl.time(code)
  local f, err = load("return " .. code, "=stdin")
  if not f then f, err = load(code, "=stdin") end
  if not f then io.stderr:write(c.err, err, c.off, "\n") return end
  local t0 = now()
  finish(false, xpcall(f, traceback))
  io.stdout:write(c.dim, string.format("time: %.3f ms", (now() - t0) * 1000), c.off, "\n")
end

local keywords = {"and", "break", "do", "else", "elseif", "end", "false", "for", "function", "goto", "if", "in",
  "local", "nil", "not", "or", "repeat", "return", "then", "true", "until", "while"}

-- Completions of the name before the cursor: keywords and globals, fields of
-- tables at any depth, and methods reached through metatables.
function repl.complete(word)
  local base, sep, partial = word:match("^(.*)([%.:])([%w_]*)$")
  local out, seen = {}, {}
  local function add(name, value)
    if seen[name] then return end
    seen[name] = true
    out[#out + 1] = name .. ((type(value) == "function" and sep == ":") and "(" or "")
  end
  if not base then
    partial = word
    for _, k in ipairs(keywords) do if k:sub(1, #partial) == partial then add(k) end end
    for k, v in pairs(_G) do
      if type(k) == "string" and k:sub(1, #partial) == partial then add(k, v) end
    end
  else
    local obj = _G
    for part in base:gmatch("[^%.:]+") do
      if type(obj) ~= "table" and type(obj) ~= "userdata" then return {} end
      local ok, v = pcall(function() return obj[part] end)
      if not ok then return {} end
      obj = v
    end
    if obj == nil then return {} end
    local visited = {}
    local function walk(tbl)
      if type(tbl) ~= "table" or visited[tbl] then return end
      visited[tbl] = true
      for k, v in pairs(tbl) do
        if type(k) == "string" and k:sub(1, #partial) == partial and not k:match("^__") then add(k, v) end
      end
      local mt = getmetatable(tbl)
      if mt then walk(mt.__methods or (type(mt.__index) == "table" and mt.__index) or nil) end
    end
    if type(obj) == "table" then walk(obj) end
    local mt = getmetatable(obj)
    if type(obj) ~= "table" and type(mt) == "table" then walk(mt.__methods or mt.__index) end
  end
  table.sort(out)
  return out
end

return repl
